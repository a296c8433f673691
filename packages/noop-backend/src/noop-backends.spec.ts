// The noop backends hold nothing real, but they owe the providers the same contract as every backend: the
// wiring tests and the conformance suite rely on it.
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import {
  describeBucketBackendContract,
  describeMachineBackendContract,
  describeVolumeBackendContract,
} from "@iri/backend-testing";
import { noopBucketBackend } from "./noop-bucket-backend.js";
import { noopMachineBackend } from "./noop-machine-backend.js";
import { noopVolumeBackend } from "./noop-volume-backend.js";

describeMachineBackendContract({
  name: "noop",
  keepsCreationTags: true,
  open: (context) => noopMachineBackend.open({}, context),
  intent: (id, power) => ({
    id,
    labels: {},
    class: { name: "small", resources: {}, cpus: 1n, memoryBytes: 1n << 30n, settings: {} },
    spec: create(machine.MachineSpecSchema, {
      class: "small",
      power,
      volumes: [{ name: "root", device: "oda", localDisk: { sizeBytes: 1n << 30n } }],
      networkInterfaces: [{ name: "primary", networkId: "net-a", ips: ["10.0.0.2"] }],
    }),
  }),
});

describeVolumeBackendContract({
  name: "noop",
  keepsCreationTags: true,
  open: (context) => noopVolumeBackend.open({ noopCapacityBytes: 2 ** 40 }, context),
  volumeClass: { name: "standard", tps: 100n, iops: 10n, settings: {} },
});

describeBucketBackendContract({
  name: "noop",
  keepsCreationTags: true,
  open: (context) => noopBucketBackend.open({}, context),
  bucketClass: { name: "standard", tps: 100n, iops: 10n, settings: {} },
});
