// The conformance suite against the machine provider on its real backend (qemu): the suite's machines use
// images and Ceph monitors that do not exist, so their QEMUs never start, but every API rule must hold as it
// does with the noop backend.
import { caseNames, runConformance } from "@iri/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

describe("conformance of the machine provider with the qemu backend", () => {
  const scratch = scratchDir("conformance-qemu");
  let provider: ProviderProcess;
  let report: Awaited<ReturnType<typeof runConformance>>;

  beforeAll(async () => {
    provider = await startProvider("machine", scratch.dir, [
      "--backend",
      "qemu",
      "--streaming-address",
      "127.0.0.1:0",
      "--qemu-shutdown-timeout",
      "1",
    ]);
    report = await runConformance({ runtime: "machine", address: provider.address });
  }, 300_000);

  afterAll(async () => {
    await provider?.kill("SIGTERM");
    scratch.remove();
  });

  it.each([...caseNames.machine])("%s", (name) => {
    const result = report.results.find((r) => r.name === name);
    expect(result, `case ${name} did not run`).toBeDefined();
    expect(result?.error).toBeUndefined();
    expect(result?.ok).toBe(true);
  });
});
