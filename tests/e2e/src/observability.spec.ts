// What an operator sees: health, readiness and metrics over HTTP, and logs that never carry a secret.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createRuntimeClient, machine } from "@iri/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

const scratch = scratchDir("observability");
let provider: ProviderProcess;
let opsBase: string;

beforeAll(async () => {
  provider = await startProvider("machine", scratch.dir, [
    "--ops-address",
    "127.0.0.1:0",
    "--log-level",
    "debug",
  ]);
  const line = provider
    .output()
    .split("\n")
    .find((l) => l.includes('"provider serving"'));
  const port = line ? (JSON.parse(line) as { opsPort?: number }).opsPort : undefined;
  if (!port) throw new Error(`no ops port in output:\n${provider.output()}`);
  opsBase = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await provider?.kill("SIGTERM");
  scratch.remove();
});

describe("ops endpoint", () => {
  it("answers /healthz and /readyz with 200 while serving", async () => {
    expect((await fetch(`${opsBase}/healthz`)).status).toBe(200);
    expect((await fetch(`${opsBase}/readyz`)).status).toBe(200);
  });

  it("exports request counts by method and code, and the object count", async () => {
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    await client.listMachines({});
    await expect(client.deleteMachine({ machineId: "does-not-exist" })).rejects.toThrow();
    const text = await (await fetch(`${opsBase}/metrics`)).text();
    expect(text).toMatch(
      /iri_grpc_requests_total\{[^}]*method="[^"]*ListMachines"[^}]*code="OK"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /iri_grpc_requests_total\{[^}]*method="[^"]*DeleteMachine"[^}]*code="NotFound"[^}]*\} 1/,
    );
    expect(text).toMatch(/iri_objects\{[^}]*kind="machine"[^}]*\} \d+/);
    expect(text).toMatch(/iri_list_response_last_bytes\{[^}]*ListMachines/);
  });
});

describe("under concurrent load", () => {
  it("serves many calls at once without process warnings", async () => {
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    await Promise.all(Array.from({ length: 50 }, () => client.listMachines({})));
    expect(provider.output()).not.toContain("Warning");
  });
});

describe("secrets", () => {
  it("never appear in the provider's logs or events, also when calls fail", async () => {
    const ignition = "IGNITION-SECRET-4b1d";
    const userKey = "CEPHX-SECRET-9f2a";
    const passphrase = "LUKS-SECRET-77c0";
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    const volume = create(machine.VolumeSchema, {
      name: "root",
      device: "oda",
      connection: {
        driver: "ceph",
        handle: "rbd/vol-1",
        secretData: {
          userID: new TextEncoder().encode("consumer"),
          userKey: new TextEncoder().encode(userKey),
        },
        encryptionData: { encryptionKey: new TextEncoder().encode(passphrase) },
      },
    });
    const created = await client.createMachine({
      machine: {
        metadata: { labels: { "test.iri/case": "secrets" } },
        spec: { class: "t3-small", ignitionData: new TextEncoder().encode(ignition), volumes: [volume] },
      },
    });
    const id = created.machine?.metadata?.id ?? "";
    // A failing call carrying the same secrets (duplicate volume name → AlreadyExists).
    await expect(client.attachVolume({ machineId: id, volume })).rejects.toThrow(/already/);
    // An invalid call carrying them (unknown class → InvalidArgument).
    await expect(
      client.createMachine({
        machine: {
          spec: {
            class: "no-such-class",
            ignitionData: new TextEncoder().encode(ignition),
            volumes: [volume],
          },
        },
      }),
    ).rejects.toThrow(/class/);
    const events = await client.listEvents({});
    await client.deleteMachine({ machineId: id });

    const seen =
      provider.output() + JSON.stringify(events, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    for (const secret of [ignition, userKey, passphrase]) {
      expect(seen).not.toContain(secret);
      expect(seen).not.toContain(Buffer.from(secret).toString("base64"));
    }
    expect(provider.output()).toContain("CreateMachine");
  });

  it("are sealed at rest: the store's files hold none of them, and the key file is 0600", async () => {
    const ignition = "IGNITION-AT-REST-5e7a";
    const passphrase = "LUKS-AT-REST-31c9";
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    await client.createMachine({
      machine: {
        spec: {
          class: "t3-small",
          ignitionData: new TextEncoder().encode(ignition),
          volumes: [
            create(machine.VolumeSchema, {
              name: "data",
              device: "odb",
              connection: {
                driver: "ceph",
                handle: "h",
                encryptionData: { encryptionKey: new TextEncoder().encode(passphrase) },
              },
            }),
          ],
        },
      },
    });
    const files = readdirSync(provider.stateDir).filter((f) => f.startsWith("store.db"));
    expect(files).toContain("store.db");
    for (const file of files) {
      const bytes = readFileSync(join(provider.stateDir, file));
      expect(bytes.includes(ignition)).toBe(false);
      expect(bytes.includes(passphrase)).toBe(false);
    }
    expect(statSync(join(provider.stateDir, "kek")).mode & 0o777).toBe(0o600);
    // In memory the spec is as sent: ListMachines still echoes it.
    const listed = await client.listMachines({});
    const echoed = listed.machines.find((m) => new TextDecoder().decode(m.spec?.ignitionData) === ignition);
    expect(echoed).toBeDefined();
  });
});
