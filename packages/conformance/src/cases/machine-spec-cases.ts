// Machine spec, power, state and annotations, as the machinepoollet reads and compares them.
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { check, expectCode, expectOk } from "../check.js";
import type { CaseContext, ConformanceCase } from "../conformance-case.js";
import { mustGet, observeStates } from "../observe.js";
import { mapDifference } from "../string-maps.js";
import type { MachineSubject } from "../subjects/machine-subject.js";
import { enumName } from "../subjects/rpc.js";
import { fullMachineParts } from "./machine-fixtures.js";
import { attachmentDifference } from "./named-list-diff.js";

type Ctx = CaseContext<MachineSubject>;

async function createMachine(
  ctx: Ctx,
  parts: Pick<machine.MachineSpec, "volumes" | "networkInterfaces" | "guestConfig"> | undefined = undefined,
  annotations: Record<string, string> = {},
) {
  const object = await ctx.newObject({ annotations });
  object.spec ??= create(machine.MachineSpecSchema);
  if (parts) Object.assign(object.spec, parts);
  const created = await expectOk(ctx.create(object), "CreateMachine");
  return { sent: object, created, id: created.metadata?.id ?? "" };
}

const powerName = (power: machine.Power | undefined) => enumName(machine.PowerSchema.values, power ?? 0);

function unknownMachineId(ctx: Ctx): string {
  return `conformance-unknown-${ctx.runId}`;
}

function specEchoProblem(sent: machine.Machine, got: machine.Machine): string | undefined {
  const volumes = attachmentDifference(
    machine.VolumeSchema,
    sent.spec?.volumes ?? [],
    got.spec?.volumes ?? [],
  );
  if (volumes) return `spec.volumes: ${volumes}`;
  const nics = attachmentDifference(
    machine.NetworkInterfaceSchema,
    sent.spec?.networkInterfaces ?? [],
    got.spec?.networkInterfaces ?? [],
  );
  if (nics) return `spec.network_interfaces: ${nics}`;
  const sentHostname = sent.spec?.guestConfig?.hostname ?? "";
  const gotHostname = got.spec?.guestConfig?.hostname ?? "";
  if (sentHostname !== gotHostname) {
    return `spec.guest_config.hostname: expected ${JSON.stringify(sentHostname)}, got ${JSON.stringify(gotHostname)}`;
  }
  return undefined;
}

export const machineSpecCases: ConformanceCase<MachineSubject>[] = [
  {
    name: "machine/create-echoes-volumes-nics-guest-config",
    rule:
      "CreateMachine and ListMachines return spec.volumes, spec.network_interfaces (attributes, secret_data, " +
      "encryption_data, effective_storage_bytes, local_disk.image, ips order) and guest_config exactly as sent " +
      "(the poollet compares with proto.Equal and re-attaches on any difference).",
    async run(ctx) {
      const { sent, created, id } = await createMachine(ctx, fullMachineParts());
      const createProblem = specEchoProblem(sent, created);
      check(createProblem === undefined, `CreateMachine response ${createProblem}`);
      const listProblem = specEchoProblem(sent, await mustGet(ctx, id));
      check(listProblem === undefined, `ListMachines ${listProblem}`);
    },
  },
  {
    name: "machine/power-defaults-on",
    rule: "A machine created without spec.power reports POWER_ON (the poollet never sets power on create).",
    async run(ctx) {
      const { created, id } = await createMachine(ctx);
      check(
        created.spec?.power === machine.Power.ON,
        `CreateMachine response spec.power ${powerName(created.spec?.power)}`,
      );
      const listed = await mustGet(ctx, id);
      check(
        listed.spec?.power === machine.Power.ON,
        `ListMachines spec.power ${powerName(listed.spec?.power)}`,
      );
    },
  },
  {
    name: "machine/state-never-stopped",
    rule:
      "Machine state is never MACHINE_STOPPED or an unknown value, while starting or after a power-off " +
      '(the poollet cannot map it: "unknown machine state").',
    async run(ctx) {
      const { id } = await createMachine(ctx);
      const starting = await observeStates(ctx, id, (s) => s !== "MACHINE_PENDING");
      await expectOk(
        ctx.subject.client.updateMachinePower({ machineId: id, power: machine.Power.OFF }),
        "UpdateMachinePower POWER_OFF",
      );
      const stopping = await observeStates(
        ctx,
        id,
        (s) => s !== "MACHINE_PENDING" && s !== "MACHINE_RUNNING",
      );
      const seen = [...starting, ...stopping].filter((state, i, all) => state !== all[i - 1]);
      for (const state of seen) {
        check(
          ctx.subject.validStates.includes(state),
          `machine ${id} reported ${state} (seen: ${seen.join(" → ")})`,
        );
      }
    },
  },
  {
    name: "machine/annotations-full-replace",
    rule: "UpdateMachineAnnotations replaces the whole annotation map: {a,b} then {c} leaves exactly {c}.",
    async run(ctx) {
      const { id } = await createMachine(ctx, undefined, { "conformance.iri.dev/initial": "x" });
      const replacements: Record<string, string>[] = [
        { "conformance.iri.dev/a": "1", "conformance.iri.dev/b": "2" },
        { "conformance.iri.dev/c": "3" },
      ];
      for (const annotations of replacements) {
        await expectOk(
          ctx.subject.client.updateMachineAnnotations({ machineId: id, annotations }),
          `UpdateMachineAnnotations ${JSON.stringify(annotations)}`,
        );
        const listed = await mustGet(ctx, id);
        const problem = mapDifference(annotations, listed.metadata?.annotations);
        check(
          problem === undefined,
          `after UpdateMachineAnnotations ${JSON.stringify(annotations)}: ${problem}`,
        );
      }
    },
  },
  {
    name: "machine/power-reflected-in-spec",
    rule: "UpdateMachinePower is reflected in spec.power at once (POWER_OFF, then POWER_ON).",
    async run(ctx) {
      const { id } = await createMachine(ctx);
      for (const power of [machine.Power.OFF, machine.Power.ON]) {
        await expectOk(
          ctx.subject.client.updateMachinePower({ machineId: id, power }),
          `UpdateMachinePower ${powerName(power)}`,
        );
        const listed = await mustGet(ctx, id);
        check(
          listed.spec?.power === power,
          `after UpdateMachinePower ${powerName(power)}: spec.power ${powerName(listed.spec?.power)}`,
        );
      }
    },
  },
  {
    name: "machine/update-unknown-machine-not-found",
    rule: "UpdateMachineAnnotations and UpdateMachinePower on an unknown machine id fail with NotFound.",
    async run(ctx) {
      const machineId = unknownMachineId(ctx);
      await expectCode(
        ctx.subject.client.updateMachineAnnotations({ machineId, annotations: { a: "b" } }),
        [Code.NotFound],
        "UpdateMachineAnnotations on an unknown machine",
      );
      await expectCode(
        ctx.subject.client.updateMachinePower({ machineId, power: machine.Power.OFF }),
        [Code.NotFound],
        "UpdateMachinePower on an unknown machine",
      );
    },
  },
  {
    name: "machine/exec-unknown-machine-not-found",
    rule: "Exec on an unknown machine id fails with NotFound (the poollet's exec server maps it to HTTP 404).",
    async run(ctx) {
      await expectCode(
        ctx.subject.client.exec({ machineId: unknownMachineId(ctx) }),
        [Code.NotFound],
        "Exec on an unknown machine",
      );
    },
  },
];
