// The volume provider on its real backend (`--backend ceph`) against the shared loopback Ceph cluster: the
// conformance suite, then a volume created through gRPC that the returned consumer credentials can read.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createRuntimeClient, volume } from "@iri/api";
import { caseNames, runConformance } from "@iri/conformance";
import { pushImage } from "@iri/oci/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, cephEnv, cephSetup, run } from "./ceph-setup.js";
import { eventually, type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

describe("volume provider on the ceph backend", () => {
  const scratch = scratchDir("volume-ceph");
  const suffix = randomBytes(4).toString("hex");
  let setup: Awaited<ReturnType<typeof cephSetup>>;
  let pool: string;
  let provider: ProviderProcess;
  let report: Awaited<ReturnType<typeof runConformance>>;

  beforeAll(async () => {
    setup = await cephSetup(scratch.dir, suffix);
    pool = setup.pool;
    provider = await startProvider("volume", scratch.dir, setup.args);
    report = await runConformance({ runtime: "volume", address: provider.address });
  }, 600_000);

  afterAll(async () => {
    await provider?.kill("SIGTERM");
    await setup?.remove();
    scratch.remove();
  });

  it.each([...caseNames.volume])("conformance: %s", (name) => {
    const result = report.results.find((r) => r.name === name);
    expect(result, `case ${name} did not run`).toBeDefined();
    expect(result?.error).toBeUndefined();
    expect(result?.ok).toBe(true);
  });

  it("creates an RBD image whose access the consumer credentials open", async () => {
    const client = createRuntimeClient(volume.VolumeRuntime, provider.address);
    const created = await client.createVolume({
      volume: {
        metadata: { labels: { test: suffix } },
        spec: { class: "standard", resources: { storageBytes: 5n << 20n } },
      },
    });
    const id = created.volume?.metadata?.id as string;
    const available = await eventually(
      "the volume to become AVAILABLE",
      async () => {
        const [found] = (await client.listVolumes({ filter: { id } })).volumes;
        return found?.status?.state === volume.VolumeState.VOLUME_AVAILABLE ? found : undefined;
      },
      60_000,
    );
    const access = available.status?.access;
    expect(access?.driver).toBe("ceph");
    expect(access?.attributes.image).toBe(`${pool}/iri-vol-${id}`);
    expect(available.status?.resources?.storageBytes).toBe(5n << 20n);
    const keyring = join(scratch.dir, "consumer.keyring");
    const userID = new TextDecoder().decode(access?.secretData.userID);
    const userKey = new TextDecoder().decode(access?.secretData.userKey);
    writeFileSync(keyring, `[client.${userID}]\n\tkey = ${userKey}\n`, { mode: 0o600 });
    const { monitors } = cephEnv();
    // The volume's own user opens and reads its image (it may not read pool-wide objects such as the mirror
    // state `rbd info` wants).
    const { stdout } = await run(
      "rbd",
      [
        "--conf",
        "/dev/null",
        "-m",
        access?.attributes.monitors ?? monitors,
        "--id",
        userID,
        "--keyring",
        keyring,
        "export",
        access?.attributes.image as string,
        "-",
      ],
      { encoding: "buffer", maxBuffer: 64 << 20 },
    );
    expect(stdout.length).toBe(5 * 1024 * 1024);

    await client.deleteVolume({ volumeId: id });
    await eventually(
      "the image to be removed",
      async () => {
        const names: string[] = JSON.parse(await admin("rbd", ["ls", pool, "--format", "json"]));
        return names.includes(`iri-vol-${id}`) ? undefined : true;
      },
      60_000,
    );
  });
});

describe("volume provider on the ceph backend after kill -9", () => {
  const scratch = scratchDir("volume-ceph-crash");
  const suffix = randomBytes(4).toString("hex");
  let setup: Awaited<ReturnType<typeof cephSetup>>;
  let pool: string;
  let args: string[];
  let provider: ProviderProcess | undefined;

  beforeAll(async () => {
    setup = await cephSetup(scratch.dir, `crash-${suffix}`);
    ({ pool, args } = setup);
  });

  afterAll(async () => {
    await provider?.kill("SIGTERM");
    await setup?.remove();
    scratch.remove();
  });

  /** Images and snapshots in the pool (`rbd ls -l` fails when an image goes while it lists: again). */
  const images = async (): Promise<string[]> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const rows: { image: string; snapshot?: string }[] = JSON.parse(
          (await admin("rbd", ["ls", "-l", pool, "--format", "json"])) || "[]",
        );
        return rows.map((r) => (r.snapshot ? `${r.image}@${r.snapshot}` : r.image)).sort();
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
  };

  it("converges every acknowledged create and delete, leaving no orphan image or snapshot", async () => {
    const registry = process.env.REGISTRY_ADDR;
    if (!registry) throw new Error("REGISTRY_ADDR must be set: run `source <(bash scripts/services.sh env)`");
    const rootfs = Buffer.alloc(4 << 20, 7);
    const image = await pushImage(registry, `iri-e2e/crash-${suffix}`, "v1", {
      layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: rootfs }],
    });
    provider = await startProvider("volume", scratch.dir, args);
    let client = createRuntimeClient(volume.VolumeRuntime, provider.address);
    // Until its first pool capacity reading a started provider answers creates Unavailable; a poollet retries.
    const create = (extra: { encryptionKey?: string; image?: string } = {}) =>
      eventually("the create to be admitted", () => createOnce(extra).catch(unlessUnavailable), 30_000);
    const createOnce = async (extra: { encryptionKey?: string; image?: string }) => {
      const { volume: created } = await client.createVolume({
        volume: {
          metadata: { labels: {} },
          spec: {
            class: "standard",
            resources: { storageBytes: 16n << 20n },
            ...(extra.encryptionKey && {
              encryption: { secretData: { encryptionKey: new TextEncoder().encode(extra.encryptionKey) } },
            }),
            ...(extra.image && {
              volumeDataSource: { imageDataSource: { image: extra.image, architecture: "amd64" } },
            }),
          },
        },
      });
      return created?.metadata?.id as string;
    };
    const listed = async () => (await client.listVolumes({})).volumes;
    const state = async (id: string) => (await listed()).find((v) => v.metadata?.id === id)?.status?.state;

    const kept = await create({});
    await eventually(
      "the first volume",
      async () => ((await state(kept)) === volume.VolumeState.VOLUME_AVAILABLE ? true : undefined),
      60_000,
    );
    const snapshotId = (
      await client.createVolumeSnapshot({
        volumeSnapshot: { metadata: { labels: {} }, spec: { volumeId: kept } },
      })
    ).volumeSnapshot?.metadata?.id as string;
    await eventually(
      "the snapshot",
      async () => {
        const [s] = (await client.listVolumeSnapshots({ filter: { id: snapshotId } })).volumeSnapshots;
        return s?.status?.state === volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY ? true : undefined;
      },
      60_000,
    );

    // In flight at the kill: a LUKS2 format (seconds of key derivation), a population, a deletion.
    const encrypted = await create({ encryptionKey: "crash-pass" });
    const fromImage = await create({ image: image.reference });
    const plain = await create({});
    await client.deleteVolume({ volumeId: kept });
    // Killed once the encrypted volume's image exists: its LUKS2 format (seconds of key derivation) runs.
    await eventually(
      "the encrypted volume's image",
      async () =>
        (await admin("rbd", ["ls", pool])).split("\n").includes(`iri-vol-${encrypted}`) ? true : undefined,
      60_000,
    );
    await provider.kill("SIGKILL");

    // Twice: once as soon as the restarted provider serves, while it redoes the interrupted steps.
    provider = await startProvider("volume", scratch.dir, args);
    await provider.kill("SIGKILL");
    provider = await startProvider("volume", scratch.dir, args);
    client = createRuntimeClient(volume.VolumeRuntime, provider.address);
    for (const id of [encrypted, fromImage, plain]) {
      await eventually(
        `volume ${id}`,
        async () => ((await state(id)) === volume.VolumeState.VOLUME_AVAILABLE ? true : undefined),
        90_000,
      );
    }
    // Provider-killed rbd processes leave their watches behind for the OSDs' watch timeout (30 s), and a
    // deletion waits for an image's watchers to go: two kills can take a minute before the image is free.
    await eventually(
      "the deleted volume to go",
      async () => ((await state(kept)) === undefined ? true : undefined),
      120_000,
    ).catch(async (error: Error) => {
      const { events } = await client.listEvents({});
      const notes = events
        .filter((e) => e.spec?.involvedObjectMeta?.id === kept)
        .map((e) => `${e.spec?.type}/${e.spec?.reason}: ${e.spec?.message}`);
      throw new Error(`${error.message}; its events: ${notes.join(" | ")}`);
    });
    const cache = (await images()).filter((name) => name.startsWith("iri-img-"));
    expect(await images()).toEqual(
      [
        `iri-kept-${kept}`,
        `iri-kept-${kept}@iri-snap-${snapshotId}`,
        `iri-vol-${encrypted}`,
        `iri-vol-${fromImage}`,
        `iri-vol-${plain}`,
        ...cache,
      ].sort(),
    );
    expect(cache.filter((name) => !name.includes("@"))).toHaveLength(1);

    // Deleting everything leaves only the image cache (collected after --ceph-image-cache-gc-seconds).
    await client.deleteVolumeSnapshot({ volumeSnapshotId: snapshotId });
    for (const id of [encrypted, fromImage, plain]) await client.deleteVolume({ volumeId: id });
    await eventually(
      "every volume image to go",
      async () => {
        const left = (await images()).filter((name) => !name.startsWith("iri-img-"));
        return left.length === 0 ? true : undefined;
      },
      90_000,
    );
  }, 300_000);
});

/** Undefined (try again) for an Unavailable answer; any other failure stands. */
function unlessUnavailable(error: unknown): undefined {
  if (error instanceof ConnectError && error.code === Code.Unavailable) return undefined;
  throw error;
}
