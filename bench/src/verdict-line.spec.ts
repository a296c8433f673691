import { describe, expect, it } from "vitest";
import { parseVerdictLine } from "./verdict-line.js";

describe("parseVerdictLine", () => {
  it("reads the verdict, the target and the detail of a suite's line", () => {
    expect(
      parseVerdictLine("PASS list-10k: 0.96× (180.7 ms vs floor 189.1 ms) (target ≤ 1.5×)", "machine"),
    ).toEqual({
      suite: "machine",
      verdict: "PASS",
      target: "list-10k",
      detail: "0.96× (180.7 ms vs floor 189.1 ms) (target ≤ 1.5×)",
    });
    expect(
      parseVerdictLine("NOT RUN machine-boot, rss-machines: REGISTRY_ADDR is not set", "qemu"),
    ).toMatchObject({
      verdict: "NOT RUN",
      target: "machine-boot, rss-machines",
    });
  });

  it("leaves progress lines alone", () => {
    expect(parseVerdictLine("filling the store and timing ListMachines …", "machine")).toBeUndefined();
    expect(parseVerdictLine("PASSING through", "machine")).toBeUndefined();
  });
});
