import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../host/run-command.js";

/** A consumer client and images of its own in the shared loopback Ceph's `rbd` pool, removed by cleanup(). */
export class CephFixture {
  readonly pool = "rbd";
  readonly user: string;
  private readonly images: string[] = [];
  private keyValue = "";

  private constructor(
    private readonly conf: string,
    private readonly keyring: string,
    readonly monitors: string,
  ) {
    this.user = `iri-qemu-test-${randomBytes(4).toString("hex")}`;
  }

  /** Fails (never skips) when the services' environment is missing. */
  static async create(): Promise<CephFixture> {
    const { CEPH_CONF, CEPH_ADMIN_KEYRING, CEPH_MON_HOST } = process.env;
    if (!CEPH_CONF || !CEPH_ADMIN_KEYRING || !CEPH_MON_HOST) {
      throw new Error(
        "CEPH_CONF, CEPH_ADMIN_KEYRING and CEPH_MON_HOST must be set (source <(bash scripts/services.sh env))",
      );
    }
    const fixture = new CephFixture(CEPH_CONF, CEPH_ADMIN_KEYRING, CEPH_MON_HOST);
    const caps = [
      "mon",
      "profile rbd",
      "osd",
      `profile rbd pool=${fixture.pool}`,
      "mgr",
      `profile rbd pool=${fixture.pool}`,
    ];
    fixture.keyValue = (
      await fixture.ceph(["auth", "get-or-create-key", `client.${fixture.user}`, ...caps])
    ).trim();
    return fixture;
  }

  get key(): string {
    return this.keyValue;
  }

  async createImage(sizeMiB: number, passphrase?: string): Promise<string> {
    const name = `iri-qemu-test-${randomBytes(4).toString("hex")}`;
    this.images.push(name);
    await this.rbd(["create", `${this.pool}/${name}`, "--size", `${sizeMiB}M`]);
    if (passphrase !== undefined) {
      const file = join(tmpdir(), `${name}.pass`);
      await writeFile(file, passphrase, { mode: 0o600 });
      try {
        await this.rbd(["encryption", "format", `${this.pool}/${name}`, "luks2", file]);
      } finally {
        await rm(file, { force: true });
      }
    }
    return name;
  }

  async resizeImage(name: string, sizeMiB: number): Promise<void> {
    await this.rbd(["resize", `${this.pool}/${name}`, "--size", `${sizeMiB}M`]);
  }

  async cleanup(): Promise<void> {
    for (const image of this.images)
      await this.rbd(["rm", "--no-progress", `${this.pool}/${image}`]).catch(() => undefined);
    await this.ceph(["auth", "del", `client.${this.user}`]).catch(() => undefined);
  }

  private ceph(args: string[]): Promise<string> {
    return runCommand(["ceph", "-c", this.conf, "-k", this.keyring, ...args]);
  }

  private rbd(args: string[]): Promise<string> {
    return runCommand(["rbd", "-c", this.conf, "-k", this.keyring, ...args]);
  }
}
