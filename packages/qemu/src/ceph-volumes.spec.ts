import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MachineFiles } from "./machine-files.js";
import { qemuMachineBackend, qemuSettings } from "./qemu-backend-factory.js";
import type { QemuMachineBackend } from "./qemu-machine-backend.js";
import { CephFixture, type CephTestVolume } from "./testdata/ceph-fixture.js";
import { converge, removeMachine } from "./testdata/converge.js";
import { smallMachine } from "./testdata/intents.js";
import { defaultSettings } from "./testdata/settings.js";
import { buildTestGuest, GuestShell, pushTestGuest } from "./testing/index.js";

const MiB = 1024n * 1024n;
const sectors = (mib: bigint) => String((mib * MiB) / 512n);

describe("Ceph RBD volumes through QEMU's rbd driver (shared loopback Ceph, real QEMU)", () => {
  let ceph: CephFixture;
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  let shell: GuestShell;
  let image = "";
  const id = `rbd${Date.now().toString(36)}`;
  const root = () =>
    create(machine.VolumeSchema, { name: "root", device: "oda", localDisk: { image: { image } } });
  const intent = (volumes: machine.Volume[]) => smallMachine(id, { volumes: [root(), ...volumes] });
  const apply = (volumes: machine.Volume[]) =>
    converge(() => backend.apply(intent(volumes), context.operation(id)));
  // The connection as the volumepoollet passes the volume provider's access on: the volume's own cephx user.
  const cephVolume = (
    name: string,
    device: string,
    made: CephTestVolume,
    sizeMiB: bigint,
    passphrase?: string,
  ) =>
    create(machine.VolumeSchema, {
      name,
      device,
      connection: {
        driver: "ceph",
        handle: `${ceph.pool}/${made.image}`,
        attributes: made.access.attributes,
        secretData: made.access.secretData,
        ...(passphrase ? { encryptionData: { encryptionKey: new TextEncoder().encode(passphrase) } } : {}),
        effectiveStorageBytes: sizeMiB * MiB,
      },
    });

  beforeAll(async () => {
    ceph = await CephFixture.create();
    const guest = buildTestGuest();
    context = new TestBackendContext({ provider: "machine-provider" });
    image = await pushTestGuest(guest);
    backend = await qemuMachineBackend.open(
      { ...defaultSettings(qemuSettings), shutdownTimeout: 1 },
      context,
    );
    await apply([]);
    shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    await shell.run("true", 60_000);
  }, 120_000);

  afterAll(async () => {
    shell?.close();
    if (backend) {
      await removeMachine(backend, context, id);
      await backend.close();
      await context.dispose();
    }
    await ceph?.cleanup();
  }, 60_000);

  it("hot-plugs a volume opened with its own per-volume key, reads and writes it, grows it live, and detaches it", async () => {
    const made = await ceph.createVolume(64);
    const rbdImage = made.image;
    const attached = await apply([cephVolume("data", "odb", made, 64n)]);
    expect(attached.volumes.find((v) => v.name === "data")).toMatchObject({
      handle: `ceph/${ceph.pool}/${rbdImage}`,
      state: machine.VolumeState.VOLUME_ATTACHED,
    });
    expect(await shell.waitFor("cat /sys/block/vdb/size", (out) => /^\d+$/.test(out))).toBe(sectors(64n));
    // The guest writes through the volume's key and reads it back past its page cache.
    await shell.run("printf iri-rbd-volume > /dev/vdb && sync && echo 3 > /proc/sys/vm/drop_caches");
    expect(await shell.run("head -c 14 /dev/vdb")).toBe("iri-rbd-volume");

    await ceph.resizeImage(rbdImage, 96);
    await apply([cephVolume("data", "odb", made, 96n)]);
    await shell.waitFor("cat /sys/block/vdb/size", (out) => out === sectors(96n));

    await apply([]);
    expect(await shell.run("ls /sys/block")).not.toContain("vdb");
    expect(context.reasons(id)).toEqual(
      expect.arrayContaining(["VolumeAttached", "VolumeResized", "VolumeDetached"]),
    );
  }, 120_000);

  it("opens a LUKS2-formatted RBD image with the passphrase from encryption_data", async () => {
    const made = await ceph.createVolume(64, "correct horse battery staple");
    const key = new TextDecoder().decode(made.access.secretData.userKey);
    await apply([cephVolume("secret", "odc", made, 64n, "correct horse battery staple")]);
    // The backend sized the image for librbd's 16 MiB LUKS2 header: the guest sees the volume's size.
    expect(await shell.waitFor("cat /sys/block/vdb/size", (out) => /^\d+$/.test(out))).toBe(sectors(64n));
    expect(JSON.stringify(context.events)).not.toContain("correct horse");
    expect(JSON.stringify(context.events)).not.toContain(key);
    // Rapid detach/attach cycles of the encrypted volume, one reconcile pass each: it ends fully attached.
    const secret = cephVolume("secret", "odc", made, 64n, "correct horse battery staple");
    for (let i = 0; i < 3; i++) {
      await backend.apply(intent([]), context.operation(id));
      await backend.apply(intent([secret]), context.operation(id));
    }
    const again = await apply([secret]);
    expect(again.volumes.find((v) => v.name === "secret")?.state).toBe(machine.VolumeState.VOLUME_ATTACHED);
    await shell.waitFor("cat /sys/block/vdb/size", (out) => out === sectors(64n));
    const files = new MachineFiles(context.stateDir, id);
    const argv = await readFile(`/proc/${(await readFile(files.pidFile, "utf8")).trim()}/cmdline`, "utf8");
    expect(argv).toContain(files.qmpSocket);
    expect(argv).not.toContain(key);
    expect(argv).not.toContain(Buffer.from("correct horse battery staple").toString("base64"));
    for (const name of await readdir(files.dir)) {
      if (!name.endsWith(".sock") && name !== "disks") {
        expect(await readFile(join(files.dir, name), "utf8")).not.toContain(key);
      }
    }
  }, 120_000);
});
