// The state directory holds the store, the key-encryption key and backend state: it is private, and a store
// that can no longer commit makes the provider report not-ready instead of pretending.
import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, scratchDir, startProvider } from "./provider-process.js";

const scratch = scratchDir("state-dir");
afterAll(() => scratch.remove());

async function readyz(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.text() };
}

describe("state directory", () => {
  it("is tightened to 0700 when it exists with a looser mode", async () => {
    const dir = join(scratch.dir, "loose");
    mkdirSync(join(dir, "bucket-state"), { recursive: true });
    chmodSync(join(dir, "bucket-state"), 0o777);
    const provider = await startProvider("bucket", dir);
    try {
      expect(statSync(provider.stateDir).mode & 0o777).toBe(0o700);
      expect(provider.output()).toContain("state directory tightened to 0700");
    } finally {
      await provider.kill("SIGTERM");
    }
  });

  it("answers /readyz 503 with the reason while the disk is full, and 200 again once there is room", async () => {
    const dir = join(scratch.dir, "full");
    const stateDir = join(dir, "machine-state");
    mkdirSync(stateDir, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", stateDir]);
    try {
      const provider = await startProvider("machine", dir, [
        "--ops-address",
        "127.0.0.1:0",
        "--health-probe-ms",
        "200",
      ]);
      try {
        const port = Number(/"opsPort":(\d+)/.exec(provider.output())?.[1]);
        expect((await readyz(port)).status).toBe(200);
        // Fill the file system.
        const filler = join(stateDir, "filler");
        const fd = openSync(filler, "w");
        try {
          const chunk = Buffer.alloc(64 * 1024, 1);
          for (;;) writeSync(fd, chunk);
        } catch (err) {
          expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
        } finally {
          closeSync(fd);
        }
        const notReady = await eventually("not ready", async () => {
          const r = await readyz(port);
          return r.status === 503 ? r : undefined;
        });
        expect(notReady.body).toMatch(/not ready: the store cannot commit/);
        execFileSync("rm", ["-f", filler]);
        await eventually("ready again", async () => ((await readyz(port)).status === 200 ? true : undefined));
      } finally {
        await provider.kill("SIGTERM");
      }
    } finally {
      execFileSync("umount", [stateDir]);
    }
  });
});
