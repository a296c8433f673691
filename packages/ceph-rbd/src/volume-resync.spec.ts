import { volume } from "@iri/api";
import type { VolumeIntent, VolumeObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cephRbdBackend } from "./factory.js";
import { MiB, volumeClass, volumeIntent } from "./testdata/fixtures.js";
import { openTestBackend, type TestBackend } from "./testdata/test-backend.js";
import { adminTool, consumerOf, consumerTool, randomSuffix, readImage } from "./testdata/test-cluster.js";
import { createTestContext } from "./testdata/test-context.js";
import { logToolCalls, type ToolLog } from "./testdata/tool-log.js";

// A resync of unchanged volumes costs a listing per pool, not calls per volume; every drift still takes the
// per-volume path. `fresh` lists for every apply (as a sweep after the drift would), `shared` keeps the
// default (one listing per pool for the volumes reconciled within 30 s).
let fresh: TestBackend;
let shared: TestBackend;
let tools: ToolLog;

beforeAll(async () => {
  tools = logToolCalls();
  [fresh, shared] = await Promise.all([openTestBackend({ resyncListingMs: 0 }), openTestBackend()]);
});

afterAll(async () => {
  await Promise.all([fresh?.dispose(), shared?.dispose()]);
  tools?.dispose();
});

interface Realised {
  readonly intent: VolumeIntent;
  readonly observation: VolumeObservation;
  readonly placement: Record<string, string>;
}

/** A plain volume of a class without QoS (QoS keys are read on every resync). */
async function realise(t: TestBackend, bytes = 4n * MiB): Promise<Realised> {
  const intent = volumeIntent(`r${randomSuffix()}`, volumeClass("plain", t.pools[0], 0n, 0n), bytes);
  return { intent, ...(await t.applyUntilDone(intent)) };
}

/** One resync of `v` as the reconciler makes it: the stored placement and status handed back. */
async function resync(t: TestBackend, v: Realised) {
  tools.clear();
  const outcome = await t.backend.apply(
    v.intent,
    t.context.operation(v.intent.id, { observation: v.observation, placement: v.placement }),
  );
  return { outcome, calls: rbdCalls() };
}

/** The `rbd` processes since the last clear (a `ceph` process is a long-lived shell, started when needed). */
function rbdCalls(): string[] {
  return tools.entries().filter((entry) => entry.startsWith("rbd "));
}

function spec(v: Realised): string {
  return `${v.placement.pool}/${v.placement.image}`;
}

async function capsOf(entity: string): Promise<Record<string, string>> {
  const [entry] = JSON.parse(await adminTool("ceph", ["auth", "get", entity, "--format", "json"]));
  return entry.caps;
}

async function metadataOf(v: Realised): Promise<Record<string, string>> {
  return JSON.parse((await adminTool("rbd", ["image-meta", "list", spec(v), "--format", "json"])) || "{}");
}

function entityOf(v: { observation: VolumeObservation }): string {
  return `client.${consumerOf(v.observation.access).id}`;
}

describe("a resync of unchanged volumes", () => {
  it("confirms them from one listing per pool: no call per volume, the same outcome", async () => {
    const volumes = await Promise.all(Array.from({ length: 4 }, () => realise(shared)));
    tools.clear();
    const outcomes = await Promise.all(
      volumes.map((v) =>
        shared.backend.apply(
          v.intent,
          shared.context.operation(v.intent.id, { observation: v.observation, placement: v.placement }),
        ),
      ),
    );
    expect(rbdCalls()).toEqual(["rbd ls"]);
    for (const [i, outcome] of outcomes.entries()) {
      const v = volumes[i] as Realised;
      expect(outcome.observation).toEqual(v.observation);
      expect(outcome.placement).toEqual(v.placement);
      expect(outcome.notDone).toBeUndefined();
    }
  });

  it("records the image's RBD id once for a placement that lacks it, then confirms from the listing", async () => {
    const v = await realise(fresh);
    const { rbdId, ...older } = v.placement;
    const first = await resync(fresh, { ...v, placement: older });
    expect(first.calls).toContain("rbd info");
    expect(first.outcome.placement?.rbdId).toBe(rbdId);
    expect((await resync(fresh, v)).calls).toEqual(["rbd ls"]);
  });

  it("reads the metadata of a volume whose class has QoS (the volume's key can rewrite it), and nothing else", async () => {
    const intent = volumeIntent(`q${randomSuffix()}`, volumeClass("qos", fresh.pools[0], 500n, 0n), 4n * MiB);
    const v = { intent, ...(await fresh.applyUntilDone(intent)) };
    const { outcome, calls } = await resync(fresh, v);
    expect(calls.sort()).toEqual(["rbd image-meta", "rbd ls"]);
    expect(outcome.placement).toEqual(v.placement);
  });
});

describe("the garbage collector after a burst", () => {
  it("reads no volume's tags: it needs the owners of cache and kept images only", async () => {
    const t = await openTestBackend();
    try {
      await Promise.all(Array.from({ length: 3 }, () => realise(t)));
      tools.clear();
      await t.backend.collectGarbage();
      expect(rbdCalls().filter((call) => call !== "rbd ls")).toEqual([]);
    } finally {
      await t.dispose();
    }
  });
});

describe("drift is repaired: the image's on the per-volume path, as before; the user's from the listing", () => {
  it("an image deleted out of band is made again", async () => {
    const v = await realise(fresh);
    await adminTool("rbd", ["rm", spec(v)]);
    const { outcome, calls } = await resync(fresh, v);
    // A plain empty image is made (with its tags) by one `rbd import`.
    expect(calls).toContain("rbd import");
    expect(outcome.placement?.rbdId).not.toBe(v.placement.rbdId);
    const info = JSON.parse(await adminTool("rbd", ["info", spec(v), "--format", "json"]));
    expect(info.id).toBe(outcome.placement?.rbdId);
  });

  it("an image shrunk out of band is grown back to the size the spec asks for", async () => {
    const v = await realise(fresh, 8n * MiB);
    await adminTool("rbd", ["resize", "--allow-shrink", "--size", "4M", spec(v)]);
    const { outcome, calls } = await resync(fresh, v);
    expect(calls).toContain("rbd resize");
    expect(outcome.observation.storageBytes).toBe(8n * MiB);
    const info = JSON.parse(await adminTool("rbd", ["info", spec(v), "--format", "json"]));
    expect(info.size).toBe(8 * 2 ** 20);
  });

  it("a volume user deleted out of band is made again, and the new key is handed out", async () => {
    const v = await realise(fresh);
    const entity = entityOf(v);
    const caps = await capsOf(entity);
    await adminTool("ceph", ["auth", "del", entity]);
    const { outcome, calls } = await resync(fresh, v);
    expect(calls).toEqual(["rbd ls"]);
    expect(await capsOf(entity)).toEqual(caps);
    expect(fresh.context.events).toContainEqual(
      expect.objectContaining({ objectId: v.intent.id, type: "Warning", reason: "VolumeUserRestored" }),
    );
    const as = consumerOf(outcome.observation.access);
    expect(as.key).not.toBe(consumerOf(v.observation.access).key);
    expect((await readImage(spec(v), 512, as)).length).toBe(512);
  });

  it("a volume user's caps changed out of band are set back", async () => {
    const v = await realise(fresh);
    const entity = entityOf(v);
    const caps = await capsOf(entity);
    await adminTool("ceph", [
      "auth",
      "caps",
      entity,
      "mon",
      "allow r",
      "osd",
      `allow rwx pool=${v.placement.pool}`,
    ]);
    const { outcome, calls } = await resync(fresh, v);
    expect(calls).toEqual(["rbd ls"]);
    expect(await capsOf(entity)).toEqual(caps);
    expect(outcome.observation).toEqual(v.observation);
    expect(outcome.observation.state).toBe(volume.VolumeState.VOLUME_AVAILABLE);
  });

  it("tags and QoS keys removed through the volume's own key are written again", async () => {
    const intent = volumeIntent(`q${randomSuffix()}`, volumeClass("qos", fresh.pools[0], 500n, 0n), 4n * MiB);
    const v = { intent, ...(await fresh.applyUntilDone(intent)) };
    const before = await metadataOf(v);
    const as = consumerOf(v.observation.access);
    await consumerTool(as, "rbd", ["image-meta", "remove", spec(v), "iri.tags"]);
    await consumerTool(as, "rbd", ["image-meta", "remove", spec(v), "conf_rbd_qos_iops_limit"]);
    const { calls } = await resync(fresh, v);
    expect(calls).toContain("rbd info");
    expect(await metadataOf(v)).toEqual(before);
  });

  it("an image re-created out of band under the volume's name is not taken for the volume", async () => {
    const v = await realise(fresh);
    await adminTool("rbd", ["rm", spec(v)]);
    await adminTool("rbd", ["create", "--size", "4M", spec(v)]);
    const { calls } = await resync(fresh, v);
    expect(calls).toContain("rbd info");
  });
});

describe("another owner's volumes", () => {
  it("are never touched by a resync in the same pool", async () => {
    const otherContext = await createTestContext(`other${randomSuffix()}`);
    const other = await cephRbdBackend.open(fresh.settings, otherContext);
    try {
      const intent = volumeIntent(
        `x${randomSuffix()}`,
        volumeClass("plain", fresh.pools[0], 0n, 0n),
        4n * MiB,
      );
      const [first, ours] = await Promise.all([
        other.apply(intent, otherContext.operation(intent.id)),
        realise(fresh),
      ]);
      const theirs = await other.apply(
        intent,
        otherContext.operation(intent.id, { observation: first.observation, placement: first.placement }),
      );
      const theirSpec = `${theirs.placement?.pool}/${theirs.placement?.image}`;
      const theirEntity = entityOf(theirs);
      const before = {
        info: await adminTool("rbd", ["info", theirSpec, "--format", "json"]),
        meta: await adminTool("rbd", ["image-meta", "list", theirSpec, "--format", "json"]),
        caps: await capsOf(theirEntity),
      };
      const { calls } = await resync(fresh, ours);
      expect(calls).toEqual(["rbd ls"]);
      expect(await adminTool("rbd", ["info", theirSpec, "--format", "json"])).toBe(before.info);
      expect(await adminTool("rbd", ["image-meta", "list", theirSpec, "--format", "json"])).toBe(before.meta);
      expect(await capsOf(theirEntity)).toEqual(before.caps);
      await other.remove({
        id: intent.id,
        placement: theirs.placement,
        signal: new AbortController().signal,
        event: () => {},
      });
    } finally {
      await other.close();
      await otherContext.dispose();
    }
  });
});
