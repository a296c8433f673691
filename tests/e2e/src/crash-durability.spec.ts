// An acknowledged create or delete survives kill -9 of the provider; after a restart the provider converges.
import { create } from "@bufbuild/protobuf";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, scratchDir, startProvider } from "./provider-process.js";

const scratch = scratchDir("crash");
afterAll(() => scratch.remove());

describe("kill -9 of a provider", () => {
  it("keeps a machine whose create was acknowledged just before the kill", async () => {
    const dir = `${scratch.dir}/one`;
    const first = await startProvider("machine", dir);
    const client = createRuntimeClient(machine.MachineRuntime, first.address);
    const created = await client.createMachine({
      machine: { metadata: { labels: { "test.iri/case": "ack-then-kill" } }, spec: { class: "t3-small" } },
    });
    await first.kill("SIGKILL");

    const second = await startProvider("machine", dir);
    try {
      const again = createRuntimeClient(machine.MachineRuntime, second.address);
      const listed = await again.listMachines({ filter: { id: created.machine?.metadata?.id ?? "" } });
      expect(listed.machines).toHaveLength(1);
      expect(listed.machines[0]?.metadata?.labels).toEqual({ "test.iri/case": "ack-then-kill" });
      // After the restart the reconciler picks the machine up again.
      await eventually("machine running after restart", async () => {
        const r = await again.listMachines({ filter: { id: created.machine?.metadata?.id ?? "" } });
        return r.machines[0]?.status?.state === machine.MachineState.MACHINE_RUNNING ? true : undefined;
      });
    } finally {
      await second.kill("SIGTERM");
    }
  });

  it("keeps the events recorded before the kill", async () => {
    const dir = `${scratch.dir}/events`;
    const first = await startProvider("machine", dir);
    const client = createRuntimeClient(machine.MachineRuntime, first.address);
    const created = await client.createMachine({
      machine: { metadata: { labels: { "test.iri/case": "events" } }, spec: { class: "t3-small" } },
    });
    const id = created.machine?.metadata?.id ?? "";
    const before = await eventually("an event about the machine", async () => {
      const r = await client.listEvents({ filter: { id } });
      return r.events.length > 0 ? r.events : undefined;
    });
    await first.kill("SIGKILL");

    const second = await startProvider("machine", dir);
    try {
      const after = await createRuntimeClient(machine.MachineRuntime, second.address).listEvents({
        filter: { labelSelector: { "test.iri/case": "events" } },
      });
      expect(after.events.slice(0, before.length)).toEqual(before);
    } finally {
      await second.kill("SIGTERM");
    }
  });

  it("loses no acknowledged volume create during a storm interrupted by kill -9", async () => {
    const dir = `${scratch.dir}/storm`;
    const first = await startProvider("volume", dir);
    const client = createRuntimeClient(volume.VolumeRuntime, first.address);
    const acknowledged: string[] = [];
    const storm = Array.from({ length: 8 }, async (_, worker) => {
      for (let i = 0; ; i++) {
        try {
          const res = await client.createVolume({
            volume: {
              metadata: { labels: { worker: String(worker), n: String(i) } },
              spec: { class: "standard", resources: { storageBytes: 1n << 30n } },
            },
          });
          acknowledged.push(res.volume?.metadata?.id ?? "");
        } catch {
          return; // the provider is gone
        }
      }
    });
    await eventually("some creates acknowledged", async () =>
      acknowledged.length >= 200 ? true : undefined,
    );
    await first.kill("SIGKILL");
    await Promise.all(storm);

    const second = await startProvider("volume", dir);
    try {
      const listed = await createRuntimeClient(volume.VolumeRuntime, second.address).listVolumes({});
      const present = new Set(listed.volumes.map((v) => v.metadata?.id));
      expect(acknowledged.filter((id) => !present.has(id))).toEqual([]);
    } finally {
      await second.kill("SIGTERM");
    }
  });

  it("finishes an acknowledged bucket delete after a restart", async () => {
    const dir = `${scratch.dir}/delete`;
    const first = await startProvider("bucket", dir);
    const client = createRuntimeClient(bucket.BucketRuntime, first.address);
    const created = await client.createBucket({
      bucket: create(bucket.BucketSchema, { metadata: {}, spec: { class: "standard" } }),
    });
    const id = created.bucket?.metadata?.id ?? "";
    await client.deleteBucket({ bucketId: id });
    await first.kill("SIGKILL");

    const second = await startProvider("bucket", dir);
    try {
      const again = createRuntimeClient(bucket.BucketRuntime, second.address);
      await eventually("bucket gone after restart", async () => {
        const r = await again.listBuckets({ filter: { id } });
        return r.buckets.length === 0 ? true : undefined;
      });
    } finally {
      await second.kill("SIGTERM");
    }
  });
});
