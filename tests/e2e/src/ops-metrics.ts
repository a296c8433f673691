// What an operator reads of a running provider: the metrics on its ops endpoint.
import type { ProviderProcess } from "./provider-process.js";

/** The flags that give a provider an ops endpoint on a free port (read back from its "provider serving" line). */
export const OPS_ON_FREE_PORT = ["--ops-address", "127.0.0.1:0"];

function opsBase(p: ProviderProcess): string {
  const port = Number(/"opsPort":(\d+)/.exec(p.output())?.[1]);
  if (!port) throw new Error(`no ops port in the provider's output:\n${p.output()}`);
  return `http://127.0.0.1:${port}`;
}

/**
 * The value of the series `name` whose labels include every pair of `labels`, or undefined while the
 * provider has not reported it.
 */
export async function metricValue(
  p: ProviderProcess,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(`${opsBase(p)}/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (l) =>
        (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}
