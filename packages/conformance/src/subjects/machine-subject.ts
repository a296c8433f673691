import { clone, create, equals, toBinary } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { type event, machine } from "@iri/api";
import { enumName, rpc } from "./rpc.js";
import {
  type BuildOptions,
  type ClassInfo,
  type EventQuery,
  eventsRequest,
  type ListFilter,
  listRequest,
  type Subject,
  type VersionInfo,
} from "./subject.js";

type MachineClient = Client<typeof machine.MachineRuntime>;

export class MachineSubject implements Subject<machine.Machine> {
  readonly runtime = "machine";
  readonly noun = "machine";
  readonly objectSchema = machine.MachineSchema;
  // MACHINE_STOPPED is deliberately absent: the machinepoollet has no mapping for it.
  readonly validStates = [
    "MACHINE_PENDING",
    "MACHINE_RUNNING",
    "MACHINE_SUSPENDED",
    "MACHINE_TERMINATING",
    "MACHINE_TERMINATED",
  ];
  readonly createdStates = ["MACHINE_PENDING", "MACHINE_RUNNING", "MACHINE_SUSPENDED"];
  readonly readyState = "MACHINE_RUNNING";

  constructor(readonly client: MachineClient) {}

  async version(requestVersion: string): Promise<VersionInfo> {
    const response = await rpc("Version", () => this.client.version({ version: requestVersion }));
    return { runtimeName: response.runtimeName, runtimeVersion: response.runtimeVersion };
  }

  async listClasses(): Promise<ClassInfo[]> {
    const response = await rpc("Status", () => this.client.status({}));
    return response.machineClassStatus.map((entry): ClassInfo => {
      const machineClass = entry.machineClass;
      if (!machineClass) return { name: "", problem: "machine_class is nil" };
      if (!machineClass.capabilities) return { name: machineClass.name, problem: "capabilities is nil" };
      if (Object.keys(machineClass.capabilities.resources).length === 0) {
        return { name: machineClass.name, problem: "capabilities.resources is empty" };
      }
      return { name: machineClass.name };
    });
  }

  build(options: BuildOptions): machine.Machine {
    return create(machine.MachineSchema, {
      metadata: { id: options.id ?? "", labels: options.labels, annotations: options.annotations },
      spec: { class: options.className },
    });
  }

  withDifferentSpec(object: machine.Machine): { object: machine.Machine; unknownClass: boolean } {
    const other = clone(machine.MachineSchema, object);
    other.spec ??= create(machine.MachineSpecSchema);
    other.spec.guestConfig = create(machine.GuestConfigSchema, { hostname: "conformance-different-spec" });
    return { object: other, unknownClass: false };
  }

  bare(): machine.Machine {
    return create(machine.MachineSchema);
  }

  async create(object: machine.Machine | undefined): Promise<machine.Machine> {
    const response = await rpc("CreateMachine", () => this.client.createMachine({ machine: object }));
    if (!response.machine) throw new Error("CreateMachine returned no machine");
    return response.machine;
  }

  async list(filter?: ListFilter): Promise<machine.Machine[]> {
    const response = await rpc("ListMachines", () => this.client.listMachines(listRequest(filter)));
    return response.machines;
  }

  async delete(id: string): Promise<void> {
    await rpc("DeleteMachine", () => this.client.deleteMachine({ machineId: id }));
  }

  async listEvents(query?: EventQuery): Promise<event.Event[]> {
    const response = await rpc("ListEvents", () => this.client.listEvents(eventsRequest(query)));
    return response.events;
  }

  serialize(object: machine.Machine): Uint8Array {
    return toBinary(machine.MachineSchema, object);
  }

  specEquals(a: machine.Machine, b: machine.Machine): boolean {
    if (!a.spec || !b.spec) return a.spec === b.spec;
    return equals(machine.MachineSpecSchema, a.spec, b.spec);
  }

  stateName(object: machine.Machine): string {
    return enumName(machine.MachineStateSchema.values, object.status?.state ?? 0);
  }

  incompleteness(object: machine.Machine): string | undefined {
    if (!object.metadata) return "metadata is nil";
    if (!object.spec) return "spec is nil";
    if (!object.status) return "status is nil";
    return undefined;
  }
}
