// In-memory reference MachineRuntime: correct per the contract unless faults are switched on.
import { create, equals } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { machine } from "@iri/api";
import type { ReferenceOptions } from "./faults.js";
import {
  alreadyExists,
  EventLog,
  Faults,
  invalidArgument,
  notFound,
  nowNanos,
  ObjectTable,
  type Timers,
  version,
} from "./reference-common.js";

const CLASSES = [{ name: "reference-small", capabilities: { resources: { cpu: 2n, memory: 2n ** 31n } } }];

export function registerMachineRuntime(
  router: ConnectRouter,
  options: ReferenceOptions,
  timers: Timers,
): void {
  const faults = new Faults(options.faults);
  const events = new EventLog(faults);
  const machines = new ObjectTable({
    schema: machine.MachineSchema,
    noun: "machine",
    faults,
    timers,
    events,
    settleMs: options.settleMs ?? 20,
    specEquals: (a, b) =>
      a.spec !== undefined && b.spec !== undefined && equals(machine.MachineSpecSchema, a.spec, b.spec),
  });

  const converge = (m: machine.Machine) => {
    if (!m.spec || !m.status) return;
    if (m.spec.power === machine.Power.ON) m.status.state = machine.MachineState.MACHINE_RUNNING;
    else
      m.status.state = faults.has("power-off-stopped")
        ? machine.MachineState.MACHINE_STOPPED
        : machine.MachineState.MACHINE_SUSPENDED;
  };

  const store = (nic: machine.NetworkInterface) => {
    if (faults.has("nic-ips-sorted")) nic.ips.sort();
    return nic;
  };

  const removeLater = (remove: () => void) => {
    if (faults.has("detach-deferred")) timers.after(options.settleMs ?? 20, remove);
    else remove();
  };

  router.service(machine.MachineRuntime, {
    version: (request) => version(faults, "machine", request.version),
    status: () => ({ machineClassStatus: CLASSES.map((machineClass) => ({ machineClass, quantity: 10n })) }),
    listEvents: (request) => ({ events: events.list(request.filter) }),

    createMachine(request) {
      const created = machines.create(
        request.machine,
        (m) => {
          const spec = m.spec ?? create(machine.MachineSpecSchema);
          if (!CLASSES.some((c) => c.name === spec.class))
            throw invalidArgument(`unknown machine class ${JSON.stringify(spec.class)}`);
          validateAttachments(spec);
          spec.networkInterfaces.forEach(store);
          m.status = create(machine.MachineStatusSchema, { state: machine.MachineState.MACHINE_PENDING });
        },
        converge,
      );
      return { machine: created };
    },

    listMachines(request) {
      const listed = machines.list(request.filter);
      if (faults.has("volatile-status")) {
        for (const m of listed) {
          m.status?.machineConditions.push(
            create(machine.ConditionsSchema, {
              type: "Ready",
              status: "True",
              lastTransitionTime: nowNanos(),
            }),
          );
        }
      }
      return { machines: listed };
    },

    deleteMachine(request) {
      machines.delete(request.machineId, (m) => {
        if (m.status) m.status.state = machine.MachineState.MACHINE_TERMINATING;
      });
      return {};
    },

    updateMachineAnnotations(request) {
      const m = machines.get(request.machineId);
      if (m.metadata) {
        m.metadata.annotations = faults.has("annotations-merged")
          ? { ...m.metadata.annotations, ...request.annotations }
          : { ...request.annotations };
      }
      return {};
    },

    updateMachinePower(request) {
      const m = machines.get(request.machineId);
      if (m.spec) m.spec.power = request.power;
      machines.later(request.machineId, converge);
      return {};
    },

    attachVolume(request) {
      const spec = specOf(machines.get(request.machineId));
      const volume = request.volume ?? create(machine.VolumeSchema);
      validateVolume(volume);
      if (spec.volumes.some((v) => v.name === volume.name))
        throw alreadyExists(`volume ${volume.name} is attached`);
      spec.volumes.push(volume);
      return {};
    },

    detachVolume(request) {
      const spec = specOf(machines.get(request.machineId));
      if (!spec.volumes.some((v) => v.name === request.name))
        throw notFound(`volume ${request.name} not attached`);
      removeLater(() => {
        spec.volumes = spec.volumes.filter((v) => v.name !== request.name);
      });
      return {};
    },

    updateVolume(request) {
      const spec = specOf(machines.get(request.machineId));
      const volume = request.volume ?? create(machine.VolumeSchema);
      validateVolume(volume);
      const index = spec.volumes.findIndex((v) => v.name === volume.name);
      if (index < 0) throw notFound(`volume ${volume.name} not attached`);
      spec.volumes[index] = volume;
      return {};
    },

    attachNetworkInterface(request) {
      const spec = specOf(machines.get(request.machineId));
      const nic = request.networkInterface ?? create(machine.NetworkInterfaceSchema);
      if (nic.name === "") throw invalidArgument("network_interface.name is required");
      if (spec.networkInterfaces.some((n) => n.name === nic.name)) {
        throw alreadyExists(`network interface ${nic.name} is attached`);
      }
      spec.networkInterfaces.push(store(nic));
      return {};
    },

    detachNetworkInterface(request) {
      const spec = specOf(machines.get(request.machineId));
      if (!spec.networkInterfaces.some((n) => n.name === request.name)) {
        throw notFound(`network interface ${request.name} not attached`);
      }
      removeLater(() => {
        spec.networkInterfaces = spec.networkInterfaces.filter((n) => n.name !== request.name);
      });
      return {};
    },

    exec(request) {
      machines.get(request.machineId);
      return { url: `http://127.0.0.1:1/exec/${request.machineId}` };
    },
  });
}

function specOf(m: machine.Machine): machine.MachineSpec {
  m.spec ??= create(machine.MachineSpecSchema);
  return m.spec;
}

function validateVolume(volume: machine.Volume): void {
  if (volume.name === "") throw invalidArgument("volume.name is required");
  if ((volume.localDisk === undefined) === (volume.connection === undefined)) {
    throw invalidArgument(`volume ${volume.name} needs exactly one of local_disk and connection`);
  }
}

function validateAttachments(spec: machine.MachineSpec): void {
  const volumeNames = new Set<string>();
  for (const volume of spec.volumes) {
    validateVolume(volume);
    if (volumeNames.has(volume.name)) throw invalidArgument(`volume ${volume.name} appears twice`);
    volumeNames.add(volume.name);
  }
  const nicNames = new Set<string>();
  for (const nic of spec.networkInterfaces) {
    if (nic.name === "") throw invalidArgument("network_interface.name is required");
    if (nicNames.has(nic.name)) throw invalidArgument(`network interface ${nic.name} appears twice`);
    nicNames.add(nic.name);
  }
}
