// A store restored from an older backup (orphans need proof of ownership): what the providers created after the backup was
// taken is unknown to the restored store, but it is not an orphan of it. It is quarantined (counted, a Warning
// event) and stays, even with --orphan-removal=force: machine on qemu, volume on ceph, bucket on rgw and minio.
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";
import { afterAll, describe, expect, it } from "vitest";
import { backendArgs, leftovers, type Store } from "./bucket-stores.js";
import { admin, cephSetup } from "./ceph-setup.js";
import { OPS_ON_FREE_PORT } from "./ops-metrics.js";
import { orphansCounted } from "./orphan-checks.js";
import {
  eventually,
  type ProviderProcess,
  type Runtime,
  scratchDir,
  startProvider,
} from "./provider-process.js";

const scratch = scratchDir("restored-state");
afterAll(() => scratch.remove());

interface Scenario {
  /** Names the test's scratch directory. */
  name: string;
  runtime: Runtime;
  /** The orphan pass's kind (`iri_orphans{kind}`). */
  kind: string;
  args: string[];
  /** Creates an object and waits until the backend realised it; returns its id. */
  create(p: ProviderProcess): Promise<string>;
  /** Whether the backend still holds what it created for `id`. */
  holds(stateDir: string, id: string): Promise<boolean>;
  /** Deletes `id` through gRPC and waits until it is gone. */
  remove(p: ProviderProcess, id: string): Promise<void>;
}

async function listEvents(p: ProviderProcess, id: string) {
  const clients = {
    machine: () => createRuntimeClient(machine.MachineRuntime, p.address).listEvents({ filter: { id } }),
    volume: () => createRuntimeClient(volume.VolumeRuntime, p.address).listEvents({ filter: { id } }),
    bucket: () => createRuntimeClient(bucket.BucketRuntime, p.address).listEvents({ filter: { id } }),
  };
  return (await clients[p.runtime]()).events;
}

/** Copies the store (the SQLite file and its journal files) of a state directory to `to`; returns `to`. */
function copyStore(stateDir: string, to: string): string {
  mkdirSync(to);
  for (const name of readdirSync(stateDir).filter((n) => n.startsWith("store.db"))) {
    cpSync(join(stateDir, name), join(to, name));
  }
  return to;
}

/** Puts a copied store back in place of the state directory's own. */
function restoreStore(copy: string, stateDir: string): void {
  for (const name of readdirSync(stateDir).filter((n) => n.startsWith("store.db")))
    rmSync(join(stateDir, name));
  for (const name of readdirSync(copy)) cpSync(join(copy, name), join(stateDir, name));
}

/**
 * Creates A, backs the store up, creates B, restores the backup and starts again with orphan
 * removal forced: B is quarantined and kept, A untouched. Then the later store (which knows both) deletes both.
 */
async function restoreOlderState(s: Scenario): Promise<void> {
  const dir = join(scratch.dir, s.name);
  const args = [...s.args, ...OPS_ON_FREE_PORT];
  const first = await startProvider(s.runtime, dir, args);
  const state = first.stateDir;
  const older = await s.create(first).finally(() => first.kill("SIGTERM"));
  const backup = copyStore(state, join(dir, "backup"));

  const second = await startProvider(s.runtime, dir, args);
  const newer = await s.create(second).finally(() => second.kill("SIGTERM"));
  const later = copyStore(state, join(dir, "later"));
  restoreStore(backup, state);

  const restored = await startProvider(s.runtime, dir, [...args, "--orphan-removal", "force"]);
  try {
    await orphansCounted(restored, s.kind, "quarantined", 1).catch((e) => {
      throw new Error(
        `${e}\n${restored
          .output()
          .split("\n")
          .filter((l) => !l.includes('"msg":"rpc"'))
          .join("\n")
          .slice(-4000)}`,
      );
    });
    const events = await eventually("the quarantine event", async () => {
      const found = (await listEvents(restored, newer)).filter((e) => e.spec?.reason === "OrphanQuarantined");
      return found.length > 0 ? found : undefined;
    });
    expect(events[0]?.spec?.type).toBe("Warning");
    expect(events[0]?.spec?.message).toMatch(/high-water mark|never had/);
  } finally {
    await restored.kill("SIGTERM");
  }
  expect(await s.holds(state, newer)).toBe(true);
  expect(await s.holds(state, older)).toBe(true);

  // The later store knows both: it deletes them (and leaves the shared services clean).
  restoreStore(later, state);
  const cleaner = await startProvider(s.runtime, dir, args);
  try {
    await s.remove(cleaner, older);
    await s.remove(cleaner, newer);
  } finally {
    await cleaner.kill("SIGTERM");
  }
  expect(await s.holds(state, newer)).toBe(false);
}

const machineDir = (stateDir: string, id: string) => join(stateDir, "backend", "qemu", "machines", id);

describe("a restored older state directory", () => {
  it("quarantines machines created after the backup (qemu)", async () => {
    const classFile = join(scratch.dir, "machine-classes.json");
    writeFileSync(classFile, JSON.stringify([{ name: "tiny", capabilities: { cpu: 1, memory: 268435456 } }]));
    await restoreOlderState({
      name: "machine-qemu",
      runtime: "machine",
      kind: "machine",
      args: ["--backend", "qemu", "--class-file", classFile, "--streaming-address", "127.0.0.1:0"],
      async create(p) {
        const client = createRuntimeClient(machine.MachineRuntime, p.address);
        const created = await client.createMachine({
          machine: { spec: { class: "tiny", power: machine.Power.OFF } },
        });
        const id = created.machine?.metadata?.id ?? "";
        await eventually("the machine realised (powered off)", async () => {
          const m = (await client.listMachines({ filter: { id } })).machines[0];
          return m?.status?.state === machine.MachineState.MACHINE_SUSPENDED ? true : undefined;
        });
        return id;
      },
      holds: async (stateDir, id) => existsSync(machineDir(stateDir, id)),
      async remove(p, id) {
        const client = createRuntimeClient(machine.MachineRuntime, p.address);
        await client.deleteMachine({ machineId: id });
        await eventually("the machine gone", async () =>
          (await client.listMachines({ filter: { id } })).machines.length === 0 ? true : undefined,
        );
      },
    });
  }, 180_000);

  it("quarantines volumes created after the backup (ceph)", async () => {
    const dir = join(scratch.dir, "ceph-setup");
    mkdirSync(dir);
    const setup = await cephSetup(dir, `restore-${randomBytes(4).toString("hex")}`);
    try {
      await restoreOlderState({
        name: "volume-ceph",
        runtime: "volume",
        kind: "volume",
        args: setup.args,
        async create(p) {
          const client = createRuntimeClient(volume.VolumeRuntime, p.address);
          const created = await client.createVolume({
            volume: { spec: { class: "standard", resources: { storageBytes: 1n << 30n } } },
          });
          const id = created.volume?.metadata?.id ?? "";
          await eventually(
            "the volume available",
            async () => {
              const v = (await client.listVolumes({ filter: { id } })).volumes[0];
              return v?.status?.state === volume.VolumeState.VOLUME_AVAILABLE ? true : undefined;
            },
            60_000,
          );
          return id;
        },
        async holds(_stateDir, id) {
          const images: string[] = JSON.parse(await admin("rbd", ["ls", setup.pool, "--format", "json"]));
          return images.some((image) => image.endsWith(`-vol-${id}`));
        },
        async remove(p, id) {
          const client = createRuntimeClient(volume.VolumeRuntime, p.address);
          await client.deleteVolume({ volumeId: id });
          await eventually(
            "the volume gone",
            async () =>
              (await client.listVolumes({ filter: { id } })).volumes.length === 0 ? true : undefined,
            60_000,
          );
        },
      });
    } finally {
      await setup.remove();
    }
  }, 300_000);

  it.each(["rgw", "minio"] as Store[])(
    "quarantines buckets created after the backup (%s)",
    async (store) => {
      await restoreOlderState({
        name: `bucket-${store}`,
        runtime: "bucket",
        kind: "bucket",
        args: backendArgs(store, scratch.dir),
        async create(p) {
          const client = createRuntimeClient(bucket.BucketRuntime, p.address);
          const created = await client.createBucket({
            bucket: create(bucket.BucketSchema, { metadata: {}, spec: { class: "standard" } }),
          });
          const id = created.bucket?.metadata?.id ?? "";
          await eventually(
            "the bucket available",
            async () => {
              const b = (await client.listBuckets({ filter: { id } })).buckets[0];
              return b?.status?.state === bucket.BucketState.BUCKET_AVAILABLE ? true : undefined;
            },
            60_000,
          );
          return id;
        },
        holds: async (_stateDir, id) => (await leftovers(store, id)).length > 0,
        async remove(p, id) {
          const client = createRuntimeClient(bucket.BucketRuntime, p.address);
          await client.deleteBucket({ bucketId: id });
          await eventually(
            "the bucket gone",
            async () =>
              (await client.listBuckets({ filter: { id } })).buckets.length === 0 ? true : undefined,
            60_000,
          );
        },
      });
    },
    300_000,
  );
});
