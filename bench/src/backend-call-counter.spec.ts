import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { countToolCalls } from "./backend-call-counter.js";

describe("countToolCalls", () => {
  const path = process.env.PATH;
  let dir: string | undefined;
  afterEach(() => {
    process.env.PATH = path;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("counts every run of a wrapped tool found on PATH, and the tool still works", () => {
    dir = mkdtempSync(join(tmpdir(), "iri-bench-counter-"));
    const counter = countToolCalls(dir, ["echo"]);
    expect(counter.count()).toBe(0);
    const outputs = [1, 2, 3].map((i) =>
      execFileSync("echo", [`call ${i}`], { encoding: "utf8", env: process.env }),
    );
    expect(outputs).toEqual(["call 1\n", "call 2\n", "call 3\n"]);
    expect(counter.count()).toBe(3);
  });

  it("refuses a tool that is not on PATH", () => {
    dir = mkdtempSync(join(tmpdir(), "iri-bench-counter-"));
    expect(() => countToolCalls(dir as string, ["no-such-tool-iri"])).toThrow(/not on PATH/);
  });
});
