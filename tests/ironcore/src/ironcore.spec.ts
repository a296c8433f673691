// IronCore v0.5.0's own control plane and poollets (built by scripts/ironcore.sh from the Go module proxy)
// drive the three providers on their real backends: Kubernetes objects in, QEMU machines, RBD images and RGW
// buckets out, exactly the path an operator's cluster takes.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";
import { buildTestGuest, GuestShell, pushTestGuest } from "@iri/qemu/testing";
import { connectRemoteCommand } from "@iri/remotecommand";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, cephSetup } from "../../e2e/src/ceph-setup.js";
import {
  eventually,
  type ProviderProcess,
  type Runtime,
  scratchDir,
  startProvider,
} from "../../e2e/src/provider-process.js";
import { Kube, type KubeObject } from "./kube.js";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const ironcoreScript = join(repoRoot, "scripts", "ironcore.sh");
const POOL = "iri-e2e";
const MiB = 1024 * 1024;
/** scripts/ironcore/run.sh's kube-apiserver port (IRONCORE_KUBE_PORT). */
const KUBE_PORT = process.env.IRONCORE_KUBE_PORT ?? "26443";

function requireEnv(names: string[]): Record<string, string> {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} must be set: run \`source <(bash scripts/services.sh env)\``);
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n] as string]));
}

const env = requireEnv(["RGW_ENDPOINT", "RGW_ADMIN_ACCESS_KEY", "RGW_ADMIN_SECRET_KEY", "REGISTRY_ADDR"]);

/** Flags for the qemu and rgw backends; RGW admin keys go in 0600 files, never argv. */
function machineAndBucketArgs(dir: string): { machine: string[]; bucket: string[] } {
  const machineClasses = join(dir, "machine-classes.json");
  writeFileSync(
    machineClasses,
    JSON.stringify([{ name: "tiny", capabilities: { cpu: 1, memory: 268435456 } }]),
  );
  const rgwAccess = join(dir, "rgw-access-key");
  const rgwSecret = join(dir, "rgw-secret-key");
  writeFileSync(rgwAccess, env.RGW_ADMIN_ACCESS_KEY as string, { mode: 0o600 });
  writeFileSync(rgwSecret, env.RGW_ADMIN_SECRET_KEY as string, { mode: 0o600 });
  return {
    machine: [
      "--backend",
      "qemu",
      "--class-file",
      machineClasses,
      "--streaming-address",
      "127.0.0.1:0",
      "--qemu-shutdown-timeout",
      "1",
    ],
    bucket: [
      "--backend",
      "rgw",
      "--rgw-endpoint",
      env.RGW_ENDPOINT as string,
      "--rgw-access-key-file",
      rgwAccess,
      "--rgw-secret-key-file",
      rgwSecret,
    ],
  };
}

/** Pids of the QEMU processes running IRI machine `id` (its command line names the guest). */
function qemuProcessesOf(id: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return argv[0]?.includes("qemu-system") && argv.includes(`guest=${id},debug-threads=on`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const field = <T>(o: KubeObject | undefined, path: string): T | undefined =>
  path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o) as
    | T
    | undefined;

describe("IronCore v0.5.0 poollets driving the providers on their real backends", () => {
  const scratch = scratchDir("ironcore");
  const suffix = randomBytes(3).toString("hex");
  const ns = `iri-e2e-${suffix}`;
  let ceph: Awaited<ReturnType<typeof cephSetup>>;
  const stateDir = join(scratch.dir, "ironcore");
  const providers = {} as Record<Runtime, ProviderProcess>;
  let args: Record<Runtime, string[]>;
  let kube: Kube;
  let guestImage = "";

  const scriptEnv = () => ({
    ...process.env,
    IRONCORE_POOL_NAME: POOL,
    IRI_MACHINE_SOCKET: providers.machine.socketPath,
    IRI_VOLUME_SOCKET: providers.volume.socketPath,
    IRI_BUCKET_SOCKET: providers.bucket.socketPath,
  });
  const ironcore = (command: "up" | "down") =>
    run("bash", [ironcoreScript, command, stateDir], { env: scriptEnv(), maxBuffer: 16 * MiB });

  /** Waits for `resource/name` to satisfy `ready`, failing with the object and the poollets' logs. */
  async function waitFor(
    resource: string,
    name: string,
    what: string,
    ready: (o: KubeObject) => boolean,
    ms = 180_000,
  ) {
    let last: KubeObject | undefined;
    return eventually(
      `${resource}/${name} ${what}`,
      async () => {
        last = await kube.get(resource, ns, name);
        return last && ready(last) ? last : undefined;
      },
      ms,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last seen: ${JSON.stringify(last?.status)}\n${logsTail()}`);
    });
  }

  function logsTail(): string {
    return ["machinepoollet", "volumepoollet", "bucketpoollet"]
      .map((name) => {
        try {
          return `--- ${name}\n${readFileSync(join(stateDir, "logs", `${name}.log`), "utf8").slice(-2000)}`;
        } catch {
          return "";
        }
      })
      .join("\n");
  }

  async function startProviders() {
    for (const runtime of ["machine", "volume", "bucket"] as Runtime[]) {
      providers[runtime] = await startProvider(runtime, join(scratch.dir, runtime), args[runtime]);
    }
  }

  beforeAll(async () => {
    // The binaries are built (or found in the cache) by `scripts/ironcore.sh build`, a check before this suite.
    await run("bash", [ironcoreScript, "bin", "ironcore-apiserver"]);
    mkdirSync(stateDir, { recursive: true });
    ceph = await cephSetup(scratch.dir, `ironcore-${suffix}`);
    args = { ...machineAndBucketArgs(scratch.dir), volume: ceph.args };
    guestImage = await pushTestGuest(buildTestGuest(), "iri-tests/ironcore-guest");
    await startProviders();
    await ironcore("up");
    const certs = join(stateDir, "certs");
    kube = new Kube(new URL(`https://127.0.0.1:${KUBE_PORT}`), {
      ca: readFileSync(join(certs, "ca.crt")),
      cert: readFileSync(join(certs, "admin.crt")),
      key: readFileSync(join(certs, "admin.key")),
    });
    await kube.apply(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      {
        apiVersion: "compute.ironcore.dev/v1alpha1",
        kind: "MachineClass",
        metadata: { name: "tiny" },
        capabilities: { cpu: "1", memory: "256Mi" },
      } as KubeObject,
      {
        apiVersion: "storage.ironcore.dev/v1alpha1",
        kind: "VolumeClass",
        metadata: { name: "standard" },
        capabilities: { tps: "100Mi", iops: "3000" },
      } as KubeObject,
      {
        apiVersion: "storage.ironcore.dev/v1alpha1",
        kind: "BucketClass",
        metadata: { name: "standard" },
        capabilities: { tps: "100Mi", iops: "1000" },
      } as KubeObject,
    );
  });

  afterAll(async () => {
    kube?.close();
    await ironcore("down").catch(() => undefined);
    for (const p of Object.values(providers)) await p.kill("SIGTERM");
    await ceph?.remove();
    scratch.remove();
  });

  it("announces each pool with the provider's classes", async () => {
    const cluster = async (resource: string, path: string, cls: string) =>
      eventually(
        `${resource} ${POOL} with class ${cls}`,
        async () => {
          const [pool] = (await kube.list(resource)).filter((p) => p.metadata.name === POOL);
          const classes = field<{ name: string }[]>(pool, path) ?? [];
          return classes.some((c) => c.name === cls) ? true : undefined;
        },
        120_000,
      );
    await cluster("machinepools.compute.ironcore.dev", "status.availableMachineClasses", "tiny");
    await cluster("volumepools.storage.ironcore.dev", "status.availableVolumeClasses", "standard");
    await cluster("bucketpools.storage.ironcore.dev", "status.availableBucketClasses", "standard");
  });

  const volumeObject = (name: string, dataSource: Record<string, unknown>): KubeObject => ({
    apiVersion: "storage.ironcore.dev/v1alpha1",
    kind: "Volume",
    metadata: { name, namespace: ns },
    spec: {
      volumeClassRef: { name: "standard" },
      volumePoolRef: { name: POOL },
      resources: { storage: "64Mi" },
      dataSource,
    },
  });
  const available = (o: KubeObject) => field(o, "status.state") === "Available";
  const rbdImageOf = (o: KubeObject) => field<string>(o, "status.access.volumeAttributes.image") ?? "";
  const digestOf = async (image: string) => {
    const file = join(scratch.dir, `${image.replaceAll("/", "_")}.raw`);
    await admin("rbd", ["export", image, file]);
    const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
    rmSync(file);
    return digest;
  };

  it("makes a volume from an IronCore image, snapshots it (the poollet names the Volume), and restores it with the same bytes", async () => {
    await kube.apply(volumeObject("root", { osImage: { image: guestImage, architecture: "amd64" } }));
    const source = await waitFor("volumes.storage.ironcore.dev", "root", "Available", available);
    await kube.apply({
      apiVersion: "storage.ironcore.dev/v1alpha1",
      kind: "VolumeSnapshot",
      metadata: { name: "root-snap", namespace: ns },
      spec: { volumeRef: { name: "root" } },
    });
    await waitFor(
      "volumesnapshots.storage.ironcore.dev",
      "root-snap",
      "Ready",
      (o) => field(o, "status.state") === "Ready",
    );
    await kube.apply(volumeObject("restored", { volumeSnapshotRef: { name: "root-snap" } }));
    const restored = await waitFor("volumes.storage.ironcore.dev", "restored", "Available", available);
    expect(rbdImageOf(restored)).not.toBe(rbdImageOf(source));
    expect(await digestOf(rbdImageOf(restored))).toBe(await digestOf(rbdImageOf(source)));
  });

  it("makes a bucket whose access Secret writes and reads an object on RGW", async () => {
    await kube.apply({
      apiVersion: "storage.ironcore.dev/v1alpha1",
      kind: "Bucket",
      metadata: { name: "data", namespace: ns },
      spec: { bucketClassRef: { name: "standard" }, bucketPoolRef: { name: POOL } },
    });
    const b = await waitFor(
      "buckets.storage.ironcore.dev",
      "data",
      "Available",
      (o) => field(o, "status.state") === "Available",
    );
    const secretName = field<string>(b, "status.access.secretRef.name") ?? "";
    const secret = await kube.get("secrets", ns, secretName);
    const value = (key: string) => Buffer.from(secret?.data?.[key] ?? "", "base64").toString();
    const s3 = new S3Client({
      endpoint: `http://${value("BUCKET_HOST")}:${value("BUCKET_PORT")}`,
      region: value("BUCKET_REGION") || "us-east-1",
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      credentials: {
        accessKeyId: value("AWS_ACCESS_KEY_ID"),
        secretAccessKey: value("AWS_SECRET_ACCESS_KEY"),
      },
    });
    const Bucket = value("BUCKET_NAME");
    await s3.send(new PutObjectCommand({ Bucket, Key: "hello.txt", Body: `from ${ns}` }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "hello.txt" }));
    expect(await got.Body?.transformToString()).toBe(`from ${ns}`);
    // The user's data is the user's to delete: the provider never deletes a bucket that still holds objects.
    await s3.send(new DeleteObjectCommand({ Bucket, Key: "hello.txt" }));
  });

  const machineVolumes = (withData: boolean) => [
    { name: "root", device: "oda", localDisk: { sizeLimit: "64Mi", image: guestImage } },
    ...(withData ? [{ name: "data", device: "odb", volumeRef: { name: "restored" } }] : []),
  ];
  const machineState = (state: string) => (o: KubeObject) => field(o, "status.state") === state;
  const dataVolumeState = (o: KubeObject) =>
    (field<{ name: string; state: string }[]>(o, "status.volumes") ?? []).find((v) => v.name === "data")
      ?.state;
  let machineId = "";

  /** The guest's console through the Machine `exec` subresource: kube-apiserver → ironcore-apiserver → machinepoollet → provider. */
  function consoleShell(): Promise<GuestShell> {
    const certs = join(stateDir, "certs");
    const url = `wss://127.0.0.1:${KUBE_PORT}/apis/compute.ironcore.dev/v1alpha1/namespaces/${ns}/machines/vm/exec`;
    return GuestShell.open(() =>
      connectRemoteCommand(url, {
        ca: readFileSync(join(certs, "ca.crt")),
        cert: readFileSync(join(certs, "admin.crt")),
        key: readFileSync(join(certs, "admin.key")),
      }),
    );
  }

  /**
   * Runs `check` on a fresh console session (each power cycle is a new QEMU, so a new session); a failure
   * carries what the machine provider logged (QEMU, the console, the exec session).
   */
  async function onConsole(check: (shell: GuestShell) => Promise<void>) {
    const shell = await consoleShell();
    try {
      await check(shell);
    } catch (error) {
      const log = providers.machine
        .output()
        .split("\n")
        .filter((line) => !line.includes(`"msg":"rpc"`))
        .join("\n");
      const consoleLog = join(
        providers.machine.stateDir,
        "backend",
        "qemu",
        "machines",
        machineId,
        "console.log",
      );
      let guest = "";
      try {
        guest = readFileSync(consoleLog, "utf8").slice(-2000);
      } catch (readError) {
        guest = (readError as Error).message;
      }
      throw new Error(
        `${(error as Error).message}\nmachine provider:\n${log.slice(-4000)}\nguest console log:\n${guest}`,
      );
    } finally {
      shell.close();
    }
  }
  /**
   * The size in 512-byte sectors of the guest disk whose serial is the data volume's device (`odb`), or
   * nothing. By serial, not by name: IronCore's machinepoollet lists remote volumes first, so the Ceph volume
   * may be the guest's vda.
   */
  const DATA_DISK_SECTORS =
    'for d in /sys/block/vd*; do [ "$(cat $d/serial 2>/dev/null)" = odb ] && cat $d/size; done; true';
  /** The data volume (the restored 64 MiB Ceph volume) in the guest. */
  const seesDataVolume = (shell: GuestShell) =>
    shell.waitFor(DATA_DISK_SECTORS, (out) => out === String((64 * MiB) / 512), 120_000);

  it("runs a machine from an IronCore image with the restored volume, seen inside the guest through the Machine exec subresource", async () => {
    await kube.apply({
      apiVersion: "compute.ironcore.dev/v1alpha1",
      kind: "Machine",
      metadata: { name: "vm", namespace: ns },
      spec: {
        machineClassRef: { name: "tiny" },
        machinePoolRef: { name: POOL },
        power: "On",
        volumes: machineVolumes(true),
      },
    });
    await waitFor("machines.compute.ironcore.dev", "vm", "Running", machineState("Running"), 300_000);
    const iri = await createRuntimeClient(machine.MachineRuntime, providers.machine.address).listMachines({
      filter: { labelSelector: { "machinepoollet.ironcore.dev/machine-namespace": ns } },
    });
    machineId = iri.machines[0]?.metadata?.id ?? "";
    expect(qemuProcessesOf(machineId)).toHaveLength(1);
    await onConsole(async (shell) => {
      // The guest's shell computes: the console is a live guest, not an echo.
      expect(await shell.run("echo iri-$((6 * 7))", 120_000)).toBe("iri-42");
      await seesDataVolume(shell);
    });
  });

  it("powers the machine off and on, and detaches and re-attaches the volume, seen inside the guest", async () => {
    await kube.patch("machines.compute.ironcore.dev", ns, "vm", { spec: { power: "Off" } });
    await waitFor("machines.compute.ironcore.dev", "vm", "Shutdown", machineState("Shutdown"), 300_000);
    expect(qemuProcessesOf(machineId)).toEqual([]);
    await kube.patch("machines.compute.ironcore.dev", ns, "vm", { spec: { power: "On" } });
    await waitFor("machines.compute.ironcore.dev", "vm", "Running", machineState("Running"), 300_000);
    await onConsole(async (shell) => {
      await seesDataVolume(shell);
      await kube.patch("machines.compute.ironcore.dev", ns, "vm", {
        spec: { volumes: machineVolumes(false) },
      });
      await waitFor(
        "machines.compute.ironcore.dev",
        "vm",
        "without the data volume",
        (o) => dataVolumeState(o) === undefined,
        300_000,
      );
      await shell.waitFor(DATA_DISK_SECTORS, (out) => out === "", 120_000);
      await kube.patch("machines.compute.ironcore.dev", ns, "vm", {
        spec: { volumes: machineVolumes(true) },
      });
      await waitFor(
        "machines.compute.ironcore.dev",
        "vm",
        "with the data volume again",
        (o) => dataVolumeState(o) === "Attached",
        300_000,
      );
      await seesDataVolume(shell);
    });
  });

  it("loses and duplicates nothing when a provider is killed with -9 and restarted while the poollets run", async () => {
    await providers.volume.kill("SIGKILL");
    // Asked for while the provider is down: the poollet retries until it is back.
    await kube.apply(volumeObject("during-outage", {}));
    providers.volume = await startProvider("volume", join(scratch.dir, "volume"), args.volume);
    await waitFor("volumes.storage.ironcore.dev", "during-outage", "Available", available);
    const kubeVolumes = (await kube.list("volumes.storage.ironcore.dev", ns)).map((v) => v.metadata.uid);
    const iri = (await createRuntimeClient(volume.VolumeRuntime, providers.volume.address).listVolumes({}))
      .volumes;
    const uids = iri
      .filter((v) => v.metadata?.labels["volumepoollet.ironcore.dev/volume-namespace"] === ns)
      .map((v) => v.metadata?.labels["volumepoollet.ironcore.dev/volume-uid"]);
    expect(uids.sort()).toEqual(kubeVolumes.sort());
  });

  it("deletes everything through Kubernetes, leaving no IRI object and no backend resource", async () => {
    for (const [resource, name] of [
      ["machines.compute.ironcore.dev", "vm"],
      ["buckets.storage.ironcore.dev", "data"],
      ["volumesnapshots.storage.ironcore.dev", "root-snap"],
      ["volumes.storage.ironcore.dev", "restored"],
      ["volumes.storage.ironcore.dev", "root"],
      ["volumes.storage.ironcore.dev", "during-outage"],
    ] as const) {
      await kube.delete(resource, ns, name);
    }
    for (const resource of [
      "machines.compute.ironcore.dev",
      "buckets.storage.ironcore.dev",
      "volumesnapshots.storage.ironcore.dev",
      "volumes.storage.ironcore.dev",
    ]) {
      await eventually(
        `no ${resource} left`,
        async () => ((await kube.list(resource, ns)).length === 0 ? true : undefined),
        300_000,
      );
    }
    const m = await createRuntimeClient(machine.MachineRuntime, providers.machine.address).listMachines({});
    const v = createRuntimeClient(volume.VolumeRuntime, providers.volume.address);
    const b = await createRuntimeClient(bucket.BucketRuntime, providers.bucket.address).listBuckets({});
    expect(m.machines).toEqual([]);
    expect(qemuProcessesOf(machineId)).toEqual([]);
    await eventually(
      "the IRI volumes and snapshots gone",
      async () => {
        const [vols, snaps] = await Promise.all([v.listVolumes({}), v.listVolumeSnapshots({})]);
        return vols.volumes.length === 0 && snaps.volumeSnapshots.length === 0 ? true : undefined;
      },
      120_000,
    );
    expect(b.buckets).toEqual([]);
    // Volumes and the images kept for their snapshots go; the cached rootfs of the IronCore image (`-img-`) is
    // the provider's own, collected later once unused.
    let left: string[] = [];
    await eventually(
      "no volume's RBD image left in the pool",
      async () => {
        left = (await admin("rbd", ["ls", ceph.pool])).split("\n").filter((n) => /-(vol|kept)-/.test(n));
        return left.length === 0 ? true : undefined;
      },
      120_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${left.join(", ")}\n${providers.volume.output().slice(-4000)}`);
    });
  });
});
