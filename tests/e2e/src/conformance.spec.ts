// The conformance suite against each provider app with its default (noop) backend, one vitest case per
// conformance case so that a failure names the broken rule.
import { runConformance } from "@iri/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderProcess, type Runtime, scratchDir, startProvider } from "./provider-process.js";

const runtimes: Runtime[] = ["machine", "volume", "bucket"];

describe.each(runtimes)("conformance of the %s provider", (runtime) => {
  const scratch = scratchDir(`conformance-${runtime}`);
  let provider: ProviderProcess;
  let results: Awaited<ReturnType<typeof runConformance>>;

  beforeAll(async () => {
    provider = await startProvider(runtime, scratch.dir);
    results = await runConformance({ runtime, address: provider.address });
  });

  afterAll(async () => {
    await provider?.kill("SIGTERM");
    scratch.remove();
  });

  it("runs every case", () => {
    expect(results.results.length).toBeGreaterThan(10);
    expect(results.passed + results.failed).toBe(results.results.length);
  });

  it("passes every case", () => {
    const failures = results.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    expect(failures).toEqual([]);
  });
});
