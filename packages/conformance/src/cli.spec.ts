// The built CLI as a user runs it: a child process against a reference runtime's socket.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { caseNames } from "./index.js";
import { type ReferenceServer, startReference } from "./testdata/serve-reference.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const FAST_FLAGS = ["--timeout-ms", "2000", "--poll-interval-ms", "10", "--stable-gap-ms", "30"];

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe("iri-conformance CLI", () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("is built (run `pnpm --filter @iri/conformance build` first)", () => {
    expect(existsSync(CLI)).toBe(true);
  });

  it("prints PASS per case and the summary, and exits 0 against a conforming runtime", async () => {
    server = await startReference("bucket");
    const { code, stdout } = await runCli([
      "--runtime",
      "bucket",
      "--address",
      server.address,
      ...FAST_FLAGS,
    ]);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.slice(0, -1)).toEqual(caseNames.bucket.map((name) => `PASS ${name}`));
    expect(lines.at(-1)).toBe(`${caseNames.bucket.length} passed, 0 failed`);
    expect(code).toBe(0);
  });

  it("prints FAIL with the reason and exits non-zero against a broken runtime", async () => {
    server = await startReference("machine", { faults: ["version-name-with-scheme"] });
    const { code, stdout } = await runCli([
      "--runtime",
      "machine",
      "--address",
      server.address,
      "--only",
      "version/",
      ...FAST_FLAGS,
    ]);
    expect(stdout.trimEnd().split("\n")).toEqual([
      "PASS version/accepts-any-request",
      'FAIL version/runtime-name: runtime_name "reference://machine" contains "://"',
      "PASS version/runtime-version-semver",
      "2 passed, 1 failed",
    ]);
    expect(code).toBe(1);
  });

  it("rejects bad usage with exit code 2", async () => {
    const missingAddress = await runCli(["--runtime", "volume"]);
    expect(missingAddress.code).toBe(2);
    expect(missingAddress.stderr).toContain("--address is required");
    const unknownCase = await runCli([
      "--runtime",
      "volume",
      "--address",
      "unix:///nonexistent.sock",
      "--only",
      "nope",
    ]);
    expect(unknownCase.code).toBe(2);
  });
});
