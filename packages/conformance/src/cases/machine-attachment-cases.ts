// Machine volume and NIC attachments. The machinepoollet detaches and re-attaches a changed entry under the
// same name in one reconcile, and compares what ListMachines returns with proto.Equal.
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { check, expectCode, expectOk } from "../check.js";
import type { CaseContext, ConformanceCase } from "../conformance-case.js";
import { mustGet } from "../observe.js";
import type { MachineSubject } from "../subjects/machine-subject.js";
import { localDiskVolume, networkInterface, remoteVolume } from "./machine-fixtures.js";
import { attachmentDifference } from "./named-list-diff.js";

type Ctx = CaseContext<MachineSubject>;

async function createMachine(
  ctx: Ctx,
  volumes: machine.Volume[] = [],
  networkInterfaces: machine.NetworkInterface[] = [],
): Promise<string> {
  const object = await ctx.newObject();
  object.spec ??= create(machine.MachineSpecSchema);
  object.spec.volumes = volumes;
  object.spec.networkInterfaces = networkInterfaces;
  const created = await expectOk(ctx.create(object), "CreateMachine");
  return created.metadata?.id ?? "";
}

async function expectVolumes(ctx: Ctx, id: string, expected: machine.Volume[], after: string) {
  const listed = await mustGet(ctx, id);
  const problem = attachmentDifference(machine.VolumeSchema, expected, listed.spec?.volumes ?? []);
  check(problem === undefined, `after ${after}, ListMachines spec.volumes: ${problem}`);
}

async function expectNics(ctx: Ctx, id: string, expected: machine.NetworkInterface[], after: string) {
  const listed = await mustGet(ctx, id);
  const problem = attachmentDifference(
    machine.NetworkInterfaceSchema,
    expected,
    listed.spec?.networkInterfaces ?? [],
  );
  check(problem === undefined, `after ${after}, ListMachines spec.network_interfaces: ${problem}`);
}

const unknownMachine = (ctx: Ctx) => `conformance-unknown-${ctx.runId}`;

export const machineAttachmentCases: ConformanceCase<MachineSubject>[] = [
  {
    name: "machine/attach-volume-echoed",
    rule: "AttachVolume (remote and local disk) shows up in ListMachines spec.volumes exactly as sent, at once.",
    async run(ctx) {
      const id = await createMachine(ctx);
      const volumes = [
        remoteVolume("data", "odb", "conformance-handle-1"),
        localDiskVolume("scratch", "odc"),
      ];
      for (const volume of volumes) {
        await expectOk(
          ctx.subject.client.attachVolume({ machineId: id, volume }),
          `AttachVolume ${volume.name}`,
        );
      }
      await expectVolumes(ctx, id, volumes, "AttachVolume");
    },
  },
  {
    name: "machine/attach-nic-echoed",
    rule: "AttachNetworkInterface shows up in ListMachines spec.network_interfaces exactly as sent (ips order too).",
    async run(ctx) {
      const id = await createMachine(ctx);
      const nic = networkInterface("primary", ["10.0.0.9", "10.0.0.2", "fd00::9"]);
      await expectOk(
        ctx.subject.client.attachNetworkInterface({ machineId: id, networkInterface: nic }),
        "AttachNetworkInterface",
      );
      await expectNics(ctx, id, [nic], "AttachNetworkInterface");
    },
  },
  {
    name: "machine/attach-nic-duplicate-already-exists",
    rule: "AttachNetworkInterface with a name already attached fails with AlreadyExists.",
    async run(ctx) {
      const nic = networkInterface("primary", ["10.0.0.3"]);
      const id = await createMachine(ctx, [], [nic]);
      const other = networkInterface("primary", ["10.0.0.4"]);
      await expectCode(
        ctx.subject.client.attachNetworkInterface({ machineId: id, networkInterface: other }),
        [Code.AlreadyExists],
        "AttachNetworkInterface with a duplicate name",
      );
      await expectNics(ctx, id, [nic], "the rejected AttachNetworkInterface");
    },
  },
  {
    name: "machine/detach-removes-at-once",
    rule: "DetachVolume and DetachNetworkInterface remove the entry from spec before they return.",
    async run(ctx) {
      const root = localDiskVolume("root", "oda");
      const id = await createMachine(
        ctx,
        [root, remoteVolume("data", "odb", "conformance-handle-1")],
        [networkInterface("primary", ["10.0.0.3"])],
      );
      await expectOk(ctx.subject.client.detachVolume({ machineId: id, name: "data" }), "DetachVolume data");
      await expectOk(
        ctx.subject.client.detachNetworkInterface({ machineId: id, name: "primary" }),
        "DetachNetworkInterface primary",
      );
      await expectVolumes(ctx, id, [root], "DetachVolume");
      await expectNics(ctx, id, [], "DetachNetworkInterface");
    },
  },
  {
    name: "machine/detach-unknown-name-not-found",
    rule: "DetachVolume and DetachNetworkInterface of a name that is not attached fail with NotFound.",
    async run(ctx) {
      const id = await createMachine(
        ctx,
        [localDiskVolume("root", "oda")],
        [networkInterface("primary", ["10.0.0.3"])],
      );
      await expectCode(
        ctx.subject.client.detachVolume({ machineId: id, name: "conformance-missing" }),
        [Code.NotFound],
        "DetachVolume of an unknown name",
      );
      await expectCode(
        ctx.subject.client.detachNetworkInterface({ machineId: id, name: "conformance-missing" }),
        [Code.NotFound],
        "DetachNetworkInterface of an unknown name",
      );
    },
  },
  {
    name: "machine/attachment-unknown-machine-not-found",
    rule: "AttachVolume, DetachVolume, UpdateVolume, AttachNetworkInterface and DetachNetworkInterface on an unknown machine fail with NotFound.",
    async run(ctx) {
      const machineId = unknownMachine(ctx);
      const { client } = ctx.subject;
      const volume = remoteVolume("data", "odb", "conformance-handle-1");
      const networkInterfaceMessage = networkInterface("primary", ["10.0.0.3"]);
      await expectCode(client.attachVolume({ machineId, volume }), [Code.NotFound], "AttachVolume");
      await expectCode(client.detachVolume({ machineId, name: "data" }), [Code.NotFound], "DetachVolume");
      await expectCode(client.updateVolume({ machineId, volume }), [Code.NotFound], "UpdateVolume");
      await expectCode(
        client.attachNetworkInterface({ machineId, networkInterface: networkInterfaceMessage }),
        [Code.NotFound],
        "AttachNetworkInterface",
      );
      await expectCode(
        client.detachNetworkInterface({ machineId, name: "primary" }),
        [Code.NotFound],
        "DetachNetworkInterface",
      );
    },
  },
  {
    name: "machine/reattach-volume-same-name",
    rule:
      "DetachVolume immediately followed by AttachVolume of the same name with changed content succeeds, and " +
      "ListMachines shows the new content (the poollet does this in one reconcile).",
    async run(ctx) {
      const id = await createMachine(ctx, [remoteVolume("data", "odb", "conformance-handle-1")]);
      const changed = remoteVolume("data", "odb", "conformance-handle-2");
      if (changed.connection) changed.connection.attributes.extra = "changed";
      await expectOk(ctx.subject.client.detachVolume({ machineId: id, name: "data" }), "DetachVolume data");
      await expectOk(
        ctx.subject.client.attachVolume({ machineId: id, volume: changed }),
        "AttachVolume data right after DetachVolume data",
      );
      await expectVolumes(ctx, id, [changed], "detach and re-attach");
    },
  },
  {
    name: "machine/reattach-nic-same-name",
    rule:
      "DetachNetworkInterface immediately followed by AttachNetworkInterface of the same name with changed " +
      "content succeeds, and ListMachines shows the new content.",
    async run(ctx) {
      const id = await createMachine(ctx, [], [networkInterface("primary", ["10.0.0.3", "10.0.0.1"])]);
      const changed = networkInterface("primary", ["10.0.0.7", "10.0.0.5"], "conformance-network-2");
      await expectOk(
        ctx.subject.client.detachNetworkInterface({ machineId: id, name: "primary" }),
        "DetachNetworkInterface primary",
      );
      await expectOk(
        ctx.subject.client.attachNetworkInterface({ machineId: id, networkInterface: changed }),
        "AttachNetworkInterface primary right after DetachNetworkInterface primary",
      );
      await expectNics(ctx, id, [changed], "detach and re-attach");
    },
  },
  {
    name: "machine/update-volume-reflected",
    rule:
      "UpdateVolume of an attached volume (new effective_storage_bytes) is reflected in ListMachines exactly " +
      "(the poollet uses it instead of a re-attach when only the size changed).",
    async run(ctx) {
      const id = await createMachine(ctx, [remoteVolume("data", "odb", "conformance-handle-1")]);
      const grown = remoteVolume("data", "odb", "conformance-handle-1");
      if (grown.connection) grown.connection.effectiveStorageBytes *= 2n;
      await expectOk(ctx.subject.client.updateVolume({ machineId: id, volume: grown }), "UpdateVolume data");
      await expectVolumes(ctx, id, [grown], "UpdateVolume");
    },
  },
  {
    name: "machine/update-volume-unknown-name-not-found",
    rule: "UpdateVolume of a volume name that is not attached fails with NotFound.",
    async run(ctx) {
      const id = await createMachine(ctx, [remoteVolume("data", "odb", "conformance-handle-1")]);
      await expectCode(
        ctx.subject.client.updateVolume({
          machineId: id,
          volume: remoteVolume("missing", "odc", "conformance-handle-2"),
        }),
        [Code.NotFound],
        "UpdateVolume of an unknown name",
      );
    },
  },
  {
    name: "machine/volume-needs-exactly-one-source",
    rule:
      "A machine volume with both local_disk and connection, or neither, fails with InvalidArgument " +
      "(in CreateMachine and in AttachVolume).",
    async run(ctx) {
      const both = remoteVolume("both", "odb", "conformance-handle-1");
      both.localDisk = create(machine.LocalDiskSchema, { sizeBytes: 1024n * 1024n * 1024n });
      const neither = create(machine.VolumeSchema, { name: "neither", device: "odc" });
      for (const [label, volume] of [
        ["both", both],
        ["neither", neither],
      ] as const) {
        const object = await ctx.newObject();
        if (object.spec) object.spec.volumes = [volume];
        await expectCode(
          ctx.create(object),
          [Code.InvalidArgument],
          `CreateMachine with a volume with ${label}`,
        );
      }
      const id = await createMachine(ctx);
      for (const [label, volume] of [
        ["both", both],
        ["neither", neither],
      ] as const) {
        await expectCode(
          ctx.subject.client.attachVolume({ machineId: id, volume }),
          [Code.InvalidArgument],
          `AttachVolume with ${label} local_disk and connection`,
        );
      }
    },
  },
  {
    name: "machine/empty-attachment-name-invalid",
    rule: "A volume or network interface with an empty name fails with InvalidArgument (CreateMachine and Attach*).",
    async run(ctx) {
      const object = await ctx.newObject();
      if (object.spec) object.spec.volumes = [localDiskVolume("", "oda")];
      await expectCode(ctx.create(object), [Code.InvalidArgument], "CreateMachine with an unnamed volume");
      const id = await createMachine(ctx);
      await expectCode(
        ctx.subject.client.attachVolume({ machineId: id, volume: localDiskVolume("", "oda") }),
        [Code.InvalidArgument],
        "AttachVolume with an empty name",
      );
      await expectCode(
        ctx.subject.client.attachNetworkInterface({
          machineId: id,
          networkInterface: networkInterface("", ["10.0.0.3"]),
        }),
        [Code.InvalidArgument],
        "AttachNetworkInterface with an empty name",
      );
    },
  },
];
