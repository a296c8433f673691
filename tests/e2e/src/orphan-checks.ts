// What an operator sees of the orphan pass: the iri_orphans gauge on the ops endpoint and the instance id.
import type { ProviderProcess } from "./provider-process.js";
import { eventually } from "./provider-process.js";

/** The flags that give a provider an ops endpoint on a free port (read back with opsBase). */
export const OPS_ON_FREE_PORT = ["--ops-address", "127.0.0.1:0"];

function opsBase(p: ProviderProcess): string {
  const port = Number(/"opsPort":(\d+)/.exec(p.output())?.[1]);
  if (!port) throw new Error(`no ops port in the provider's output:\n${p.output()}`);
  return `http://127.0.0.1:${port}`;
}

/** The provider's owner instance id, as it logs it when its backend is open. */
export function instanceIdOf(p: ProviderProcess): string {
  const id = /"instanceId":"([0-9a-f]+)"/.exec(p.output())?.[1];
  if (!id) throw new Error(`no instance id in the provider's output:\n${p.output()}`);
  return id;
}

/** `iri_orphans{kind,verdict}`, or undefined before the orphan pass of that kind finished once. */
async function orphanGauge(p: ProviderProcess, kind: string, verdict: string): Promise<number | undefined> {
  const text = await (await fetch(`${opsBase(p)}/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith("iri_orphans{") && l.includes(`kind="${kind}"`) && l.includes(`verdict="${verdict}"`),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
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
    async () => ((await orphanGauge(p, kind, verdict)) === count ? true : undefined),
    ms,
  );
}
