// The contract every machine backend runs (@iri/backend-testing), against real QEMU on the test guest.
import { describeMachineBackendContract } from "@iri/backend-testing";
import { qemuMachineBackend, qemuSettings } from "./qemu-backend-factory.js";
import { smallMachine } from "./testdata/intents.js";
import { defaultSettings } from "./testdata/settings.js";
import { buildTestGuest, pushTestGuest } from "./testing/index.js";

const MiB = 1024n * 1024n;
let image: string | undefined;

describeMachineBackendContract({
  name: "qemu on the test guest (real QEMU)",
  keepsCreationTags: true,
  // Boots under TCG on a shared host.
  timeoutMs: 120_000,
  async open(context) {
    image ??= await pushTestGuest(buildTestGuest());
    return qemuMachineBackend.open({ ...defaultSettings(qemuSettings), shutdownTimeout: 8 }, context);
  },
  intent: (id, power) =>
    smallMachine(id, {
      power,
      volumes: [{ name: "root", device: "oda", localDisk: { sizeBytes: 64n * MiB, image: { image } } }],
      networkInterfaces: [{ name: "primary", networkId: "net-a", ips: ["10.0.0.2"] }],
    }),
});
