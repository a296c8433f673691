// What an operator sees of the orphan pass: the iri_orphans gauge on the ops endpoint and the instance id.

import { metricValue } from "./ops-metrics.js";
import type { ProviderProcess } from "./provider-process.js";
import { eventually } from "./provider-process.js";

/** The provider's owner instance id, as it logs it when its backend is open. */
export function instanceIdOf(p: ProviderProcess): string {
  const id = /"instanceId":"([0-9a-f]+)"/.exec(p.output())?.[1];
  if (!id) throw new Error(`no instance id in the provider's output:\n${p.output()}`);
  return id;
}

/** Waits until an orphan pass of `kind` counted `count` resources as `verdict`. */
export function orphansCounted(
  p: ProviderProcess,
  kind: string,
  verdict: string,
  count: number,
  ms = 60_000,
): Promise<true> {
  return eventually(
    `iri_orphans{kind="${kind}",verdict="${verdict}"} ${count}`,
    async () => ((await metricValue(p, "iri_orphans", { kind, verdict })) === count ? true : undefined),
    ms,
  );
}
