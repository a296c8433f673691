// machine-boot: CreateMachine → first byte on the machine's serial console, through the machine provider on
// its qemu backend, against the floor of a bare qemu-system-x86_64 boot of the same kernel and initramfs
// (same accelerator, memory and kernel command line) from spawn to its first byte on stdout.
// machine-burst-N: N machines created at once until every console shows its first byte, against N bare QEMU
// boots started at once.
// rss-machines: the provider's RSS while N of those machines run.
import { spawn } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRuntimeClient, machine } from "@iri/api";
import { buildTestGuest, GUEST_COMMAND_LINE, pushTestGuest, type TestGuest } from "@iri/qemu/testing";
import type { BenchOptions } from "./options.js";
import { readMemory } from "./proc-stats.js";
import { startMachineProvider } from "./provider-process.js";
import { type Summary, summarize } from "./samples.js";

export interface BootMeasurement {
  /** Seconds from CreateMachine to the first console byte, per run. */
  readonly provider: Summary;
  /** Seconds from spawning a bare QEMU to its first byte on stdout, per run. */
  readonly floor: Summary;
  readonly accelerator: string;
  readonly runningMachines: number;
  readonly rssWithMachinesBytes: number;
  /** N machines at once: seconds until the last first console byte, through the provider and bare. */
  readonly burst: {
    readonly machines: number;
    readonly providerSeconds: number;
    readonly floorSeconds: number;
  };
}

/**
 * How long a boot (bare or through the provider) may take to its first console byte before the run fails:
 * ten TCG guests at once on a shared 2-core host took over 60 s for their first byte.
 */
const BOOT_DEADLINE_MS = 300_000;

/** Machines of machine-burst-N: what a machinepoollet starts at once when a deployment scales up. */
const BURST_MACHINES = 10;

export async function measureMachineBoot(options: BenchOptions, dir: string): Promise<BootMeasurement> {
  const registry = process.env.REGISTRY_ADDR;
  if (!registry) throw new Error("machine-boot needs the loopback registry: REGISTRY_ADDR is not set");
  const guest = buildTestGuest();
  const image = await pushTestGuest(guest, "iri-bench/boot-guest");
  const runs = options.quick ? 1 : options.bootRuns;

  const classFile = join(dir, "boot-classes.json");
  await writeFile(classFile, JSON.stringify([{ name: "boot", capabilities: { cpu: 1, memory: 268435456 } }]));
  const stateDir = join(dir, "boot");
  const provider = await startMachineProvider(stateDir, [
    "--backend",
    "qemu",
    "--class-file",
    classFile,
    "--streaming-address",
    "127.0.0.1:0",
    "--qemu-shutdown-timeout",
    "0",
  ]);
  try {
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    const machineDir = (id: string) => join(stateDir, "state", "backend", "qemu", "machines", id);
    const consoleLog = (id: string) => join(machineDir(id), "console.log");
    const create = async () => {
      const started = performance.now();
      const response = await client.createMachine({
        machine: {
          spec: {
            class: "boot",
            volumes: [{ name: "root", device: "oda", localDisk: { image: { image } } }],
          },
        },
      });
      const id = response.machine?.metadata?.id ?? "";
      await until(`first console byte of ${id}`, async () =>
        (await size(consoleLog(id))) > 0 ? true : undefined,
      );
      return { id, seconds: (performance.now() - started) / 1000 };
    };
    const remove = async (id: string) => {
      await client.deleteMachine({ machineId: id });
      await until(`deletion of ${id}`, async () =>
        (await client.listMachines({ filter: { id } })).machines.length === 0 ? true : undefined,
      );
    };

    // A warm-up machine pulls the image into the cache: the target is a create from a cached image. Its
    // QEMU command line says which accelerator the backend chose; the floor uses the same.
    const warmUp = (await create()).id;
    const pid = (await readFile(join(machineDir(warmUp), "qemu.pid"), "utf8")).trim();
    const accelerator = /accel=(\w+)/.exec(await readFile(`/proc/${pid}/cmdline`, "utf8"))?.[1] ?? "tcg";
    await remove(warmUp);
    const providerSeconds: number[] = [];
    const floorSeconds: number[] = [];
    for (let run = 0; run < runs; run++) {
      floorSeconds.push(await bareBoot(guest, accelerator));
      const { id, seconds } = await create();
      providerSeconds.push(seconds);
      await remove(id);
    }

    const burstMachines = options.quick ? 2 : BURST_MACHINES;
    const floorStart = performance.now();
    await Promise.all(Array.from({ length: burstMachines }, () => bareBoot(guest, accelerator)));
    const burstFloorSeconds = (performance.now() - floorStart) / 1000;
    const burstStart = performance.now();
    const burstIds = (await Promise.all(Array.from({ length: burstMachines }, () => create()))).map(
      (c) => c.id,
    );
    const burstProviderSeconds = (performance.now() - burstStart) / 1000;
    for (const id of burstIds) await remove(id);

    const count = options.quick ? 2 : options.runningMachines;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await create()).id);
    const rss = readMemory(provider.pid).rssBytes;
    for (const id of ids) await remove(id);
    return {
      provider: summarize(providerSeconds),
      floor: summarize(floorSeconds),
      accelerator,
      runningMachines: count,
      rssWithMachinesBytes: rss,
      burst: {
        machines: burstMachines,
        providerSeconds: burstProviderSeconds,
        floorSeconds: burstFloorSeconds,
      },
    };
  } finally {
    await provider.stop();
  }
}

/** Seconds from spawning QEMU with the guest's kernel to its first byte on the serial console (stdout). */
function bareBoot(guest: TestGuest, accelerator: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      "qemu-system-x86_64",
      [
        "-machine",
        `q35,accel=${accelerator === "kvm" ? "kvm" : "tcg"}`,
        "-m",
        "256M",
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-serial",
        "stdio",
        "-kernel",
        guest.kernel,
        "-initrd",
        guest.initramfs,
        "-append",
        GUEST_COMMAND_LINE,
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bare QEMU printed nothing within ${BOOT_DEADLINE_MS / 1000} s`));
    }, BOOT_DEADLINE_MS);
    child.stdout.once("data", () => {
      clearTimeout(timer);
      resolve((performance.now() - started) / 1000);
      child.kill("SIGKILL");
    });
    child.once("error", reject);
  });
}

async function size(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = BOOT_DEADLINE_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`machine-boot: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
