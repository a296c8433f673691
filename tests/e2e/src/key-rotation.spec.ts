// Rotating the key-encryption key (--previous-key-file) on a real provider process: machines whose specs
// hold secrets (ignition) are created under key A, the provider restarts with key B and previous A (it
// re-seals the store), then with B alone, and List still returns every secret. A start with a key that
// opens nothing fails, naming the record and not the secret.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRuntimeClient, machine } from "@iri/api";
import { afterAll, describe, expect, it } from "vitest";
import { metricValue, OPS_ON_FREE_PORT } from "./ops-metrics.js";
import { type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

const scratch = scratchDir("key-rotation");
afterAll(() => scratch.remove());

function keyFile(name: string): string {
  const path = join(scratch.dir, name);
  writeFileSync(path, randomBytes(32), { mode: 0o600 });
  return path;
}

async function ignitions(p: ProviderProcess): Promise<Record<string, string>> {
  const { machines } = await createRuntimeClient(machine.MachineRuntime, p.address).listMachines({});
  return Object.fromEntries(
    machines.map((m) => [m.metadata?.id ?? "", new TextDecoder().decode(m.spec?.ignitionData)]),
  );
}

/** Runs the provider until it serves, hands it to `use`, then stops it with SIGTERM. */
async function withProvider<T>(args: string[], use: (p: ProviderProcess) => Promise<T>): Promise<T> {
  const p = await startProvider("machine", scratch.dir, args);
  try {
    return await use(p);
  } finally {
    await p.kill("SIGTERM");
  }
}

describe("key-encryption key rotation", () => {
  const keyA = keyFile("kek-a");
  const keyB = keyFile("kek-b");
  const planted: Record<string, string> = {};

  it("re-seals the store with the new key and then serves the secrets without the old one", async () => {
    await withProvider(["--key-file", keyA], async (p) => {
      const client = createRuntimeClient(machine.MachineRuntime, p.address);
      for (let i = 0; i < 3; i++) {
        const secret = `IGNITION-ROTATE-${i}-${randomBytes(4).toString("hex")}`;
        const r = await client.createMachine({
          machine: {
            metadata: {},
            spec: { class: "t3-small", ignitionData: new TextEncoder().encode(secret) },
          },
        });
        planted[r.machine?.metadata?.id ?? ""] = secret;
      }
    });

    const rotated = await withProvider(
      ["--key-file", keyB, "--previous-key-file", keyA, ...OPS_ON_FREE_PORT],
      async (p) => {
        expect(await ignitions(p)).toEqual(planted);
        // Every machine's sealed record was sealed again with key B at this start.
        expect(await metricValue(p, "iri_resealed_records_total")).toBe(3);
        return p.output();
      },
    );
    for (const secret of Object.values(planted)) expect(rotated).not.toContain(secret);

    await withProvider(["--key-file", keyB], async (p) => {
      expect(await ignitions(p)).toEqual(planted);
    });
    const state = join(scratch.dir, "machine-state");
    for (const name of readdirSync(state).filter((n) => n.startsWith("store.db")))
      for (const secret of Object.values(planted))
        expect(readFileSync(join(state, name)).includes(secret)).toBe(false);
  });

  it("refuses to start with a key that opens nothing, naming the record and not the secret", async () => {
    const error = await startProvider("machine", scratch.dir, ["--key-file", keyA]).then(
      async (p) => {
        await p.kill("SIGTERM");
        return "";
      },
      (err: Error) => err.message,
    );
    const id = Object.keys(planted)[0] ?? "";
    expect(error).toMatch(/another key-encryption key \(see --key-file\)/);
    expect(error).toContain(`machine "${id}"`);
    for (const secret of Object.values(planted)) expect(error).not.toContain(secret);
  });
});
