// Every mutating machine RPC, one row per answer: the code a caller gets, and that a refused call leaves the
// stored machine exactly as it was (same resource version) while an accepted one changes what it says.
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { ProviderError } from "@iri/runtime-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MachineRecord } from "../machine-store.js";
import { machineFixture } from "../testdata/machine-fixture.js";
import { attachNetworkInterface } from "./attach-network-interface.js";
import { attachVolume } from "./attach-volume.js";
import type { MachineServerContext } from "./context.js";
import { createMachine } from "./create-machine.js";
import { deleteMachine } from "./delete-machine.js";
import { detachNetworkInterface } from "./detach-network-interface.js";
import { detachVolume } from "./detach-volume.js";
import { updateMachineAnnotations } from "./update-machine-annotations.js";
import { updateMachinePower } from "./update-machine-power.js";
import { updateVolume } from "./update-volume.js";

let fixture: Awaited<ReturnType<typeof machineFixture>>;
let ctx: MachineServerContext;
/** A machine with volume "data" on device odb and network interface "eth0". */
let id: string;

beforeEach(async () => {
  fixture = await machineFixture();
  ctx = fixture.ctx;
  const created = await createMachine(
    ctx,
    create(machine.CreateMachineRequestSchema, {
      machine: {
        spec: {
          class: "one-cpu",
          power: machine.Power.ON,
          volumes: [{ name: "data", device: "odb", localDisk: { sizeBytes: 1n << 30n } }],
          networkInterfaces: [{ name: "eth0", networkId: "n1" }],
        },
      },
    }),
  );
  id = created.machine?.metadata?.id ?? "";
});

afterEach(() => fixture.close());

const disk = (name: string, device: string) => ({ name, device, localDisk: { sizeBytes: 1n << 30n } });
const volumeNames = (m: MachineRecord) => m.spec.volumes.map((v) => `${v.name}:${v.device}`);
const nicNames = (m: MachineRecord) => m.spec.networkInterfaces.map((n) => n.name);

interface Row {
  call: string;
  /** What the caller asks, given the id of the prepared machine. */
  send: (machineId: string) => Promise<unknown>;
  code: Code;
}

const refused: Row[] = [
  {
    call: "AttachVolume to a machine that does not exist",
    send: () =>
      attachVolume(
        ctx,
        create(machine.AttachVolumeRequestSchema, { machineId: "nope", volume: disk("x", "odc") }),
      ),
    code: Code.NotFound,
  },
  {
    call: "AttachVolume without a volume name",
    send: (machineId) =>
      attachVolume(ctx, create(machine.AttachVolumeRequestSchema, { machineId, volume: disk("", "odc") })),
    code: Code.InvalidArgument,
  },
  {
    call: "AttachVolume with a device that is not a device name",
    send: (machineId) =>
      attachVolume(ctx, create(machine.AttachVolumeRequestSchema, { machineId, volume: disk("x", "sda1") })),
    code: Code.InvalidArgument,
  },
  {
    call: "AttachVolume of a name the machine has",
    send: (machineId) =>
      attachVolume(
        ctx,
        create(machine.AttachVolumeRequestSchema, { machineId, volume: disk("data", "odc") }),
      ),
    code: Code.AlreadyExists,
  },
  {
    call: "AttachVolume on a device the machine uses",
    send: (machineId) =>
      attachVolume(ctx, create(machine.AttachVolumeRequestSchema, { machineId, volume: disk("x", "odb") })),
    code: Code.AlreadyExists,
  },
  {
    call: "AttachNetworkInterface without a name",
    send: (machineId) =>
      attachNetworkInterface(
        ctx,
        create(machine.AttachNetworkInterfaceRequestSchema, {
          machineId,
          networkInterface: { networkId: "n2" },
        }),
      ),
    code: Code.InvalidArgument,
  },
  {
    call: "AttachNetworkInterface of a name the machine has",
    send: (machineId) =>
      attachNetworkInterface(
        ctx,
        create(machine.AttachNetworkInterfaceRequestSchema, {
          machineId,
          networkInterface: { name: "eth0" },
        }),
      ),
    code: Code.AlreadyExists,
  },
  {
    call: "DetachVolume of a name the machine does not have",
    send: (machineId) =>
      detachVolume(ctx, create(machine.DetachVolumeRequestSchema, { machineId, name: "other" })),
    code: Code.NotFound,
  },
  {
    call: "DetachVolume without a name",
    send: (machineId) => detachVolume(ctx, create(machine.DetachVolumeRequestSchema, { machineId })),
    code: Code.InvalidArgument,
  },
  {
    call: "DetachNetworkInterface of a name the machine does not have",
    send: (machineId) =>
      detachNetworkInterface(
        ctx,
        create(machine.DetachNetworkInterfaceRequestSchema, { machineId, name: "eth9" }),
      ),
    code: Code.NotFound,
  },
  {
    call: "UpdateVolume of a name the machine does not have",
    send: (machineId) =>
      updateVolume(
        ctx,
        create(machine.UpdateVolumeRequestSchema, { machineId, volume: disk("other", "odc") }),
      ),
    code: Code.NotFound,
  },
  {
    call: "UpdateVolume moving a volume to another device",
    send: (machineId) =>
      updateVolume(
        ctx,
        create(machine.UpdateVolumeRequestSchema, { machineId, volume: disk("data", "odc") }),
      ),
    code: Code.InvalidArgument,
  },
  {
    call: "UpdateMachinePower to an unknown power state",
    send: (machineId) =>
      updateMachinePower(
        ctx,
        create(machine.UpdateMachinePowerRequestSchema, { machineId, power: 7 as machine.Power }),
      ),
    code: Code.InvalidArgument,
  },
  {
    call: "UpdateMachineAnnotations of a machine that does not exist",
    send: () =>
      updateMachineAnnotations(
        ctx,
        create(machine.UpdateMachineAnnotationsRequestSchema, { machineId: "nope", annotations: { a: "b" } }),
      ),
    code: Code.NotFound,
  },
  {
    call: "DeleteMachine without an id",
    send: () => deleteMachine(ctx, create(machine.DeleteMachineRequestSchema, {})),
    code: Code.InvalidArgument,
  },
];

describe.each(refused)("$call", ({ send, code }) => {
  it(`answers ${Code[code]} and leaves the machine as it was`, async () => {
    const before = ctx.machines.get(id);
    const error = await send(id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(code);
    expect(ctx.machines.get(id)?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
  });
});

const accepted: {
  call: string;
  send: (machineId: string) => Promise<unknown>;
  stored: (m: MachineRecord) => void;
}[] = [
  {
    call: "AttachVolume of a new name on a free device",
    send: (machineId) =>
      attachVolume(
        ctx,
        create(machine.AttachVolumeRequestSchema, { machineId, volume: disk("logs", "odc") }),
      ),
    stored: (m) => expect(volumeNames(m)).toEqual(["data:odb", "logs:odc"]),
  },
  {
    call: "AttachNetworkInterface of a new name",
    send: (machineId) =>
      attachNetworkInterface(
        ctx,
        create(machine.AttachNetworkInterfaceRequestSchema, {
          machineId,
          networkInterface: { name: "eth1", networkId: "n2" },
        }),
      ),
    stored: (m) => expect(nicNames(m)).toEqual(["eth0", "eth1"]),
  },
  {
    call: "DetachVolume of a name the machine has",
    send: (machineId) =>
      detachVolume(ctx, create(machine.DetachVolumeRequestSchema, { machineId, name: "data" })),
    stored: (m) => expect(volumeNames(m)).toEqual([]),
  },
  {
    call: "DetachNetworkInterface of a name the machine has",
    send: (machineId) =>
      detachNetworkInterface(
        ctx,
        create(machine.DetachNetworkInterfaceRequestSchema, { machineId, name: "eth0" }),
      ),
    stored: (m) => expect(nicNames(m)).toEqual([]),
  },
  {
    call: "UpdateVolume growing a local disk",
    send: (machineId) =>
      updateVolume(
        ctx,
        create(machine.UpdateVolumeRequestSchema, {
          machineId,
          volume: { ...disk("data", "odb"), localDisk: { sizeBytes: 2n << 30n } },
        }),
      ),
    stored: (m) => expect(m.spec.volumes[0]?.localDisk?.sizeBytes).toBe(2n << 30n),
  },
  {
    call: "UpdateMachinePower to off",
    send: (machineId) =>
      updateMachinePower(
        ctx,
        create(machine.UpdateMachinePowerRequestSchema, { machineId, power: machine.Power.OFF }),
      ),
    stored: (m) => expect(m.spec.power).toBe(machine.Power.OFF),
  },
  {
    call: "UpdateMachineAnnotations (a full replace)",
    send: (machineId) =>
      updateMachineAnnotations(
        ctx,
        create(machine.UpdateMachineAnnotationsRequestSchema, {
          machineId,
          annotations: { "example.com/a": "b" },
        }),
      ),
    stored: (m) => expect(m.metadata.annotations).toEqual({ "example.com/a": "b" }),
  },
  {
    call: "DeleteMachine",
    send: (machineId) => deleteMachine(ctx, create(machine.DeleteMachineRequestSchema, { machineId })),
    stored: (m) => expect(m.metadata.deletedAt).not.toBe(0n),
  },
];

describe.each(accepted)("$call", ({ send, stored: check }) => {
  it("is stored", async () => {
    await send(id);
    const stored = ctx.machines.get(id);
    expect(stored).toBeDefined();
    check(stored as MachineRecord);
  });
});

describe("a machine being deleted", () => {
  const changes: Row[] = [
    {
      call: "AttachVolume",
      send: (machineId) =>
        attachVolume(ctx, create(machine.AttachVolumeRequestSchema, { machineId, volume: disk("x", "odc") })),
      code: Code.FailedPrecondition,
    },
    {
      call: "AttachNetworkInterface",
      send: (machineId) =>
        attachNetworkInterface(
          ctx,
          create(machine.AttachNetworkInterfaceRequestSchema, {
            machineId,
            networkInterface: { name: "eth1" },
          }),
        ),
      code: Code.FailedPrecondition,
    },
    {
      call: "UpdateVolume",
      send: (machineId) =>
        updateVolume(
          ctx,
          create(machine.UpdateVolumeRequestSchema, { machineId, volume: disk("data", "odb") }),
        ),
      code: Code.FailedPrecondition,
    },
    {
      call: "UpdateMachinePower",
      send: (machineId) =>
        updateMachinePower(
          ctx,
          create(machine.UpdateMachinePowerRequestSchema, { machineId, power: machine.Power.OFF }),
        ),
      code: Code.FailedPrecondition,
    },
  ];

  it.each(changes)("refuses $call with FailedPrecondition", async ({ send, code }) => {
    await deleteMachine(ctx, create(machine.DeleteMachineRequestSchema, { machineId: id }));
    const before = ctx.machines.get(id)?.metadata.resourceVersion;
    await expect(send(id)).rejects.toMatchObject({ code });
    expect(ctx.machines.get(id)?.metadata.resourceVersion).toBe(before);
  });
});
