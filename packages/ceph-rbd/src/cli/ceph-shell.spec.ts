import { afterAll, describe, expect, it } from "vitest";
import { parseCephKey } from "../keyring.js";
import { adminTool, clusterEnv, randomSuffix } from "../testdata/test-cluster.js";
import { Errno, isCephErrno } from "./ceph-command-error.js";
import { type Answer, CephShell } from "./ceph-shell.js";

const env = clusterEnv();
const connection = {
  monitors: env.monitors,
  id: "admin",
  key: parseCephKey(env.adminKeyring, "CEPH_ADMIN_KEYRING"),
  timeoutSeconds: 30,
};
const json: Answer = { kind: "json" };
const deleted: Answer = { kind: "status", success: /^updated$|^entity \S+ does not exist$/ };
const entity = (name: string) => `client.iri-shell-test-${name}`;

describe("CephShell on the real cluster", () => {
  const shell = new CephShell(connection);
  const made: string[] = [];
  afterAll(async () => {
    shell.close();
    for (const name of made) await adminTool("ceph", ["auth", "del", name]).catch(() => {});
  });

  it("answers concurrent commands each with its own result, failures with their errno", async () => {
    const names = Array.from({ length: 6 }, () => entity(randomSuffix()));
    made.push(...names);
    const created = await Promise.all(
      names.map((name, i) =>
        shell.run(["auth", "get-or-create", name, "mon", "profile rbd", "osd", `allow r pool=p${i}`], json),
      ),
    );
    created.forEach((line, i) => {
      const [entry] = JSON.parse(line) as { entity: string; caps: { osd: string } }[];
      expect(entry?.entity).toBe(names[i]);
      expect(entry?.caps.osd).toBe(`allow r pool=p${i}`);
    });
    const [other, missing, gone, notThere] = await Promise.allSettled([
      // Other caps for an existing user: EINVAL, and the user is left as it was.
      shell.run(["auth", "get-or-create", names[0] as string, "mon", "profile rbd", "osd", "allow *"], json),
      shell.run(["auth", "get", entity(`missing-${randomSuffix()}`)], json),
      shell.run(["auth", "del", names[1] as string], deleted),
      shell.run(["auth", "del", entity(`missing-${randomSuffix()}`)], deleted),
    ]);
    expect(other.status === "rejected" && isCephErrno(other.reason, Errno.EINVAL)).toBe(true);
    expect(missing.status === "rejected" && isCephErrno(missing.reason, Errno.ENOENT)).toBe(true);
    expect(gone).toEqual({ status: "fulfilled", value: "updated" });
    expect(notThere.status === "fulfilled" && notThere.value).toMatch(/does not exist$/);
    const kept = JSON.parse(await adminTool("ceph", ["auth", "get", names[0] as string, "--format", "json"]));
    expect(kept[0].caps.osd).toBe("allow r pool=p0");
  });

  it("quotes arguments as one word each (quotes and spaces in caps reach the monitor unchanged)", async () => {
    const name = entity(randomSuffix());
    made.push(name);
    const caps = "allow r pool=p object_prefix rbd_data.x, allow rx pool=q";
    const [entry] = JSON.parse(
      await shell.run(["auth", "get-or-create", name, "mon", "profile rbd", "osd", caps], json),
    ) as { caps: { osd: string } }[];
    expect(entry?.caps.osd).toBe(caps);
    const quoted = shell.run(["auth", "get", entity("it's")], json);
    await expect(quoted).rejects.toSatisfy((error) => isCephErrno(error, Errno.EINVAL, Errno.ENOENT));
  });

  it("starts a new tool after its tool died", async () => {
    await shell.run(["auth", "del", entity(randomSuffix())], deleted);
    const pids = await toolPids(env.monitors);
    expect(pids.length).toBe(1);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const name = entity(randomSuffix());
    made.push(name);
    const line = await shell.run(["auth", "get-or-create", name, "mon", "profile rbd"], json);
    expect(JSON.parse(line)[0].entity).toBe(name);
    expect(await toolPids(env.monitors)).not.toEqual(pids);
  });

  it("runs a command again on a new tool once, and fails it when that tool dies too", async () => {
    // No monitor answers at 127.0.0.1:1: the command waits until its tool is killed.
    const stuck = new CephShell({ ...connection, monitors: "127.0.0.1:1", timeoutSeconds: 120 });
    const running = stuck.run(["auth", "get", entity(randomSuffix())], json);
    let settled = false;
    const outcome = running.then(
      () => "answered",
      (error: Error) => error,
    );
    void outcome.finally(() => {
      settled = true;
    });
    const killed = new Set<number>();
    for (let round = 0; round < 2; round++) {
      const pids = await until(async () => {
        const found = (await toolPids("127.0.0.1:1")).filter((pid) => !killed.has(pid));
        return found.length > 0 ? found : undefined;
      });
      for (const pid of pids) {
        killed.add(pid);
        process.kill(pid, "SIGKILL");
      }
      if (round === 0) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(settled).toBe(false);
      }
    }
    expect(await outcome).toBeInstanceOf(Error);
    stuck.close();
  });
});

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The `ceph` processes this test process started for `monitors` (setpriv execs the tool: our children). */
async function toolPids(monitors: string): Promise<number[]> {
  const { readdir, readFile } = await import("node:fs/promises");
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const argv = await readFile(`/proc/${name}/cmdline`, "latin1").catch(() => "");
    if (ppid === process.pid && argv.includes(`\0${monitors}\0`)) pids.push(Number(name));
  }
  return pids;
}
