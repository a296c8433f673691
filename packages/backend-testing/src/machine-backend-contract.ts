// The behaviour every machine backend owes the machine provider, run by each backend's own spec against the
// real thing it drives. Each case makes its own machine, so any one can run alone.
import { machine } from "@iri/api";
import type { MachineBackend, MachineIntent, MachineObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendUnderTest, newObjectId } from "./backend-under-test.js";
import { expectNotOwned, expectOwned } from "./contract-cases.js";
import { ReconcilerDouble } from "./reconciler-double.js";
import { TestBackendContext } from "./test-backend-context.js";

export interface MachineBackendUnderTest extends BackendUnderTest<MachineBackend> {
  /** A machine this backend can run quickly, powered as asked. */
  intent(id: string, power: machine.Power): MachineIntent;
}

const { MachineState, Power } = machine;

export function describeMachineBackendContract(subject: MachineBackendUnderTest): void {
  const timeoutMs = subject.timeoutMs ?? 60_000;

  describe(`machine backend contract: ${subject.name}`, () => {
    const context = new TestBackendContext({ provider: "machine-provider" });
    let backend: MachineBackend;
    let driver: ReconcilerDouble<MachineIntent, MachineObservation>;
    const made = new Set<string>();

    const running = async (): Promise<{ id: string; observation: MachineObservation }> => {
      const id = newObjectId("c");
      made.add(id);
      return { id, observation: await driver.applyUntilDone(subject.intent(id, Power.ON), timeoutMs) };
    };

    beforeAll(async () => {
      backend = await subject.open(context);
      driver = new ReconcilerDouble(backend, context);
    }, timeoutMs);

    afterAll(async () => {
      for (const id of made) await driver.removeUntilDone(id, timeoutMs).catch(() => undefined);
      await backend?.close();
      await context.dispose();
    }, timeoutMs * 2);

    it(
      "runs a machine with every volume and NIC of its spec, and applying again changes nothing",
      async () => {
        const { id, observation } = await running();
        expect(observation.state).toBe(MachineState.MACHINE_RUNNING);
        const spec = subject.intent(id, Power.ON).spec;
        expect(observation.volumes.map((v) => v.name).sort()).toEqual(spec.volumes.map((v) => v.name).sort());
        expect(observation.networkInterfaces.map((n) => n.name).sort()).toEqual(
          spec.networkInterfaces.map((n) => n.name).sort(),
        );
        const placement = driver.placementOf(id);
        const again = await driver.apply(subject.intent(id, Power.ON));
        expect(again.observation.state).toBe(MachineState.MACHINE_RUNNING);
        expect(driver.placementOf(id)).toEqual(placement);
      },
      timeoutMs * 2,
    );

    it(
      "lists the machine with its owner tag, also after a restart",
      async () => {
        const { id } = await running();
        expectOwned(await backend.listOwned(), id, context, subject);
        await backend.close();
        await context.restart();
        backend = await subject.open(context);
        driver.restartWith(backend);
        expectOwned(await backend.listOwned(), id, context, subject);
        const after = await driver.applyUntilDone(subject.intent(id, Power.ON), timeoutMs);
        expect(after.state).toBe(MachineState.MACHINE_RUNNING);
      },
      timeoutMs * 3,
    );

    it(
      "powers a machine off and on; off is never reported as running",
      async () => {
        const { id } = await running();
        const off = await driver.applyUntilDone(subject.intent(id, Power.OFF), timeoutMs);
        expect(off.state).not.toBe(MachineState.MACHINE_RUNNING);
        // MACHINE_STOPPED is not a state the poollet can map.
        expect(off.state).not.toBe(MachineState.MACHINE_STOPPED);
        const on = await driver.applyUntilDone(subject.intent(id, Power.ON), timeoutMs);
        expect(on.state).toBe(MachineState.MACHINE_RUNNING);
      },
      timeoutMs * 3,
    );

    it(
      "removes a machine for good; removing it again finds nothing to do",
      async () => {
        const { id } = await running();
        await driver.removeUntilDone(id, timeoutMs);
        made.delete(id);
        expectNotOwned(await backend.listOwned(), id);
        expect(await driver.remove(id)).toBeUndefined();
      },
      timeoutMs * 2,
    );

    it("treats removing a machine it never made as done, touching nothing", async () => {
      const before = await backend.listOwned();
      expect(await driver.remove(newObjectId("never"))).toBeUndefined();
      expect(await backend.listOwned()).toEqual(before);
    });

    it("offers the host's cpus and memory", async () => {
      const capacity = await backend.hostCapacity();
      expect(capacity.cpus).toBeGreaterThan(0);
      expect(capacity.memoryBytes).toBeGreaterThan(0n);
    });
  });
}
