import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The shared loopback cluster from scripts/ceph.sh; tests fail (never skip) without it. */
export function clusterEnv(): { monitors: string; adminKeyring: string } {
  const monitors = process.env.CEPH_MON_HOST;
  const keyringPath = process.env.CEPH_ADMIN_KEYRING;
  if (!monitors || !keyringPath) {
    throw new Error(
      "CEPH_MON_HOST and CEPH_ADMIN_KEYRING must be set: run `source <(bash scripts/services.sh env)` (scripts/test.sh does)",
    );
  }
  return { monitors, adminKeyring: readFileSync(keyringPath, "utf8") };
}

export function randomSuffix(): string {
  return randomBytes(4).toString("hex");
}

/** Runs a tool as the cluster admin (tests only: the key file is the cluster's own keyring). */
export async function adminTool(tool: "rbd" | "ceph", args: string[], input?: Buffer): Promise<string> {
  const { monitors } = clusterEnv();
  const keyring = process.env.CEPH_ADMIN_KEYRING as string;
  const argv = ["--conf", "/dev/null", "-m", monitors, "--id", "admin", "--keyring", keyring, ...args];
  if (input === undefined) {
    const { stdout } = await run(tool, argv, { maxBuffer: 256 * 1024 * 1024, encoding: "buffer" });
    return stdout.toString("latin1");
  }
  return await new Promise((resolve, reject) => {
    const child = execFile(
      tool,
      argv,
      { maxBuffer: 256 * 1024 * 1024, encoding: "buffer" },
      (error, stdout) => (error ? reject(error) : resolve(stdout.toString("latin1"))),
    );
    child.stdin?.end(input);
  });
}

/** Creates RBD pools with unique names; `drop` removes them with everything in them. */
export async function createPools(count: number): Promise<{ pools: string[]; drop: () => Promise<void> }> {
  const suffix = randomSuffix();
  const pools = Array.from({ length: count }, (_, i) => `iri-test-${suffix}-${i}`);
  for (const pool of pools) {
    await adminTool("ceph", ["osd", "pool", "create", pool, "8"]);
    await adminTool("rbd", ["pool", "init", pool]);
  }
  return {
    pools,
    drop: async () => {
      for (const pool of pools) {
        await adminTool("ceph", ["osd", "pool", "rm", pool, pool, "--yes-i-really-really-mean-it"]);
      }
    },
  };
}

/** A cephx identity a consumer got: `userID`/`userKey` of a volume's access. */
export interface Consumer {
  readonly id: string;
  readonly key: string;
}

export function consumerOf(access: { secretData: Record<string, Uint8Array> } | undefined): Consumer {
  const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
  return { id: decode(access?.secretData.userID), key: decode(access?.secretData.userKey) };
}

/** Runs a tool as a consumer (its key in the environment, as the provider passes keys). */
export async function consumerTool(as: Consumer, tool: "rbd" | "ceph", args: string[]): Promise<Buffer> {
  const { monitors } = clusterEnv();
  const { stdout } = await run(tool, ["--conf", "/dev/null", "-m", monitors, "--id", as.id, ...args], {
    maxBuffer: 1024 * 1024 * 1024,
    encoding: "buffer",
    env: { ...process.env, CEPH_ARGS: `--key ${as.key}` },
    timeout: 60_000,
  });
  return stdout;
}

/** The first `bytes` of an image, read as the admin or a given consumer. */
export async function readImage(spec: string, bytes: number, as?: Consumer): Promise<Buffer> {
  if (as) return (await consumerTool(as, "rbd", ["export", spec, "-"])).subarray(0, bytes);
  return Buffer.from(await adminTool("rbd", ["export", spec, "-"]), "latin1").subarray(0, bytes);
}

/** The first `bytes` a consumer of a LUKS2 image sees with `passphrase` (decrypted by librbd in qemu-img). */
export async function readDecrypted(
  spec: string,
  bytes: number,
  passphrase: string,
  dir: string,
): Promise<Buffer> {
  const { monitors, adminKeyring } = clusterEnv();
  const [pool, image] = spec.split("/") as [string, string];
  const key = /key\s*=\s*(\S+)/.exec(adminKeyring)?.[1] as string;
  const keyFile = join(dir, `read-key-${randomSuffix()}`);
  const passFile = join(dir, `read-pass-${randomSuffix()}`);
  const out = join(dir, `read-${randomSuffix()}.raw`);
  await writeFile(keyFile, key, { mode: 0o600 });
  await writeFile(passFile, passphrase, { mode: 0o600 });
  const [host, port] = (monitors.split(",")[0] as string).split(":") as [string, string];
  try {
    await run("qemu-img", [
      "convert",
      "--object",
      `secret,id=k,file=${keyFile},format=base64`,
      "--object",
      `secret,id=p,file=${passFile}`,
      "--image-opts",
      `driver=raw,file.driver=rbd,file.pool=${pool},file.image=${image},file.user=admin,file.key-secret=k,file.conf=/dev/null,file.server.0.host=${host},file.server.0.port=${port},file.encrypt.format=luks2,file.encrypt.key-secret=p`,
      "-O",
      "raw",
      out,
    ]);
    return (await readFile(out)).subarray(0, bytes);
  } finally {
    await Promise.all([keyFile, passFile, out].map((f) => rm(f, { force: true })));
  }
}
