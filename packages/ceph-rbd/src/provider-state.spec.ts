import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { volume } from "@iri/api";
import type { VolumeObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cephRbdBackend } from "./factory.js";
import { MiB, patterned, volumeClass, volumeIntent, writeImage } from "./testdata/fixtures.js";
import { openTestBackend, type TestBackend } from "./testdata/test-backend.js";
import {
  adminTool,
  clusterEnv,
  consumerOf,
  consumerTool,
  randomSuffix,
  readDecrypted,
} from "./testdata/test-cluster.js";

// What the provider trusts about an image lives in its store; a consumer key writes only image metadata.
let t: TestBackend;

beforeAll(async () => {
  t = await openTestBackend();
});

afterAll(async () => {
  await t?.dispose();
});

function meta(spec: string): Promise<Record<string, string>> {
  return adminTool("rbd", ["image-meta", "list", spec, "--format", "json"]).then((text) =>
    JSON.parse(text || "{}"),
  );
}

function reasons(id: string): string[] {
  return t.context.events.filter((e) => e.objectId === id).map((e) => e.reason);
}

describe("tampering with image metadata through the volume's own key", () => {
  it("QoS comes back on the next resync", async () => {
    const id = `q${randomSuffix()}`;
    const intent = volumeIntent(id, volumeClass("qos", t.pools[0], 500n, 10n * MiB), 8n * MiB);
    const first = await t.applyUntilDone(intent);
    const spec = `${first.placement.pool}/${first.placement.image}`;
    const as = consumerOf(first.observation.access);
    await consumerTool(as, "rbd", ["image-meta", "remove", spec, "conf_rbd_qos_iops_limit"]);
    await consumerTool(as, "rbd", ["image-meta", "set", spec, "conf_rbd_qos_bps_limit", "0"]);
    await t.backend.apply(intent, t.context.operation(id, first));
    expect(await meta(spec)).toMatchObject({
      conf_rbd_qos_iops_limit: "500",
      conf_rbd_qos_bps_limit: String(10 * 1024 * 1024),
    });
  });

  it("encryption and fill state are the store's: a filled encrypted volume is never formatted or copied over again", async () => {
    const cls = volumeClass("standard", t.pools[0]);
    const sourceId = `s${randomSuffix()}`;
    const source = await t.applyUntilDone(volumeIntent(sourceId, cls, 8n * MiB));
    const data = patterned(512 * 1024, 5);
    await writeImage(`${source.placement.pool}/${source.placement.image}`, 8n * MiB, data);
    const snapId = `snap${randomSuffix()}`;
    const snap = await t.backend.applySnapshot(
      { id: snapId, labels: {}, volumeId: sourceId, volumePlacement: source.placement },
      t.context.operation(snapId),
    );
    const id = `e${randomSuffix()}`;
    const intent = volumeIntent(id, cls, 32n * MiB, {
      passphrase: "pw",
      snapshot: { id: snapId, placement: snap.placement, sizeBytes: 8n * MiB },
    });
    const first = await t.applyUntilDone(intent);
    expect(first.placement).toMatchObject({ encryption: "luks2", filled: "1" });
    const spec = `${first.placement.pool}/${first.placement.image}`;
    const as = consumerOf(first.observation.access);
    // The tenant overwrites its first bytes, then tells the provider its volume is neither formatted nor filled.
    await consumerTool(as, "rbd", ["image-meta", "remove", spec, "iri.encryption"]);
    await consumerTool(as, "rbd", ["image-meta", "set", spec, "iri.filled", "0"]);
    const again = await t.backend.apply(intent, t.context.operation(id, first));
    expect(again.observation.state).toBe(volume.VolumeState.VOLUME_AVAILABLE);
    expect(again.notDone).toBeUndefined();
    expect(reasons(id).filter((r) => r === "EncryptionFormatted" || r === "EncryptedVolumeFilled")).toEqual([
      "EncryptionFormatted",
      "EncryptedVolumeFilled",
    ]);
    expect((await readDecrypted(spec, data.length, "pw", t.context.stateDir)).equals(data)).toBe(true);
  });

  it("the owner tag does not decide a recorded volume's removal", async () => {
    const id = `o${randomSuffix()}`;
    const first = await t.applyUntilDone(volumeIntent(id, volumeClass("standard", t.pools[0]), 8n * MiB));
    const spec = `${first.placement.pool}/${first.placement.image}`;
    await consumerTool(consumerOf(first.observation.access), "rbd", [
      "image-meta",
      "set",
      spec,
      "iri.tags",
      JSON.stringify({ owner: "someone-else", id, wwn: "0" }),
    ]);
    const ref = { id, placement: first.placement, signal: new AbortController().signal, event: () => {} };
    expect(await t.backend.remove(ref)).toBeUndefined();
    await expect(adminTool("rbd", ["info", spec])).rejects.toThrow();
  });
});

describe("secrets while a tool runs", () => {
  it("a LUKS2 format sees the passphrase through a FIFO and the admin key in its environment, never argv or a file", async () => {
    const passphrase = `pass-${randomSuffix()}`;
    const adminKey = /key\s*=\s*(\S+)/.exec(clusterEnv().adminKeyring)?.[1] as string;
    const id = `f${randomSuffix()}`;
    let settled = false;
    const applying = t
      .applyUntilDone(volumeIntent(id, volumeClass("standard", t.pools[0]), 8n * MiB, { passphrase }))
      .finally(() => {
        settled = true;
      });
    let formats = 0;
    while (!settled) {
      for (const pid of (await readdir("/proc")).filter((name) => /^\d+$/.test(name))) {
        const argv = await readFile(`/proc/${pid}/cmdline`, "latin1").catch(() => "");
        if (!argv.includes(`encryption\0format\0${t.pools[0]}/iri-vol-${id}`)) continue;
        formats++;
        expect(argv).not.toContain(adminKey);
        expect(argv).not.toContain(passphrase);
      }
      for (const name of await readdir(t.context.stateDir)) {
        const path = join(t.context.stateDir, name);
        const info = await lstat(path).catch(() => undefined);
        if (!info?.isFile()) continue;
        const content = await readFile(path, "latin1").catch(() => "");
        expect(content).not.toContain(adminKey);
        expect(content).not.toContain(passphrase);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await applying;
    expect(formats).toBeGreaterThan(0);
    expect((await readdir(t.context.stateDir)).filter((name) => name.startsWith(".secret-"))).toEqual([]);
  });
});

describe("migration from the pool-wide consumer user", () => {
  it("gives each volume its own user on resync, then removes the shared user", async () => {
    const legacy = `client.${t.consumerId}`;
    const poolWide = t.pools
      .slice(0, 2)
      .map((pool) => `profile rbd pool=${pool}`)
      .join(", ");
    await adminTool("ceph", [
      "auth",
      "get-or-create",
      legacy,
      "mon",
      "profile rbd",
      "osd",
      poolWide,
      "mgr",
      poolWide,
    ]);
    const legacyKey = (await adminTool("ceph", ["auth", "print-key", legacy])).trim();
    const backend = await cephRbdBackend.open(t.settings, t.context);
    try {
      // A volume as the earlier version left it: no user of its own, the shared key in its status, and a
      // placement without the store's new records (its encryption is read from the metadata, once).
      const id = `m${randomSuffix()}`;
      const intent = volumeIntent(id, volumeClass("standard", t.pools[0]), 8n * MiB);
      const made = await t.applyUntilDone(intent);
      const own = made.placement.identity as string;
      await adminTool("ceph", ["auth", "del", own]);
      const legacyObservation: VolumeObservation = {
        ...made.observation,
        access: {
          ...made.observation.access,
          secretData: {
            userID: new TextEncoder().encode(t.consumerId),
            userKey: new TextEncoder().encode(legacyKey),
          },
        } as VolumeObservation["access"],
      };
      const legacyPlacement = { pool: made.placement.pool as string, image: made.placement.image as string };

      // Not every volume has its own user yet: the shared one stays.
      await backend.collectGarbage();
      expect((await adminTool("ceph", ["auth", "print-key", legacy])).trim()).toBe(legacyKey);

      const migrated = await backend.apply(
        intent,
        t.context.operation(id, { observation: legacyObservation, placement: legacyPlacement }),
      );
      expect(consumerOf(migrated.observation.access).id).toBe(own.slice("client.".length));
      expect(migrated.placement).toMatchObject({ encryption: "none", identity: own });
      const spec = `${legacyPlacement.pool}/${legacyPlacement.image}`;
      await consumerTool(consumerOf(migrated.observation.access), "rbd", [
        "bench",
        "--io-type",
        "write",
        "--io-total",
        "64K",
        spec,
      ]);

      await backend.collectGarbage();
      await expect(adminTool("ceph", ["auth", "get", legacy])).rejects.toThrow();
      expect(t.context.logLines.some((line) => line.includes("removed the pool-wide consumer user"))).toBe(
        true,
      );
    } finally {
      await backend.close();
    }
  });
});
