import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PermanentBackendError } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../host/run-command.js";
import { ensureLocalDisk } from "./local-disks.js";

const MiB = 1024n * 1024n;

describe("local disks on an image (real qemu-img)", () => {
  let dir: string;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iri-local-disk-"));
    base = join(dir, "rootfs");
    await writeFile(base, Buffer.alloc(Number(4n * MiB)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("refuses a size_bytes below the image's size, naming both, and creates nothing", async () => {
    const file = join(dir, "small.qcow2");
    const error = await ensureLocalDisk({
      file,
      volume: "root",
      image: "r/img:1",
      base,
      sizeBytes: 2n * MiB,
      emptyBytes: MiB,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentBackendError);
    expect((error as PermanentBackendError).reason).toBe("LocalDiskTooSmall");
    expect((error as Error).message).toBe(
      `local disk root: size_bytes ${2n * MiB} is smaller than its image r/img:1 (${4n * MiB} bytes)`,
    );
    await expect(runCommand(["qemu-img", "info", file])).rejects.toThrow();
  });

  it("takes the image's size when none is given and the asked size when it is larger", async () => {
    const sizeOf = async (file: string) =>
      (
        JSON.parse(await runCommand(["qemu-img", "info", "--output=json", "-U", file])) as {
          "virtual-size": number;
        }
      )["virtual-size"];
    const same = join(dir, "same.qcow2");
    await ensureLocalDisk({ file: same, volume: "root", base, sizeBytes: 0n, emptyBytes: MiB });
    expect(await sizeOf(same)).toBe(Number(4n * MiB));
    const larger = join(dir, "larger.qcow2");
    await ensureLocalDisk({ file: larger, volume: "root", base, sizeBytes: 8n * MiB, emptyBytes: MiB });
    expect(await sizeOf(larger)).toBe(Number(8n * MiB));
  });
});
