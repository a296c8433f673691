import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { MachineIntent } from "@iri/backend-api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "./host/qemu-process.js";
import { runCommand } from "./host/run-command.js";
import { MachineFiles } from "./machine-files.js";
import { qemuMachineBackend, qemuSettings } from "./qemu-backend-factory.js";
import type { QemuMachineBackend } from "./qemu-machine-backend.js";
import { converge, eventually, removeMachine } from "./testdata/converge.js";
import { defaultSettings } from "./testdata/settings.js";
import { buildTestGuest, GUEST_READY_MARKER, GuestShell, pushTestGuest } from "./testing/index.js";

const MiB = 1024n * 1024n;

describe("QEMU machine backend on the test guest (real QEMU)", () => {
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  let shell: GuestShell | undefined;
  let image = "";
  const id = `m${Date.now().toString(36)}`;
  const intent = (spec: Partial<machine.MachineSpec>): MachineIntent => ({
    id,
    labels: {},
    class: { name: "small", resources: {}, cpus: 1n, memoryBytes: 256n * MiB, settings: {} },
    spec: {
      ...create(machine.MachineSpecSchema, {
        class: "small",
        ignitionData: new TextEncoder().encode('{"ignition":{"version":"3.4.0"}}'),
        guestConfig: { hostname: "guest-one" },
        volumes: [
          { name: "root", device: "oda", localDisk: { sizeBytes: 64n * MiB, image: { image } } },
          { name: "scratch", device: "odb", localDisk: { sizeBytes: 32n * MiB } },
        ],
        networkInterfaces: [{ name: "primary", networkId: "net-a", ips: ["10.0.0.2"] }],
      }),
      ...spec,
    },
  });
  const apply = (spec: Partial<machine.MachineSpec> = {}) =>
    converge(() => backend.apply(intent(spec), context.operation(id)));
  const SCRATCH_SIZE = 'for d in /sys/block/vd*; do [ "$(cat $d/serial)" = odb ] && cat $d/size; done; true';
  const pidOf = async () =>
    Number((await readFile(new MachineFiles(context.stateDir, id).pidFile, "utf8")).trim());
  /**
   * The machine of `intent({})` running, with a fresh console shell: where every case after the first starts,
   * whichever cases ran before it (or none), so that each one can run alone.
   */
  const running = async (): Promise<GuestShell> => {
    shell?.close();
    shell = undefined;
    expect((await apply()).state).toBe(machine.MachineState.MACHINE_RUNNING);
    shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    await shell.waitFor("hostname", (out) => out === "guest-one", 60_000);
    return shell;
  };

  beforeAll(async () => {
    const guest = buildTestGuest();
    context = new TestBackendContext({ provider: "machine-provider" });
    image = await pushTestGuest(guest);
    backend = await qemuMachineBackend.open(
      { ...defaultSettings(qemuSettings), shutdownTimeout: 8 },
      context,
    );
  }, 120_000);

  afterAll(async () => {
    shell?.close();
    await removeMachine(backend, context, id);
    await backend.close();
    await context.dispose();
  }, 60_000);

  it("boots the image's disk to the marker on the console with both disks, the NIC, ignition and the hostname", async () => {
    // Listed as IronCore's machinepoollet lists them (its remote volumes, then its local disks): the image's
    // disk boots wherever it is in the list.
    const [root, scratch] = intent({}).spec.volumes;
    const observation = await apply({ volumes: [scratch, root].filter((v) => v !== undefined) });
    expect(observation.state).toBe(machine.MachineState.MACHINE_RUNNING);
    expect(observation.volumes.map((v) => [v.name, v.state])).toEqual([
      ["scratch", machine.VolumeState.VOLUME_ATTACHED],
      ["root", machine.VolumeState.VOLUME_ATTACHED],
    ]);
    expect(observation.networkInterfaces.map((n) => n.state)).toEqual([
      machine.NetworkInterfaceState.NETWORK_INTERFACE_ATTACHED,
    ]);
    expect(context.reasons(id)).toEqual(expect.arrayContaining(["ImagePulled", "MachineStarted"]));
    expect(observation.imageRef).toMatch(new RegExp(`^${image}@sha256:[0-9a-f]{64}$`));
    expect(await readdir(join(context.stateDir, "images"))).toHaveLength(1);
    expect(context.events.find((e) => e.reason === "MachineStarted")?.message).toMatch(
      /accelerator (tcg|kvm)/,
    );

    const files = new MachineFiles(context.stateDir, id);
    await eventually(
      async () => {
        const log = await readFile(files.consoleLog, "utf8").catch(() => "");
        return log.includes(`${GUEST_READY_MARKER} guest-one`) ? true : undefined;
      },
      "marker with the hostname in the console log",
      60_000,
    );
    // Readable by QEMU's unprivileged user (its group) for fw_cfg, by nobody else.
    const ignition = await stat(files.ignitionFile);
    expect(ignition.mode & 0o777).toBe(0o640);
    expect(ignition.gid).toBe(Number((await runCommand(["id", "-g", "iri-qemu"])).trim()));

    shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    expect(await shell.run("cat /sys/block/vda/size /sys/block/vdb/size")).toBe(
      `${(32n * MiB) / 512n}\n${(64n * MiB) / 512n}`,
    );
    expect(await shell.run("cat /sys/block/vda/serial; echo; cat /sys/block/vdb/serial")).toBe("odb\noda");
    expect(await shell.run("head -c 15 /dev/vdb")).toBe("IRI-TEST-ROOTFS");
    expect(await shell.run("cat /sys/firmware/qemu_fw_cfg/by_name/opt/com.coreos/config/raw")).toBe(
      '{"ignition":{"version":"3.4.0"}}',
    );
    expect(await shell.run("ls /sys/class/net")).toContain("eth0");
    expect(
      await shell.run("cat /sys/firmware/qemu_fw_cfg/by_name/opt/dev.ironcore/network-interfaces/raw"),
    ).toContain('"ips":["10.0.0.2"]');
  }, 120_000);

  it("hot-plugs a disk and a NIC the guest sees, grows the hot-plugged disk live, and detaches both again", async () => {
    const guest = await running();
    const base = intent({}).spec;
    const extra = create(machine.VolumeSchema, {
      name: "extra",
      device: "odc",
      localDisk: { sizeBytes: 16n * MiB },
    });
    const second = create(machine.NetworkInterfaceSchema, { name: "second", networkId: "net-b" });
    const nics = [...base.networkInterfaces, second];
    const plugged = await apply({ volumes: [...base.volumes, extra], networkInterfaces: nics });
    expect(plugged.volumes.find((v) => v.name === "extra")?.state).toBe(machine.VolumeState.VOLUME_ATTACHED);
    expect(await guest.waitFor("cat /sys/block/vdc/size", (out) => /^\d+$/.test(out))).toBe(
      `${(16n * MiB) / 512n}`,
    );
    await guest.waitFor("ls /sys/class/net", (out) => out.includes("eth1"));
    expect(context.reasons(id)).toEqual(
      expect.arrayContaining(["VolumeAttached", "NetworkInterfaceAttached"]),
    );

    // Grows the hot-plugged disk, not one of the intent's, so that the other cases find the disks the intent names.
    const grown = create(machine.VolumeSchema, {
      ...extra,
      localDisk: create(machine.LocalDiskSchema, { sizeBytes: 24n * MiB }),
    });
    await apply({ volumes: [...base.volumes, grown], networkInterfaces: nics });
    await guest.waitFor("cat /sys/block/vdc/size", (out) => out === `${(24n * MiB) / 512n}`);
    expect(context.reasons(id)).toContain("VolumeResized");

    const inventory = await readFile(new MachineFiles(context.stateDir, id).inventoryFile, "utf8");
    expect(inventory).toContain('"extra"');
    const detached = await apply();
    expect(detached.volumes.map((v) => v.name)).toEqual(["root", "scratch"]);
    expect(detached.networkInterfaces.map((n) => n.name)).toEqual(["primary"]);
    expect(await guest.run("ls /sys/block")).not.toContain("vdc");
    expect(await guest.run("ls /sys/class/net")).not.toContain("eth1");
    // The detached local disk's file is released; the two remaining disks keep theirs.
    expect(await readdir(new MachineFiles(context.stateDir, id).disksDir)).toHaveLength(2);
    expect(await readFile(new MachineFiles(context.stateDir, id).inventoryFile, "utf8")).not.toContain(
      '"extra"',
    );
    expect(context.reasons(id)).toEqual(
      expect.arrayContaining(["VolumeDetached", "NetworkInterfaceDetached"]),
    );
  }, 180_000);

  it("ends rapid attach/detach cycles with the device fully there or fully gone", async () => {
    const guest = await running();
    const base = intent({}).spec;
    const flap = create(machine.VolumeSchema, {
      name: "flap",
      device: "odf",
      localDisk: { sizeBytes: 8n * MiB },
    });
    const nic = create(machine.NetworkInterfaceSchema, { name: "flapnic", networkId: "net-c" });
    const withFlap = intent({
      volumes: [...base.volumes, flap],
      networkInterfaces: [...base.networkInterfaces, nic],
    });
    // One reconcile pass each, never waiting for the guest: attach, detach, attach, … as fast as calls go.
    for (let i = 0; i < 4; i++) {
      await backend.apply(withFlap, context.operation(id));
      await backend.apply(intent({}), context.operation(id));
    }
    const present = await apply({
      volumes: [...base.volumes, flap],
      networkInterfaces: withFlap.spec.networkInterfaces,
    });
    expect(present.volumes.find((v) => v.name === "flap")?.state).toBe(machine.VolumeState.VOLUME_ATTACHED);
    await guest.waitFor("cat /sys/block/vdc/size", (out) => out === `${(8n * MiB) / 512n}`);
    const gone = await apply();
    expect(gone.volumes.map((v) => v.name)).toEqual(["root", "scratch"]);
    expect(gone.networkInterfaces.map((n) => n.name)).toEqual(["primary"]);
    await guest.waitFor("ls /sys/block", (out) => !out.includes("vdc"));
    await guest.waitFor("ls /sys/class/net", (out) => !out.includes("eth1"));
    expect(await readdir(new MachineFiles(context.stateDir, id).disksDir)).toHaveLength(2);
    expect(await readFile(new MachineFiles(context.stateDir, id).inventoryFile, "utf8")).not.toContain(
      "flap",
    );
  }, 180_000);

  it("powers off to SUSPENDED with no QEMU left (ACPI, then hard stop for a guest that ignores it) and on again", async () => {
    (await running()).close();
    shell = undefined;
    let pid = await pidOf();
    const off = await apply({ power: machine.Power.OFF });
    expect(off.state).toBe(machine.MachineState.MACHINE_SUSPENDED);
    expect(await isAlive(pid)).toBe(false);
    expect(context.reasons(id)).toEqual(expect.arrayContaining(["ShutdownRequested", "MachinePoweredOff"]));
    expect(context.reasons(id)).not.toContain("HardStop");
    expect(context.events.find((e) => e.reason === "MachinePoweredOff")?.message).toMatch(
      /^machine powered off \d+ ms after the ACPI shutdown request$/,
    );

    const on = await apply();
    expect(on.state).toBe(machine.MachineState.MACHINE_RUNNING);
    expect(await pidOf()).not.toBe(pid);
    pid = await pidOf();
    shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    // The scratch disk by its serial: its vdX name follows the order the disks were first listed in.
    expect(await shell.run(SCRATCH_SIZE, 60_000)).toBe(`${(32n * MiB) / 512n}`);

    // Without its power-button watcher the guest ignores ACPI: the deadline passes and QEMU is stopped.
    await shell.run("killall head; true");
    shell.close();
    shell = undefined;
    const stopped = await apply({ power: machine.Power.OFF });
    expect(stopped.state).toBe(machine.MachineState.MACHINE_SUSPENDED);
    expect(await isAlive(pid)).toBe(false);
    expect(context.reasons(id)).toContain("HardStop");

    expect((await apply()).state).toBe(machine.MachineState.MACHINE_RUNNING);
    shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    expect(await shell.run("hostname", 60_000)).toBe("guest-one");
  }, 240_000);

  it("starts a guest again that powered itself off while the spec says on", async () => {
    let guest = await running();
    const pid = await pidOf();
    const notifiedBefore = context.notified.length;
    guest.run("poweroff -f", 2000).catch(() => undefined);
    await eventually(
      async () => ((await isAlive(pid)) ? undefined : true),
      "QEMU exits after the guest's poweroff",
    );
    await eventually(
      async () => (context.notified.length > notifiedBefore ? true : undefined),
      "the backend asks for a reconcile",
    );
    guest.close();
    const observation = await apply();
    expect(observation.state).toBe(machine.MachineState.MACHINE_RUNNING);
    expect(context.reasons(id)).toContain("GuestShutdown");
    expect(await isAlive(await pidOf())).toBe(true);
    guest = shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    expect(await guest.run("hostname", 60_000)).toBe("guest-one");

    // Again soon after its start: a crash loop, started again only after a back-off.
    const again = await pidOf();
    guest.run("poweroff -f", 2000).catch(() => undefined);
    await eventually(async () => ((await isAlive(again)) ? undefined : true), "QEMU exits again");
    guest.close();
    const backingOff = await backend.apply(intent({}), context.operation(id));
    expect(backingOff.notDone?.reason).toBe("CrashLoopBackOff");
    expect(backingOff.notDone?.afterMs).toBeGreaterThan(5_000);
    expect((await apply()).state).toBe(machine.MachineState.MACHINE_RUNNING);
    expect(context.reasons(id).filter((r) => r === "GuestShutdown")).toHaveLength(2);
    guest = shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    expect(await guest.run("hostname", 60_000)).toBe("guest-one");
  }, 180_000);

  it("lists the machine with its owner and creation tags and removes every trace of it", async () => {
    await running();
    expect(await backend.listOwned()).toEqual([
      { id, owner: context.owner.instanceId, created: { lineage: "test", generation: 1 } },
    ]);
    const pid = await pidOf();
    shell?.close();
    shell = undefined;
    await removeMachine(backend, context, id);
    expect(await isAlive(pid)).toBe(false);
    expect(existsSync(new MachineFiles(context.stateDir, id).dir)).toBe(false);
    expect(await backend.listOwned()).toEqual([]);
  }, 60_000);
});
