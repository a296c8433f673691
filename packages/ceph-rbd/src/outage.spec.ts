import { BackendUnavailableError, type VolumeObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CephRbdBackend } from "./ceph-rbd-backend.js";
import { cephRbdBackend } from "./factory.js";
import { MiB, volumeClass, volumeIntent } from "./testdata/fixtures.js";
import { type ScratchCluster, startScratchCluster } from "./testdata/scratch-cluster.js";
import { defaultSettings } from "./testdata/test-backend.js";
import { randomSuffix } from "./testdata/test-cluster.js";
import { createTestContext, type TestContext } from "./testdata/test-context.js";

let cluster: ScratchCluster;
let context: TestContext;
let backend: CephRbdBackend;

beforeAll(async () => {
  cluster = await startScratchCluster();
  context = await createTestContext(`outage${randomSuffix()}`);
  backend = await cephRbdBackend.open(
    {
      ...defaultSettings(),
      monitors: cluster.monitors,
      adminKeyFile: cluster.adminKeyring,
      pool: "rbd",
      timeoutSeconds: 3,
    },
    context,
  );
}, 240_000);

afterAll(async () => {
  await backend?.close();
  await cluster?.destroy();
  await context?.dispose();
});

describe("a stopped monitor", () => {
  it("makes operations fail as unavailable within the timeout, and they converge once it is back", async () => {
    const cls = volumeClass("standard", "rbd");
    const before = `v${randomSuffix()}`;
    const first = await backend.apply(
      volumeIntent(before, cls, 8n * MiB),
      context.operation<VolumeObservation>(before),
    );
    expect(first.observation.state).toBe(1);

    await cluster.stopMonitor();
    const id = `v${randomSuffix()}`;
    const started = Date.now();
    await expect(
      backend.apply(volumeIntent(id, cls, 8n * MiB), context.operation<VolumeObservation>(id)),
    ).rejects.toBeInstanceOf(BackendUnavailableError);
    // The per-call deadline is a few timeouts, never minutes.
    expect(Date.now() - started).toBeLessThan(20_000);
    await expect(backend.capacity(cls)).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(backend.listOwned()).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(
      backend.remove({
        id: before,
        placement: first.placement,
        signal: new AbortController().signal,
        event: () => {},
      }),
    ).rejects.toBeInstanceOf(BackendUnavailableError);

    await cluster.startMonitor();
    // The reconciler's back-off retries: poll until the cluster answers again.
    const deadline = Date.now() + 60_000;
    let outcome: Awaited<ReturnType<CephRbdBackend["apply"]>> | undefined;
    while (!outcome) {
      outcome = await backend
        .apply(volumeIntent(id, cls, 8n * MiB), context.operation<VolumeObservation>(id))
        .catch((error) => {
          if (!(error instanceof BackendUnavailableError) || Date.now() > deadline) throw error;
          return undefined;
        });
    }
    expect(outcome.observation.state).toBe(1);
    const owned = await backend.listOwned();
    expect(owned.volumes.map((v) => v.id).sort()).toEqual([before, id].sort());
    expect((await backend.capacity(cls)).totalBytes).toBeGreaterThan(0n);
  });
});
