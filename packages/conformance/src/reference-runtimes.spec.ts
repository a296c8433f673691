// The suite against correct in-memory runtimes: every case must pass, so no case demands more than the contract.
import { afterEach, describe, expect, it } from "vitest";
import { caseNames, runConformance } from "./index.js";
import type { RuntimeKind } from "./subjects/subject.js";
import { FAST_TIMING } from "./testdata/fast-timing.js";
import { type ReferenceServer, startReference } from "./testdata/serve-reference.js";

describe("reference runtimes", () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const runtime of ["machine", "volume", "bucket"] as RuntimeKind[]) {
    it(`${runtime}: every case passes`, async () => {
      server = await startReference(runtime);
      const report = await runConformance({ runtime, address: server.address, ...FAST_TIMING });
      expect(report.results.filter((r) => !r.ok)).toEqual([]);
      expect(report.results.map((r) => r.name)).toEqual(caseNames[runtime]);
      expect(report).toMatchObject({ passed: caseNames[runtime].length, failed: 0 });
    });
  }

  it("runs only the cases matching `only`, with the class given", async () => {
    server = await startReference("bucket");
    const report = await runConformance({
      runtime: "bucket",
      address: server.address,
      className: "reference-premium",
      only: "create/",
      ...FAST_TIMING,
    });
    expect(report.results.length).toBeGreaterThan(0);
    expect(report.results.every((r) => r.name.includes("create/") && r.ok)).toBe(true);
  });
});
