// The store's share of a create, measured alone in the same run as durable-creates: 64 writers each create
// a poollet-shaped machine record (spec sealed, as the provider stores it) and then write its status once,
// as the reconcile does, awaiting both (durable: one group commit and fsync shared by the writers in flight).
// No gRPC, validation, watchers or reconcile: what is left of a create's cost when only the store works.
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { protoCodec, sealedCodec } from "@iri/runtime-kit";
import { openDatabase } from "@iri/store";
import type { BenchOptions } from "./options.js";
import { poolletMachine } from "./poollet-machine.js";

export interface StoreFloorMeasurement {
  perSecond: number;
  /** CPU time of the bench process (the store's thread and its fsyncs) per create, in milliseconds. */
  cpuMsPerCreate: number;
}

export async function measureStoreFloor(options: BenchOptions, dir: string): Promise<StoreFloorMeasurement> {
  const db = openDatabase({ path: join(dir, "store-floor", "store.db") });
  try {
    const machines = db.collection("machine", {
      spec: sealedCodec(protoCodec(machine.MachineSpecSchema), randomBytes(32), "machine spec"),
      status: protoCodec(machine.MachineStatusSchema),
    });
    const pending = create(machine.MachineStatusSchema, { state: machine.MachineState.MACHINE_PENDING });
    const running = create(machine.MachineStatusSchema, { state: machine.MachineState.MACHINE_RUNNING });
    let started = 0;
    let created = 0;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const stopAt = start + options.createSeconds * 1000;
    const writer = async () => {
      while (performance.now() < stopAt) {
        const request = create(machine.CreateMachineRequestSchema, poolletMachine(started++));
        const record = await machines.create({
          id: randomUUID(),
          labels: { ...request.machine?.metadata?.labels },
          annotations: { ...request.machine?.metadata?.annotations },
          spec: request.machine?.spec ?? create(machine.MachineSpecSchema),
          status: pending,
        });
        await machines.update(record.metadata.id, record.metadata.resourceVersion, { status: running });
        created++;
      }
    };
    await Promise.all(Array.from({ length: options.callers }, writer));
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      perSecond: (created * 1000) / elapsedMs,
      cpuMsPerCreate: (cpu.user + cpu.system) / 1000 / Math.max(1, created),
    };
  } finally {
    await db.close();
  }
}
