// A short tour of the three providers: version, classes, create, converge, list by label, delete; for
// machines a real QEMU boot from an IronCore image, its console over Exec and a hot-plugged disk. Then the
// workspace that outlives the demo: a machine, a 10 GiB volume and a bucket, created once and found again on
// every later run (their ids and the volume's RBD image are written to <runDir>/workspace.json).
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { bucket, createRuntimeClient, machine, volume } from "../packages/api/dist/index.js";
import { pushImage } from "../packages/oci/dist/testing/index.js";
import { buildTestGuest, GuestShell, pushTestGuest } from "../packages/qemu/dist/testing/index.js";
import { connectRemoteCommand } from "../packages/remotecommand/dist/index.js";
import { SignedClient } from "../packages/sigv4-fetch/dist/index.js";

const runDir = process.argv[2];
// The loopback registry (scripts/services.sh env) the demo pushes its IronCore image to.
const registryAddr = process.argv[3];
const label = { "demo.iri-providers/run": String(Date.now()) };
const workspaceLabel = { "demo.iri-providers/workspace": "1" };

// Runs one long step and prints how long it took.
async function timed(what, fn) {
  const started = Date.now();
  const value = await fn();
  console.log(`  ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return value;
}

async function until(what, fn, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

async function demoMachines() {
  const client = createRuntimeClient(machine.MachineRuntime, `unix://${runDir}/iri-machineprovider.sock`);
  const v = await until("machine provider", () => client.version({}));
  console.log(`machine: ${v.runtimeName} ${v.runtimeVersion}`);
  const { machineClassStatus } = await client.status({});
  for (const s of machineClassStatus) {
    const r = s.machineClass?.capabilities?.resources ?? {};
    console.log(`  class ${s.machineClass?.name}: cpu=${r.cpu} memory=${r.memory} quantity=${s.quantity}`);
  }
  // A tiny bootable IronCore image (Debian kernel + busybox initramfs + raw rootfs) in the loopback registry.
  const image = await timed("image build and push", () =>
    pushTestGuest(buildTestGuest(), "iri-demo/guest", registryAddr),
  );
  console.log(`  pushed IronCore image ${image}`);
  const className = machineClassStatus[0]?.machineClass?.name ?? "";
  const { machine: m } = await client.createMachine({
    machine: {
      metadata: { labels: label },
      spec: {
        class: className,
        volumes: [{ name: "root", device: "oda", localDisk: { sizeBytes: 64n << 20n, image: { image } } }],
        guestConfig: { hostname: "demo" },
      },
    },
  });
  const id = m?.metadata?.id ?? "";
  console.log(`  created machine ${id} (${machine.MachineState[m?.status?.state ?? 0]})`);
  const running = await timed("boot to Running", () => machineRunning(client, id));
  console.log(
    `  listed by label: ${running.metadata?.id} ${machine.MachineState[running.status?.state ?? 0]}`,
  );
  console.log(`  image: ${running.status?.imageRef}`);
  const { url } = await client.exec({ machineId: id });
  console.log(`  exec ${url}`);
  const shell = await GuestShell.open(() => connectRemoteCommand(url));
  try {
    console.log(`  guest console: ${await shell.run("echo $(hostname) $(uname -sr)", 90_000)}`);
    console.log(`  guest disks: ${(await shell.run("ls /sys/block")).split(/\s+/).join(" ")}`);
    await client.attachVolume({
      machineId: id,
      volume: { name: "scratch", device: "odb", localDisk: { sizeBytes: 32n << 20n } },
    });
    console.log("  hot-plugged a 32 MiB disk");
    const size = await shell.waitFor(
      "cat /sys/block/vdb/size 2>/dev/null",
      (out) => /^\d+$/.test(out),
      60_000,
    );
    console.log(
      `  guest sees vdb: ${Number(size) / 2048} MiB; disks now: ${(await shell.run("ls /sys/block")).split(/\s+/).join(" ")}`,
    );
  } finally {
    shell.close();
  }
  await client.deleteMachine({ machineId: id });
  console.log("  deleted");
  return { client, image, className };
}

function machineRunning(client, id) {
  return until(
    "machine running",
    async () => {
      const { machines } = await client.listMachines({ filter: { id } });
      return machines[0]?.status?.state === machine.MachineState.MACHINE_RUNNING ? machines[0] : undefined;
    },
    180_000,
  );
}

async function demoVolumes() {
  const client = createRuntimeClient(volume.VolumeRuntime, `unix://${runDir}/iri-volumeprovider.sock`);
  const v = await until("volume provider", () => client.version({}));
  console.log(`volume: ${v.runtimeName} ${v.runtimeVersion}`);
  const { volumeClassStatus } = await client.status({});
  const className = volumeClassStatus[0]?.volumeClass?.name ?? "";
  // An IronCore image with a small rootfs, pushed to the loopback registry; the volume is a clone of it.
  const rootfs = Buffer.alloc(4 << 20);
  rootfs.write("IRI demo rootfs", 0);
  const image = await pushImage(registryAddr, "iri-demo/rootfs", "v1", {
    layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: rootfs }],
  });
  const { volume: vol } = await client.createVolume({
    volume: {
      metadata: { labels: label },
      spec: {
        class: className,
        resources: { storageBytes: 1n << 30n },
        volumeDataSource: { imageDataSource: { image: image.reference, architecture: "amd64" } },
      },
    },
  });
  const id = vol?.metadata?.id ?? "";
  console.log(`  created volume ${id} of class ${className} from ${image.reference}`);
  const ready = await until("volume available", async () => {
    const { volumes } = await client.listVolumes({ filter: { id } });
    return volumes[0]?.status?.state === volume.VolumeState.VOLUME_AVAILABLE ? volumes[0] : undefined;
  });
  const access = ready.status?.access;
  console.log(
    `  available: driver=${access?.driver} handle=${access?.handle} image=${access?.attributes.image} ` +
      `monitors=${access?.attributes.monitors} user=${new TextDecoder().decode(access?.secretData.userID)}`,
  );
  await client.expandVolume({ volumeId: id, resources: { storageBytes: 2n << 30n } });
  console.log("  expanded to 2 GiB");
  await client.deleteVolume({ volumeId: id });
  console.log("  deleted");
}

async function demoBuckets() {
  const client = createRuntimeClient(bucket.BucketRuntime, `unix://${runDir}/iri-bucketprovider.sock`);
  const v = await until("bucket provider", () => client.version({}));
  console.log(`bucket: ${v.runtimeName} ${v.runtimeVersion}`);
  const { bucketClasses } = await client.listBucketClasses({});
  console.log(`  classes: ${bucketClasses.map((c) => c.name).join(", ")}`);
  const { bucket: b } = await client.createBucket({
    bucket: { metadata: { labels: label }, spec: { class: bucketClasses[0]?.name ?? "" } },
  });
  const id = b?.metadata?.id ?? "";
  console.log(`  created bucket ${id}`);
  const ready = await until("bucket available", async () => {
    const { buckets } = await client.listBuckets({ filter: { id } });
    return buckets[0]?.status?.state === bucket.BucketState.BUCKET_AVAILABLE ? buckets[0] : undefined;
  });
  const access = ready.status?.access;
  console.log(`  available at ${access?.endpoint}`);
  // Write and read an object with nothing but the returned credentials (path-style, SigV4).
  const secret = (key) => new TextDecoder().decode(access?.secretData[key]);
  const s3 = new SignedClient({
    endpoint: `http://${secret("BUCKET_HOST")}:${secret("BUCKET_PORT")}`,
    region: secret("BUCKET_REGION"),
    credentials: {
      accessKeyId: secret("AWS_ACCESS_KEY_ID"),
      secretAccessKey: secret("AWS_SECRET_ACCESS_KEY"),
    },
  });
  const path = `/${secret("BUCKET_NAME")}/hello.txt`;
  const put = await s3.send({ method: "PUT", path, body: new TextEncoder().encode("hello from the demo") });
  const got = await s3.send({ method: "GET", path });
  if (put.status !== 200 || got.status !== 200)
    throw new Error(`object write/read failed: ${put.status} ${got.status}`);
  console.log(`  wrote and read ${path}: "${new TextDecoder().decode(got.body)}"`);
  await s3.send({ method: "DELETE", path });
  await client.deleteBucket({ bucketId: id });
  console.log("  deleted");
}

// The workspace's machine, volume and bucket: found by label when an earlier run made them, else created.
async function workspace(machines) {
  console.log("workspace (kept across runs and `demo.sh down`):");
  const filter = { filter: { labelSelector: workspaceLabel } };
  const metadata = { labels: workspaceLabel };

  let [m] = (await machines.client.listMachines(filter)).machines;
  if (m === undefined) {
    const rootDisk = { sizeBytes: 64n << 20n, image: { image: machines.image } };
    ({ machine: m } = await machines.client.createMachine({
      machine: {
        metadata,
        spec: {
          class: machines.className,
          volumes: [{ name: "root", device: "oda", localDisk: rootDisk }],
          guestConfig: { hostname: "workspace" },
        },
      },
    }));
  }
  const machineId = m?.metadata?.id ?? "";
  await timed(`machine ${machineId} Running`, () => machineRunning(machines.client, machineId));

  const volumes = createRuntimeClient(volume.VolumeRuntime, `unix://${runDir}/iri-volumeprovider.sock`);
  let [vol] = (await volumes.listVolumes(filter)).volumes;
  if (vol === undefined) {
    const { volumeClassStatus } = await volumes.status({});
    ({ volume: vol } = await volumes.createVolume({
      volume: {
        metadata,
        spec: {
          class: volumeClassStatus[0]?.volumeClass?.name ?? "",
          resources: { storageBytes: 10n << 30n },
        },
      },
    }));
  }
  const volumeId = vol?.metadata?.id ?? "";
  const available = await until("workspace volume available", async () => {
    const { volumes: found } = await volumes.listVolumes({ filter: { id: volumeId } });
    return found[0]?.status?.state === volume.VolumeState.VOLUME_AVAILABLE ? found[0] : undefined;
  });
  const rbdImage = available.status?.access?.attributes.image ?? "";
  console.log(`  volume ${volumeId}: 10 GiB, available as RBD image ${rbdImage}`);

  const buckets = createRuntimeClient(bucket.BucketRuntime, `unix://${runDir}/iri-bucketprovider.sock`);
  let [b] = (await buckets.listBuckets(filter)).buckets;
  if (b === undefined) {
    const { bucketClasses } = await buckets.listBucketClasses({});
    ({ bucket: b } = await buckets.createBucket({
      bucket: { metadata, spec: { class: bucketClasses[0]?.name ?? "" } },
    }));
  }
  const bucketId = b?.metadata?.id ?? "";
  await until("workspace bucket available", async () => {
    const { buckets: found } = await buckets.listBuckets({ filter: { id: bucketId } });
    return found[0]?.status?.state === bucket.BucketState.BUCKET_AVAILABLE ? found[0] : undefined;
  });
  console.log(`  bucket ${bucketId}: available`);
  writeFileSync(
    `${runDir}/workspace.json`,
    `${JSON.stringify({ machineId, volumeId, rbdImage, bucketId }, null, 2)}\n`,
  );
}

const machines = await demoMachines();
await demoVolumes();
await demoBuckets();
await workspace(machines);
