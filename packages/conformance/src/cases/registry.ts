// The cases of each runtime, in the order they run: the shared contract first, then the runtime's own rules.
import type { ConformanceCase } from "../conformance-case.js";
import type { BucketSubject } from "../subjects/bucket-subject.js";
import type { MachineSubject } from "../subjects/machine-subject.js";
import type { RuntimeKind } from "../subjects/subject.js";
import type { VolumeSubject } from "../subjects/volume-subject.js";
import { bucketCases } from "./bucket-cases.js";
import { classCases } from "./class-cases.js";
import { createCases } from "./create-cases.js";
import { deleteCases } from "./delete-cases.js";
import { eventCases } from "./event-cases.js";
import { listCases } from "./list-cases.js";
import { machineAttachmentCases } from "./machine-attachment-cases.js";
import { machineSpecCases } from "./machine-spec-cases.js";
import { snapshotCases } from "./snapshot-cases.js";
import { validationCases } from "./validation-cases.js";
import { versionCases } from "./version-cases.js";
import { volumeCases } from "./volume-cases.js";

const commonCases: readonly ConformanceCase[] = [
  ...versionCases,
  ...classCases,
  ...createCases,
  ...validationCases,
  ...listCases,
  ...deleteCases,
  ...eventCases,
];

export const machineRuntimeCases: readonly ConformanceCase<MachineSubject>[] = [
  ...commonCases,
  ...machineSpecCases,
  ...machineAttachmentCases,
];
export const volumeRuntimeCases: readonly ConformanceCase<VolumeSubject>[] = [
  ...commonCases,
  ...volumeCases,
  ...snapshotCases,
];
export const bucketRuntimeCases: readonly ConformanceCase<BucketSubject>[] = [...commonCases, ...bucketCases];

export function casesOf(runtime: RuntimeKind): readonly ConformanceCase<never>[] {
  switch (runtime) {
    case "machine":
      return machineRuntimeCases;
    case "volume":
      return volumeRuntimeCases;
    case "bucket":
      return bucketRuntimeCases;
  }
}

/** Case names per runtime, in run order. */
export const caseNames: Readonly<Record<RuntimeKind, readonly string[]>> = {
  machine: machineRuntimeCases.map((c) => c.name),
  volume: volumeRuntimeCases.map((c) => c.name),
  bucket: bucketRuntimeCases.map((c) => c.name),
};

/** Every case with the rule it encodes, per runtime (for documentation and `--list`). */
export function describeCases(runtime: RuntimeKind): { name: string; rule: string }[] {
  return casesOf(runtime).map(({ name, rule }) => ({ name, rule }));
}
