import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qemuMachineBackend, qemuSettings } from "../qemu-backend-factory.js";
import { defaultSettings } from "../testdata/settings.js";

describe("a confinement mechanism the host lacks (real QEMU binary and cgroups)", () => {
  let context: TestBackendContext;
  beforeAll(async () => {
    context = new TestBackendContext({ provider: "machine-provider" });
  });
  afterAll(() => context.dispose());

  it("stops the backend naming the mechanism, unless --allow-unconfined; the metric shows it either way", async () => {
    const settings = { ...defaultSettings(qemuSettings), user: "iri-no-such-user" };
    await expect(qemuMachineBackend.open(settings, context)).rejects.toThrow(
      /user: no user "iri-no-such-user" on this host.*--allow-unconfined/,
    );
    const gauge = async () => (await context.metrics.getSingleMetricAsString("iri_qemu_confinement")) ?? "";
    expect(await gauge()).toContain('iri_qemu_confinement{mechanism="user"} 0');
    context.metrics.clear();

    const backend = await qemuMachineBackend.open({ ...settings, allowUnconfined: true }, context);
    try {
      expect(await gauge()).toContain('iri_qemu_confinement{mechanism="user"} 0');
      expect(await gauge()).toContain('iri_qemu_confinement{mechanism="sandbox"} 1');
      expect(await gauge()).toContain('iri_qemu_confinement{mechanism="cgroup"} 1');
    } finally {
      await backend.close();
    }
  });
});
