import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPTS = fileURLToPath(new URL("../../../../scripts/", import.meta.url));
const STATE = fileURLToPath(new URL("../../../../.state/", import.meta.url));

/** A store of our own on free loopback ports (scripts/minio.sh or scripts/ceph.sh), to stop and start at will. */
export interface ScratchStore {
  /** The variables the script's `env` prints (MINIO_ENDPOINT…, RGW_ENDPOINT…). */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startScratchStore(kind: "minio" | "ceph"): Promise<ScratchStore> {
  const script = join(SCRIPTS, `${kind}.sh`);
  const dir = mkdtempSync(join(STATE, `scratch-${kind}-`));
  const ports =
    kind === "minio"
      ? { MINIO_PORT: String(await freePort(2)) }
      : { CEPH_MON_PORT: String(await freePort(1)), RGW_PORT: String(await freePort(1)) };
  const call = (command: string) =>
    run("bash", [script, command, dir], { env: { ...process.env, ...ports }, timeout: 240_000 });
  await call("start");
  const printed = (await call("env")).stdout;
  const env = Object.fromEntries(
    [...printed.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [
      m[1] as string,
      (m[2] as string).replace(/^'|'$/g, ""),
    ]),
  );
  return {
    env,
    stop: async () => {
      await call("stop");
    },
    start: async () => {
      await call("start");
    },
    dispose: async () => {
      await call("stop").catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A port with `count` free ports from it (MinIO's console takes the next one).
async function freePort(count: number): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    if (count === 1 || (await isFree(port + 1))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
