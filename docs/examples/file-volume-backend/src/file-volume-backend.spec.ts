// The example backend against the contract every volume backend runs (the shared harness), then its own
// behaviour (sparse files, restored bytes), then inside the real volume provider, where the conformance suite
// the poollets' expectations are written in must pass through it.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { PermanentBackendError, type VolumeBackend, type VolumeIntent } from "@iri/backend-api";
import { describeVolumeBackendContract, TestBackendContext } from "@iri/backend-testing";
import { runConformance } from "@iri/conformance";
import { composeSettings, type ProviderHost, parseSettings, providerEnvPrefix } from "@iri/runtime-kit";
import { startVolumeProvider } from "@iri/volume-provider/dist/provider.js";
import { volumeSettings } from "@iri/volume-provider/dist/settings.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileVolumeBackend } from "./file-volume-backend.js";

const MiB = 1n << 20n;
const GiB = 1n << 30n;
const standard = { name: "standard", tps: 100n << 20n, iops: 3000n, settings: {} };

function intent(id: string, storageBytes: bigint, more: Partial<VolumeIntent> = {}): VolumeIntent {
  const spec = create(volume.VolumeSpecSchema, { class: "standard", resources: { storageBytes } });
  return { id, labels: {}, class: standard, spec, ...more };
}

describeVolumeBackendContract({
  name: "file (example)",
  // Its files carry the owner in their name but no creation tag: its orphans are quarantined, never removed.
  keepsCreationTags: false,
  open: (context) => fileVolumeBackend.open({ fileCapacityBytes: 100 * 2 ** 30 }, context),
  volumeClass: standard,
});

describe("the file volume backend", () => {
  const context = new TestBackendContext({ provider: "volume-provider", instanceId: "inst1" });
  let backend: VolumeBackend;

  beforeAll(async () => {
    backend = await fileVolumeBackend.open({ fileCapacityBytes: 100 * 2 ** 30 }, context);
  });
  afterAll(async () => {
    await backend.close();
    await context.dispose();
  });

  it("makes a volume a sparse file of its size and grows it on expand", async () => {
    const { observation } = await backend.apply(intent("v1", GiB), context.operation("v1"));
    expect(observation.state).toBe(volume.VolumeState.VOLUME_AVAILABLE);
    const file = observation.access?.handle ?? "";
    expect(statSync(file).size).toBe(2 ** 30);
    expect(statSync(file).blocks).toBe(0);
    await backend.apply(intent("v1", 2n * GiB), context.operation("v1"));
    expect(statSync(file).size).toBe(2 ** 31);
  });

  it("restores a snapshot's bytes into a new volume", async () => {
    const { observation } = await backend.apply(intent("v2", 64n * MiB), context.operation("v2"));
    writeFileSync(observation.access?.handle ?? "", "written before the snapshot", { flag: "r+" });
    const snap = await backend.applySnapshot(
      { id: "s1", labels: {}, volumeId: "v2", volumePlacement: undefined },
      context.operation("s1"),
    );
    expect(snap.observation.state).toBe(volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY);
    const restored = await backend.apply(
      intent("v3", 64n * MiB, { snapshot: { id: "s1", placement: undefined, sizeBytes: 64n * MiB } }),
      context.operation("v3"),
    );
    const head = readFileSync(restored.observation.access?.handle ?? "")
      .subarray(0, 27)
      .toString();
    expect(head).toBe("written before the snapshot");
  });

  it("lists what it holds with its owner tag, and removes it", async () => {
    const owned = await backend.listOwned();
    expect(owned.volumes).toContainEqual({ id: "v1", owner: "inst1" });
    expect(owned.snapshots).toContainEqual({ id: "s1", owner: "inst1" });
    expect(await backend.remove(context.ref("v1"))).toBeUndefined();
    expect(await backend.removeSnapshot(context.ref("s1"))).toBeUndefined();
    const after = await backend.listOwned();
    expect(after.volumes.map((v) => v.id)).not.toContain("v1");
    expect(after.snapshots).toEqual([]);
  });

  it("refuses an image data source for good", async () => {
    const spec = create(volume.VolumeSpecSchema, {
      class: "standard",
      resources: { storageBytes: GiB },
      volumeDataSource: { imageDataSource: { image: "registry.invalid/os:v1", architecture: "amd64" } },
    });
    await expect(
      backend.apply({ ...intent("v4", GiB), spec }, context.operation("v4")),
    ).rejects.toBeInstanceOf(PermanentBackendError);
  });
});

describe("the volume provider on the file backend", () => {
  let dir: string;
  let provider: ProviderHost;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "file-provider-"));
    const argv = [
      "--backend=file",
      `--socket-path=${join(dir, "volume.sock")}`,
      `--state-dir=${join(dir, "state")}`,
      "--ops-address=",
      "--log-level=warn",
    ];
    const withFile = composeSettings(volumeSettings, [fileVolumeBackend], providerEnvPrefix("volume"));
    const settings = parseSettings(withFile, argv, {});
    provider = await startVolumeProvider(settings, [fileVolumeBackend]);
  });
  afterAll(async () => {
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes the volume conformance suite", async () => {
    const report = await runConformance({ runtime: "volume", address: `unix://${provider.socketPath}` });
    const failed = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    expect(failed).toEqual([]);
    expect(report.results.length).toBeGreaterThan(10);
  });
});
