import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { volume } from "@iri/api";
import { PermanentBackendError, type VolumeObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CephRbdBackend } from "./ceph-rbd-backend.js";
import { cephRbdBackend } from "./factory.js";
import { MiB, patterned, volumeClass, volumeIntent, writeImage } from "./testdata/fixtures.js";
import { openTestBackend, type Settings, type TestBackend } from "./testdata/test-backend.js";
import { adminTool, clusterEnv, randomSuffix, readDecrypted, readImage } from "./testdata/test-cluster.js";
import type { TestContext } from "./testdata/test-context.js";

let t: TestBackend;
let pools: readonly string[];
let context: TestContext;
let backend: CephRbdBackend;
let settings: Settings;
let instanceId: string;

beforeAll(async () => {
  t = await openTestBackend();
  ({ pools, context, backend, settings, instanceId } = t);
});

afterAll(async () => {
  await t?.dispose();
});

const available = volume.VolumeState.VOLUME_AVAILABLE;

function applyUntilDone(
  _id: string,
  intent: Parameters<CephRbdBackend["apply"]>[0],
  last?: VolumeObservation,
) {
  return t.applyUntilDone(intent, last);
}

/** An object reference for remove calls, recording its events like the provider does. */
function refOf(id: string, placement: Record<string, string> | undefined) {
  return {
    id,
    placement,
    signal: new AbortController().signal,
    event: (type: "Normal" | "Warning", reason: string, message: string) =>
      context.event(id, type, reason, message),
  };
}

/** Calls remove until it reports nothing left (the watch of a closed client lingers a few seconds). */
async function removeUntilDone(ref: Parameters<CephRbdBackend["remove"]>[0]) {
  const deadline = Date.now() + 60_000;
  let outcome = await backend.remove(ref);
  while (outcome && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    outcome = await backend.remove(ref);
  }
  return outcome;
}

async function openWatcher(spec: string): Promise<{ close(): Promise<void> }> {
  const env = clusterEnv();
  const keyring = process.env.CEPH_ADMIN_KEYRING as string;
  const child = spawn(
    "rbd",
    ["--conf", "/dev/null", "-m", env.monitors, "--id", "admin", "--keyring", keyring, "watch", spec],
    {
      stdio: ["pipe", "ignore", "ignore"],
    },
  );
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const deadline = Date.now() + 20_000;
  while (JSON.parse(await adminTool("rbd", ["status", spec, "--format", "json"])).watchers.length === 0) {
    if (Date.now() > deadline) throw new Error(`rbd watch ${spec} did not register`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
}

function rbdInfo(spec: string): Promise<{ id: string; size: number; parent?: unknown }> {
  return adminTool("rbd", ["info", spec, "--format", "json"]).then((text) => JSON.parse(text));
}

function rbdMeta(spec: string): Promise<Record<string, string>> {
  return adminTool("rbd", ["image-meta", "list", spec, "--format", "json"]).then((text) =>
    JSON.parse(text || "{}"),
  );
}

describe("open", () => {
  it("keeps no secret on disk: removes the admin keyring and secret files earlier versions left", async () => {
    await writeFile(join(context.stateDir, "admin.keyring"), "[client.admin]\n\tkey = x\n", { mode: 0o600 });
    await writeFile(join(context.stateDir, ".secret-0123abcd"), "passphrase", { mode: 0o600 });
    const again = await cephRbdBackend.open(settings, context);
    await again.close();
    expect(await readdir(context.stateDir)).toEqual([]);
  });

  it("refuses a consumer id that names a user with other caps, and leaves that user alone", async () => {
    await expect(cephRbdBackend.open({ ...settings, consumerId: "admin" }, context)).rejects.toThrow(
      /client\.admin exists with caps the provider never granted/,
    );
    const [entry] = JSON.parse(await adminTool("ceph", ["auth", "get", "client.admin", "--format", "json"]));
    expect(entry.caps.mon).toBe("allow *");
  });

  it("fails with the missing pool's name", async () => {
    await expect(cephRbdBackend.open({ ...settings, extraPools: "no-such-pool-x" }, context)).rejects.toThrow(
      /no-such-pool-x do not exist/,
    );
  });

  it("fails clearly when the monitors cannot be reached", async () => {
    await expect(
      cephRbdBackend.open({ ...settings, monitors: "127.0.0.1:1", timeoutSeconds: 2 }, context),
    ).rejects.toThrow(/cannot reach the Ceph monitors at 127.0.0.1:1/);
  });

  it("rejects a malformed monitor list and a missing key", async () => {
    await expect(cephRbdBackend.open({ ...settings, monitors: "127.0.0.1" }, context)).rejects.toThrow(
      /host:port/,
    );
    await expect(cephRbdBackend.open({ ...settings, adminKeyFile: "" }, context)).rejects.toThrow(/required/);
  });
});

describe("volumes", () => {
  it("creates an image rounded up, tagged, with its own cephx user in the access", async () => {
    const id = `v${randomSuffix()}`;
    const cls = volumeClass("standard", pools[0] as string);
    const { observation, placement } = await applyUntilDone(id, volumeIntent(id, cls, 3n * MiB + 5n));
    const user = `iri-${instanceId.toLowerCase()}-vol-${id}`;
    expect(placement).toEqual({
      pool: pools[0],
      image: `iri-vol-${id}`,
      encryption: "none",
      identity: `client.${user}`,
      caps: expect.stringMatching(/^[0-9a-f]{16}$/),
      rbdId: expect.stringMatching(/^[0-9a-f]+$/),
      // The class sets IOPS and throughput limits: the resync reads this volume's QoS keys.
      qos: "class",
    });
    expect(observation.state).toBe(available);
    expect(observation.storageBytes).toBe(4n * MiB);
    const spec = `${pools[0]}/iri-vol-${id}`;
    const info = await rbdInfo(spec);
    expect(info.size).toBe(4 * 1024 * 1024);
    // The id the resync confirms the image by is the image's.
    expect(placement.rbdId).toBe(info.id);
    // The volume's tags are one value, written in one call.
    const tags = JSON.parse((await rbdMeta(spec))["iri.tags"] as string);
    expect(tags).toMatchObject({ owner: instanceId, created: "test.1", id });
    const access = observation.access;
    expect(access?.driver).toBe("ceph");
    expect(access?.handle).toMatch(/^[0-9a-f]{16}$/);
    expect(tags.wwn).toBe(access?.handle);
    expect(access?.attributes).toEqual({ monitors: settings.monitors, image: spec });
    expect(new TextDecoder().decode(access?.secretData.userID)).toBe(user);
    // Exactly the caps of the volume's own image (PLATFORM-NOTES.md), nothing pool-wide.
    const [entry] = JSON.parse(
      await adminTool("ceph", ["auth", "get", `client.${user}`, "--format", "json"]),
    );
    const p = pools[0];
    expect(entry.caps).toEqual({
      mon: "profile rbd",
      osd: [
        `allow rwx pool=${p} object_prefix rbd_data.${info.id}`,
        `allow rwx pool=${p} object_prefix rbd_header.${info.id}`,
        `allow rwx pool=${p} object_prefix rbd_object_map.${info.id}`,
        `allow rx pool=${p} object_prefix rbd_id.iri-vol-${id}`,
        `allow rx pool=${p} object_prefix rbd_info`,
        `allow r pool=${p} object_prefix rbd_mirroring`,
      ].join(", "),
    });
    expect(new TextDecoder().decode(access?.secretData.userKey)).toBe(entry.key);
    // Idempotent, and with nothing changed no cephx call at all: the same access from the store's record.
    const again = await applyUntilDone(id, volumeIntent(id, cls, 3n * MiB + 5n), observation);
    expect(again.observation.access).toEqual(access);
    expect(context.events.filter((e) => e.objectId === id && e.reason === "VolumeCreated")).toHaveLength(1);
  });

  it("rounds to GiB above 1 GiB", async () => {
    const id = `v${randomSuffix()}`;
    const cls = volumeClass("standard", pools[0] as string);
    const { observation } = await applyUntilDone(id, volumeIntent(id, cls, 1536n * MiB));
    expect(observation.storageBytes).toBe(2048n * MiB);
    expect((await rbdInfo(`${pools[0]}/iri-vol-${id}`)).size).toBe(2 * 1024 * 1024 * 1024);
  });

  it("puts a volume in the pool its class names", async () => {
    const id = `v${randomSuffix()}`;
    const { placement } = await applyUntilDone(
      id,
      volumeIntent(id, volumeClass("other", pools[1] as string), 8n * MiB),
    );
    expect(placement.pool).toBe(pools[1]);
    await expect(
      backend.apply(
        volumeIntent(`v${randomSuffix()}`, volumeClass("bad", "not-a-provider-pool"), 8n * MiB),
        context.operation("x"),
      ),
    ).rejects.toSatisfy(
      (e: unknown) => e instanceof PermanentBackendError && e.reason === "PoolNotConfigured",
    );
  });

  it("expands: grows the image and reports the new size", async () => {
    const id = `v${randomSuffix()}`;
    const cls = volumeClass("standard", pools[0] as string);
    const first = await applyUntilDone(id, volumeIntent(id, cls, 8n * MiB));
    const grown = await backend.apply(
      volumeIntent(id, cls, 20n * MiB),
      context.operation(id, { observation: first.observation, placement: first.placement }),
    );
    expect(grown.observation.storageBytes).toBe(20n * MiB);
    expect((await rbdInfo(`${pools[0]}/iri-vol-${id}`)).size).toBe(20 * 1024 * 1024);
    expect(context.events.some((e) => e.objectId === id && e.reason === "VolumeExpanded")).toBe(true);
  });

  it("writes class QoS as image metadata and re-applies a changed class", async () => {
    const id = `v${randomSuffix()}`;
    const cls = volumeClass("qos", pools[0] as string, 500n, 10n * MiB);
    const first = await applyUntilDone(id, volumeIntent(id, cls, 8n * MiB));
    const spec = `${pools[0]}/iri-vol-${id}`;
    expect(await rbdMeta(spec)).toMatchObject({
      conf_rbd_qos_iops_limit: "500",
      conf_rbd_qos_iops_burst: "5000",
      conf_rbd_qos_iops_burst_seconds: "15",
      conf_rbd_qos_bps_limit: String(10 * 1024 * 1024),
      conf_rbd_qos_bps_burst: String(100 * 1024 * 1024),
      conf_rbd_qos_bps_burst_seconds: "15",
    });
    const changed = volumeClass("qos", pools[0] as string, 800n, 0n);
    await backend.apply(volumeIntent(id, changed, 8n * MiB), context.operation(id, first));
    const meta = await rbdMeta(spec);
    expect(meta.conf_rbd_qos_iops_limit).toBe("800");
    expect(meta.conf_rbd_qos_bps_limit).toBeUndefined();
  });

  it("removes a volume, idempotently, and keeps an in-use one until it is closed", async () => {
    const id = `v${randomSuffix()}`;
    const { placement } = await applyUntilDone(
      id,
      volumeIntent(id, volumeClass("standard", pools[0] as string), 8n * MiB),
    );
    const spec = `${pools[0]}/iri-vol-${id}`;
    const ref = refOf(id, placement);
    // `rbd watch` holds a watch (like an attached QEMU) until its stdin closes.
    const watcher = await openWatcher(spec);
    try {
      const outcome = await backend.remove(ref);
      expect(outcome?.reason).toBe("VolumeInUse");
      expect(outcome?.blocked).toBe(true);
      expect((await rbdInfo(spec)).size).toBe(8 * 1024 * 1024);
    } finally {
      await watcher.close();
    }
    expect(await removeUntilDone(ref)).toBeUndefined();
    await expect(rbdInfo(spec)).rejects.toThrow();
    expect(await backend.remove(ref)).toBeUndefined();
    expect(context.events.some((e) => e.objectId === id && e.reason === "VolumeDeleted")).toBe(true);
  });

  it("never removes an image another instance owns", async () => {
    const id = `v${randomSuffix()}`;
    const spec = `${pools[0]}/iri-vol-${id}`;
    await adminTool("rbd", ["create", "--size", "4M", spec]);
    await adminTool("rbd", ["image-meta", "set", spec, "iri.owner", "someone-else"]);
    expect(
      await backend.remove({
        id,
        placement: undefined,
        signal: new AbortController().signal,
        event: () => {},
      }),
    ).toBeUndefined();
    expect((await rbdInfo(spec)).size).toBe(4 * 1024 * 1024);
    const owned = await backend.listOwned();
    expect(owned.volumes.find((v) => v.id === id)?.owner).toBe("someone-else");
  });
});

describe("encryption", () => {
  it("formats LUKS2, shows the consumer the requested size, and keeps the passphrase out of files, logs and events", async () => {
    const id = `v${randomSuffix()}`;
    const passphrase = `pass-${randomSuffix()}-phrase`;
    const { observation } = await applyUntilDone(
      id,
      volumeIntent(id, volumeClass("standard", pools[0] as string), 32n * MiB, { passphrase }),
    );
    const spec = `${pools[0]}/iri-vol-${id}`;
    expect(observation.storageBytes).toBe(32n * MiB);
    expect((await rbdInfo(spec)).size).toBe(48 * 1024 * 1024);
    const header = await readImage(spec, 6);
    expect(header.equals(Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]))).toBe(true);
    expect((await rbdMeta(spec))["iri.encryption"]).toBe("luks2");
    for (const file of await readdir(context.stateDir)) {
      expect(await readFile(join(context.stateDir, file), "utf8")).not.toContain(passphrase);
    }
    expect(context.logLines.join("\n")).not.toContain(passphrase);
    expect(JSON.stringify(context.events)).not.toContain(passphrase);
  });

  it("rejects encryption without a key as permanent", async () => {
    const id = `v${randomSuffix()}`;
    await expect(
      backend.apply(
        volumeIntent(id, volumeClass("standard", pools[0] as string), 8n * MiB, { passphrase: "" }),
        context.operation(id),
      ),
    ).rejects.toSatisfy(
      (e: unknown) => e instanceof PermanentBackendError && e.reason === "EncryptionKeyMissing",
    );
  });
});

describe("capacity", () => {
  it("is the pool's stored plus max_avail from ceph df", async () => {
    const df = JSON.parse(await adminTool("ceph", ["df", "--format", "json"]));
    const stats = df.pools.find((p: { name: string }) => p.name === pools[0]).stats;
    const { totalBytes } = await backend.capacity(volumeClass("standard", pools[0] as string));
    const expected = BigInt(stats.stored) + BigInt(stats.max_avail);
    // The cluster's own writes move it a little between the two reads.
    expect(Number(totalBytes)).toBeGreaterThan(Number(expected) * 0.95);
    expect(Number(totalBytes)).toBeLessThan(Number(expected) * 1.05);
  });
});

describe("capacityGroup", () => {
  it("is the pool a class resolves to: naming the default pool or none is one group", () => {
    const named = volumeClass("named", pools[0] as string);
    const unnamed = { ...named, name: "unnamed", settings: {} };
    expect(backend.capacityGroup(unnamed)).toBe(backend.capacityGroup(named));
    expect(() => backend.capacityGroup(volumeClass("elsewhere", "no-such-pool"))).toThrow(
      PermanentBackendError,
    );
  });
});

describe("snapshots", () => {
  const snapshotOf = async (snapshotId: string, volumeId: string, placement: Record<string, string>) => {
    const outcome = await backend.applySnapshot(
      { id: snapshotId, labels: {}, volumeId, volumePlacement: placement },
      context.operation(snapshotId),
    );
    return { ...outcome, placement: outcome.placement as Record<string, string> };
  };
  const ref = refOf;
  async function removeSnapshotUntilDone(id: string, placement: Record<string, string>) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const outcome = await backend.removeSnapshot(ref(id, placement));
      if (!outcome) return;
      if (Date.now() > deadline) throw new Error(`snapshot ${id} not removed: ${outcome.message}`);
      await new Promise((r) => setTimeout(r, outcome.afterMs));
    }
  }

  it("snapshot → restore gives equal content; deleting the snapshot flattens the restored clone", async () => {
    const cls = volumeClass("standard", pools[0] as string);
    const sourceId = `v${randomSuffix()}`;
    const source = await applyUntilDone(sourceId, volumeIntent(sourceId, cls, 8n * MiB));
    const data = patterned(3 * 1024 * 1024, 5);
    await writeImage(`${pools[0]}/iri-vol-${sourceId}`, 8n * MiB, data);

    const snapId = `s${randomSuffix()}`;
    const snap = await snapshotOf(snapId, sourceId, source.placement);
    expect(snap.observation).toEqual({
      state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY,
      sizeBytes: 8n * MiB,
    });
    expect(snap.placement).toEqual({
      pool: pools[0],
      image: `iri-vol-${sourceId}`,
      snapshot: `iri-snap-${snapId}`,
      encryption: "none",
    });
    // Repeating is a no-op.
    expect((await snapshotOf(snapId, sourceId, source.placement)).observation.sizeBytes).toBe(8n * MiB);

    // Restored into the other pool, bigger than the snapshot.
    const restoredId = `v${randomSuffix()}`;
    const restored = await applyUntilDone(
      restoredId,
      volumeIntent(restoredId, volumeClass("other", pools[1] as string), 16n * MiB, {
        snapshot: { id: snapId, placement: snap.placement, sizeBytes: 8n * MiB },
      }),
    );
    expect(restored.observation.storageBytes).toBe(16n * MiB);
    const restoredSpec = `${pools[1]}/iri-vol-${restoredId}`;
    expect((await readImage(restoredSpec, data.length)).equals(data)).toBe(true);
    expect(JSON.parse((await rbdMeta(restoredSpec))["iri.tags"] as string)).toMatchObject({
      id: restoredId,
      owner: instanceId,
    });
    expect((await rbdInfo(restoredSpec)).parent).toBeDefined();

    await removeSnapshotUntilDone(snapId, snap.placement);
    expect((await rbdInfo(restoredSpec)).parent).toBeUndefined();
    expect((await readImage(restoredSpec, data.length)).equals(data)).toBe(true);
    const snaps = JSON.parse(
      await adminTool("rbd", ["snap", "ls", `${pools[0]}/iri-vol-${sourceId}`, "--format", "json"]),
    );
    expect(snaps).toEqual([]);
  });

  it("deleting a volume with snapshots keeps their data restorable and out of the volume list", async () => {
    const cls = volumeClass("standard", pools[0] as string);
    const sourceId = `v${randomSuffix()}`;
    const source = await applyUntilDone(sourceId, volumeIntent(sourceId, cls, 8n * MiB));
    const data = patterned(2 * 1024 * 1024, 9);
    await writeImage(`${pools[0]}/iri-vol-${sourceId}`, 8n * MiB, data);
    const snapId = `s${randomSuffix()}`;
    const snap = await snapshotOf(snapId, sourceId, source.placement);

    expect(await backend.remove(ref(sourceId, source.placement))).toBeUndefined();
    await expect(rbdInfo(`${pools[0]}/iri-vol-${sourceId}`)).rejects.toThrow();
    const owned = await backend.listOwned();
    expect(owned.volumes.map((v) => v.id)).not.toContain(sourceId);
    expect(owned.snapshots.find((s) => s.id === snapId)).toMatchObject({
      owner: instanceId,
      created: { lineage: "test", generation: 1 },
      placement: { pool: pools[0], image: `iri-kept-${sourceId}`, snapshot: `iri-snap-${snapId}` },
    });
    // A second remove of the volume finds nothing to do.
    expect(await backend.remove(ref(sourceId, source.placement))).toBeUndefined();

    // The snapshot's stored placement still names the old image: it is found under the kept name.
    const restoredId = `v${randomSuffix()}`;
    await applyUntilDone(
      restoredId,
      volumeIntent(restoredId, cls, 8n * MiB, {
        snapshot: { id: snapId, placement: snap.placement, sizeBytes: 8n * MiB },
      }),
    );
    expect((await readImage(`${pools[0]}/iri-vol-${restoredId}`, data.length)).equals(data)).toBe(true);

    await removeSnapshotUntilDone(snapId, snap.placement);
    await expect(rbdInfo(`${pools[0]}/iri-kept-${sourceId}`)).rejects.toThrow();
    expect((await readImage(`${pools[0]}/iri-vol-${restoredId}`, data.length)).equals(data)).toBe(true);
  });

  it("removes a volume, its snapshot and the snapshot's clone asked for at once (as a poollet does), leaving no image", async () => {
    const cls = volumeClass("standard", pools[0] as string);
    const sourceId = `v${randomSuffix()}`;
    const source = await applyUntilDone(sourceId, volumeIntent(sourceId, cls, 8n * MiB));
    const snapId = `s${randomSuffix()}`;
    const snap = await snapshotOf(snapId, sourceId, source.placement);
    const restoredId = `v${randomSuffix()}`;
    const restored = await applyUntilDone(
      restoredId,
      volumeIntent(restoredId, cls, 8n * MiB, {
        snapshot: { id: snapId, placement: snap.placement, sizeBytes: 8n * MiB },
      }),
    );
    await Promise.all([
      removeSnapshotUntilDone(snapId, snap.placement),
      removeUntilDone(ref(restoredId, restored.placement as Record<string, string>)),
      removeUntilDone(ref(sourceId, source.placement)),
    ]);
    const left = (await adminTool("rbd", ["ls", pools[0] as string]))
      .split("\n")
      .filter((name) => name.endsWith(sourceId) || name.endsWith(restoredId));
    expect(left).toEqual([]);
  });

  it("restores an encrypted snapshot with the inherited passphrase, and refuses it without", async () => {
    const cls = volumeClass("standard", pools[0] as string);
    const passphrase = `secret-${randomSuffix()}`;
    const sourceId = `v${randomSuffix()}`;
    const source = await applyUntilDone(sourceId, volumeIntent(sourceId, cls, 16n * MiB, { passphrase }));
    const snapId = `s${randomSuffix()}`;
    const snap = await snapshotOf(snapId, sourceId, source.placement);
    expect(snap.observation.sizeBytes).toBe(16n * MiB);
    const snapshot = { id: snapId, placement: snap.placement, sizeBytes: 16n * MiB };

    const restoredId = `v${randomSuffix()}`;
    const restored = await applyUntilDone(
      restoredId,
      volumeIntent(restoredId, cls, 16n * MiB, { passphrase, snapshot }),
    );
    expect(restored.observation.storageBytes).toBe(16n * MiB);
    const spec = `${pools[0]}/iri-vol-${restoredId}`;
    // Cloned, not re-formatted: the header is the source's (same LUKS2 UUID).
    const uuidOf = async (s: string) =>
      (await readImage(s, 0xb8 + 40)).subarray(0xa8, 0xa8 + 36).toString("latin1");
    expect(await uuidOf(spec)).toBe(await uuidOf(`${pools[0]}/iri-vol-${sourceId}`));

    const plainId = `v${randomSuffix()}`;
    await expect(
      backend.apply(volumeIntent(plainId, cls, 16n * MiB, { snapshot }), context.operation(plainId)),
    ).rejects.toSatisfy(
      (e: unknown) => e instanceof PermanentBackendError && e.reason === "EncryptionKeyRequired",
    );
  });

  it("restores a plaintext snapshot into an encrypted volume with equal content", async () => {
    const cls = volumeClass("standard", pools[0] as string);
    const sourceId = `v${randomSuffix()}`;
    const source = await applyUntilDone(sourceId, volumeIntent(sourceId, cls, 8n * MiB));
    const data = patterned(2 * 1024 * 1024, 11);
    await writeImage(`${pools[0]}/iri-vol-${sourceId}`, 8n * MiB, data);
    const snapId = `s${randomSuffix()}`;
    const snap = await snapshotOf(snapId, sourceId, source.placement);
    const restoredId = `v${randomSuffix()}`;
    const passphrase = `restore-${randomSuffix()}`;
    const snapshot = { id: snapId, placement: snap.placement, sizeBytes: 8n * MiB };
    const restored = await applyUntilDone(
      restoredId,
      volumeIntent(restoredId, cls, 8n * MiB, { passphrase, snapshot }),
    );
    expect(restored.observation.storageBytes).toBe(8n * MiB);
    const spec = `${pools[0]}/iri-vol-${restoredId}`;
    expect((await readImage(spec, 4)).toString("latin1")).toBe("LUKS");
    expect((await readDecrypted(spec, data.length, passphrase, context.stateDir)).equals(data)).toBe(true);
  });

  it("refuses a snapshot of a volume whose image is gone", async () => {
    const snapId = `s${randomSuffix()}`;
    await expect(
      backend.applySnapshot(
        {
          id: snapId,
          labels: {},
          volumeId: "gone",
          volumePlacement: { pool: pools[0] as string, image: "iri-vol-gone" },
        },
        context.operation(snapId),
      ),
    ).rejects.toSatisfy((e: unknown) => e instanceof PermanentBackendError && e.reason === "VolumeGone");
  });
});
