import { availableParallelism, totalmem } from "node:os";
import type { Duplex } from "node:stream";
import type { machine } from "@iri/api";
import type {
  ApplyOutcome,
  BackendContext,
  HostCapacity,
  MachineBackend,
  MachineIntent,
  MachineObservation,
  ObjectRef,
  OperationContext,
  OwnedResource,
  RemoveOutcome,
} from "@iri/backend-api";
import type { BackendDeps, QemuBackendConfig } from "./backend-deps.js";
import { MachineConsoles } from "./console/machine-consoles.js";
import { findMachineProcess } from "./host/qemu-ownership.js";
import { applyMachine } from "./machine-apply.js";
import { MachineFiles } from "./machine-files.js";
import { removeMachine } from "./machine-remove.js";
import { volumeProblem } from "./model/volume-plan.js";
import { listOwnedMachines } from "./owned-machines.js";
import { QmpConnections } from "./qmp/qmp-connections.js";

/**
 * The QEMU machine backend: see the package README for layout, handles and events. Each operation is a step
 * of its own file (machine-apply, machine-remove, owned-machines); this class holds what they share.
 */
export class QemuMachineBackend implements MachineBackend {
  readonly name = "qemu";
  private readonly deps: BackendDeps;

  constructor(config: QemuBackendConfig, context: BackendContext) {
    this.deps = {
      config,
      context,
      proof: { binary: config.qemuExecutable, uid: config.qemuUid, stateDir: context.stateDir },
      consoles: new MachineConsoles(config.consoleLogBytes),
      connections: new QmpConnections({
        connectTimeoutMs: config.qmpTimeoutMs,
        commandTimeoutMs: config.qmpTimeoutMs,
        onChange: (id) => context.notify(id),
      }),
    };
  }

  apply(
    intent: MachineIntent,
    ctx: OperationContext<MachineObservation>,
  ): Promise<ApplyOutcome<MachineObservation>> {
    return applyMachine(this.deps, intent, ctx);
  }

  remove(ref: ObjectRef): Promise<RemoveOutcome> {
    return removeMachine(this.deps, ref);
  }

  listOwned(): Promise<OwnedResource[]> {
    return listOwnedMachines(this.deps);
  }

  volumeProblem(volume: machine.Volume): string | undefined {
    return volumeProblem(volume);
  }

  async hostCapacity(): Promise<HostCapacity> {
    return { cpus: availableParallelism(), memoryBytes: BigInt(totalmem()) };
  }

  async openConsole(id: string, signal: AbortSignal): Promise<Duplex> {
    const files = new MachineFiles(this.deps.context.stateDir, id);
    if ((await findMachineProcess(id, this.deps.proof)) === undefined) {
      throw new Error(`machine ${id} is not running`);
    }
    return this.deps.consoles.open(id, files, signal);
  }

  async close(): Promise<void> {
    this.deps.consoles.close();
    await this.deps.connections.closeAll();
    await this.deps.config.imageSource.close?.();
  }
}
