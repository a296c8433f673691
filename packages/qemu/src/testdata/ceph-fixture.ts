import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type { Placement, SettingValues, VolumeObservation } from "@iri/backend-api";
import { TestBackendContext } from "@iri/backend-testing";
import { type CephRbdBackend, type CephRbdSettings, cephRbdBackend, cephRbdSettings } from "@iri/ceph-rbd";
import { runCommand } from "../host/run-command.js";

/** A volume the ceph backend made: its RBD image and the per-volume access it handed out. */
export interface CephTestVolume {
  readonly id: string;
  readonly image: string;
  readonly access: NonNullable<VolumeObservation["access"]>;
}

/**
 * Volumes made by the ceph-rbd backend itself (each with its own cephx user and key, as a guest gets them in
 * production) in the shared loopback Ceph's `rbd` pool, under a name prefix of their own; removed by cleanup().
 */
export class CephFixture {
  readonly pool = "rbd";
  private readonly made: { id: string; placement: Placement | undefined }[] = [];

  private constructor(
    private readonly conf: string,
    private readonly keyring: string,
    readonly monitors: string,
    private readonly context: TestBackendContext,
    private readonly backend: CephRbdBackend,
  ) {}

  /** Fails (never skips) when the services' environment is missing. */
  static async create(): Promise<CephFixture> {
    const { CEPH_CONF, CEPH_ADMIN_KEYRING, CEPH_MON_HOST } = process.env;
    if (!CEPH_CONF || !CEPH_ADMIN_KEYRING || !CEPH_MON_HOST) {
      throw new Error(
        "CEPH_CONF, CEPH_ADMIN_KEYRING and CEPH_MON_HOST must be set (source <(bash scripts/services.sh env))",
      );
    }
    const defaults = Object.fromEntries(
      Object.entries(cephRbdSettings).map(([key, def]) => [
        key,
        def.kind === "integer" ? Number(def.default) : def.default,
      ]),
    ) as SettingValues<CephRbdSettings>;
    const context = new TestBackendContext({ provider: "volume-provider" });
    const backend = await cephRbdBackend.open(
      {
        ...defaults,
        monitors: CEPH_MON_HOST,
        adminKeyFile: await readFile(CEPH_ADMIN_KEYRING, "utf8"),
        pool: "rbd",
        namePrefix: `iri-qemu-test-${randomBytes(4).toString("hex")}`,
      },
      context,
    );
    return new CephFixture(CEPH_CONF, CEPH_ADMIN_KEYRING, CEPH_MON_HOST, context, backend);
  }

  /** A volume of `sizeMiB` as the consumer sees it (LUKS2-formatted with `passphrase` when given). */
  async createVolume(sizeMiB: number, passphrase?: string): Promise<CephTestVolume> {
    const id = `v${randomBytes(4).toString("hex")}`;
    const spec = create(volume.VolumeSpecSchema, {
      class: "test",
      resources: { storageBytes: BigInt(sizeMiB) << 20n },
      ...(passphrase
        ? { encryption: { secretData: { encryptionKey: new TextEncoder().encode(passphrase) } } }
        : {}),
    });
    const cls = { name: "test", iops: 0n, tps: 0n, settings: {} };
    const outcome = await this.backend.apply(
      { id, labels: {}, class: cls, spec },
      {
        signal: new AbortController().signal,
        generation: 1n,
        lastObservation: undefined,
        placement: undefined,
        tag: { lineage: "test", generation: 1 },
        event: () => {},
        report: async () => {},
      },
    );
    this.made.push({ id, placement: outcome.placement });
    const access = outcome.observation.access;
    const image = outcome.placement?.image;
    if (!access || !image || outcome.notDone) throw new Error(`volume ${id} is not available`);
    return { id, image, access };
  }

  async resizeImage(name: string, sizeMiB: number): Promise<void> {
    await runCommand([
      "rbd",
      "-c",
      this.conf,
      "-k",
      this.keyring,
      "resize",
      `${this.pool}/${name}`,
      "--size",
      `${sizeMiB}M`,
    ]);
  }

  async cleanup(): Promise<void> {
    for (const { id, placement } of this.made) {
      await this.backend
        .remove({ id, placement, signal: new AbortController().signal, event: () => {} })
        .catch(() => undefined);
    }
    await this.backend.close();
    await this.context.dispose();
  }
}
