// The conformance suite against each provider app with its default (noop) backend. The suite runs once per
// runtime; each of its cases is reported as a vitest case, so that a failure names the broken rule.
import { caseNames, runConformance } from "@iri/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderProcess, type Runtime, scratchDir, startProvider } from "./provider-process.js";

const runtimes: Runtime[] = ["machine", "volume", "bucket"];

describe.each(runtimes)("conformance of the %s provider", (runtime) => {
  const scratch = scratchDir(`conformance-${runtime}`);
  let provider: ProviderProcess;
  let report: Awaited<ReturnType<typeof runConformance>>;

  beforeAll(async () => {
    provider = await startProvider(runtime, scratch.dir);
    report = await runConformance({ runtime, address: provider.address });
  });

  afterAll(async () => {
    await provider?.kill("SIGTERM");
    scratch.remove();
  });

  it.each([...caseNames[runtime]])("%s", (name) => {
    const result = report.results.find((r) => r.name === name);
    expect(result, `case ${name} did not run`).toBeDefined();
    expect(result?.error).toBeUndefined();
    expect(result?.ok).toBe(true);
  });
});
