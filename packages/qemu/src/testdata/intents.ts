import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { MachineIntent } from "@iri/backend-api";

const MiB = 1024n * 1024n;

/** A machine of the tests' class "small" (1 CPU, 256 MiB: what the test guest needs) with this spec. */
export function smallMachine(
  id: string,
  spec: MessageInitShape<typeof machine.MachineSpecSchema>,
): MachineIntent {
  return {
    id,
    labels: {},
    class: { name: "small", resources: {}, cpus: 1n, memoryBytes: 256n * MiB, settings: {} },
    spec: create(machine.MachineSpecSchema, { class: "small", ...spec }),
  };
}
