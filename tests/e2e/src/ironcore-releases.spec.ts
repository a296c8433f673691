// What the released IronCore poollets (v0.3.x – v0.5.0) send differently from IronCore main, as real processes
// on real sockets (noop backends): the sockets they dial, the Kubernetes Volume name as a snapshot's volume_id,
// and the deprecated VolumeSpec.image (field 1) on the wire.
import { existsSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type ProviderProcess,
  type Runtime,
  scratchDir,
  startProvider,
} from "./provider-process.js";

const services = {
  machine: machine.MachineRuntime,
  volume: volume.VolumeRuntime,
  bucket: bucket.BucketRuntime,
};
/** The socket names poollets before v0.5.0 dial (README: IronCore compatibility). */
const legacySocket: Record<Runtime, string> = {
  machine: "iri-virtd.sock",
  volume: "iri-cephd.sock",
  bucket: "iri-cephd.sock",
};
const scratch = scratchDir("ironcore-releases");
afterAll(() => scratch.remove());

describe.each(["machine", "volume", "bucket"] as Runtime[])("the %s provider", (runtime) => {
  it("serves the same service on --extra-socket-path, and removes every socket on SIGTERM", async () => {
    const dir = `${scratch.dir}/sockets-${runtime}`;
    const extra = `${dir}/run/${legacySocket[runtime]}`;
    const provider = await startProvider(runtime, dir, ["--extra-socket-path", extra]);
    const viaExtra = createRuntimeClient(services[runtime], `unix://${extra}`);
    expect((await viaExtra.version({})).runtimeName).not.toBe("");
    expect(await provider.kill("SIGTERM")).toBe(0);
    expect(existsSync(extra)).toBe(false);
    expect(existsSync(provider.socketPath)).toBe(false);
  });
});

describe("the volume provider and released volumepoollets", () => {
  let provider: ProviderProcess;
  let client: ReturnType<typeof createRuntimeClient<typeof volume.VolumeRuntime>>;
  beforeAll(async () => {
    provider = await startProvider("volume", `${scratch.dir}/volume`);
    client = createRuntimeClient(volume.VolumeRuntime, provider.address);
  });
  afterAll(() => provider.kill("SIGTERM"));

  const poolletLabels = (name: string, namespace: string) => ({
    "volumepoollet.ironcore.dev/volume-name": name,
    "volumepoollet.ironcore.dev/volume-namespace": namespace,
    "volumepoollet.ironcore.dev/volume-uid": `${namespace}-${name}-uid`,
  });

  it("snapshots a volume named by its Kubernetes name (v0.4.x/v0.5.0) or by its IRI id (main), both Ready", async () => {
    const created = await client.createVolume({
      volume: {
        metadata: { labels: poolletLabels("vol2", "e2e-a") },
        spec: { class: "standard", resources: { storageBytes: 1n << 30n } },
      },
    });
    const volumeId = created.volume?.metadata?.id ?? "";
    const byName = await client.createVolumeSnapshot({
      volumeSnapshot: {
        metadata: { labels: { "volumepoollet.ironcore.dev/volume-snapshot-namespace": "e2e-a" } },
        spec: { volumeId: "vol2" },
      },
    });
    const byId = await client.createVolumeSnapshot({ volumeSnapshot: { metadata: {}, spec: { volumeId } } });
    for (const snap of [byName, byId]) {
      expect(snap.volumeSnapshot?.spec?.volumeId).toBe(volumeId);
      const id = snap.volumeSnapshot?.metadata?.id ?? "";
      await eventually(`snapshot ${id} ready`, async () => {
        const r = await client.listVolumeSnapshots({ filter: { id } });
        return r.volumeSnapshots[0]?.status?.state === volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY
          ? true
          : undefined;
      });
    }
  });

  it("answers NotFound naming what it tried when the name is in another namespace", async () => {
    const err = await client
      .createVolumeSnapshot({
        volumeSnapshot: {
          metadata: { labels: { "volumepoollet.ironcore.dev/volume-snapshot-namespace": "e2e-other" } },
          spec: { volumeId: "vol2" },
        },
      })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.NotFound);
    expect((err as ConnectError).rawMessage).toContain("volumepoollet.ironcore.dev/volume-namespace");
  });

  /** VolumeSpec field 1 (`image`, reserved in our proto) as a v0.4.x poollet puts it on the wire. */
  const legacyImageField = (image: string) => ({
    no: 1,
    wireType: WireType.LengthDelimited,
    // Preserved unknown-field bytes are the value as on the wire: length prefix, then UTF-8.
    data: new BinaryWriter().string(image).finish(),
  });

  it("creates a volume from the deprecated VolumeSpec.image sent on the wire, as from image_data_source", async () => {
    const spec = create(volume.VolumeSpecSchema, {
      class: "standard",
      resources: { storageBytes: 1n << 30n },
    });
    spec.$unknown = [legacyImageField("registry.local/ironcore/os:1")];
    const created = await client.createVolume({
      volume: { metadata: { labels: poolletLabels("legacy", "e2e-a") }, spec },
    });
    const id = created.volume?.metadata?.id ?? "";
    const listed = await client.listVolumes({ filter: { id } });
    expect(listed.volumes[0]?.spec?.volumeDataSource?.imageDataSource?.image).toBe(
      "registry.local/ironcore/os:1",
    );
    expect(listed.volumes[0]?.spec?.$unknown ?? []).toEqual([]);
  });

  it("refuses a VolumeSpec.image that contradicts image_data_source with InvalidArgument, creating nothing", async () => {
    const spec = create(volume.VolumeSpecSchema, {
      class: "standard",
      resources: { storageBytes: 1n << 30n },
      volumeDataSource: { imageDataSource: { image: "registry.local/ironcore/os:2" } },
    });
    spec.$unknown = [legacyImageField("registry.local/ironcore/os:1")];
    const labels = poolletLabels("conflict", "e2e-a");
    const err = await client
      .createVolume({ volume: { metadata: { labels }, spec } })
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((await client.listVolumes({ filter: { labelSelector: labels } })).volumes).toEqual([]);
  });
});
