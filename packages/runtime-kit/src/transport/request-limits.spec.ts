import { create, type DescMessage } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { bucket, machine, volume } from "@iri/api";
import { describe, expect, it } from "vitest";
import { ProviderError } from "../errors.js";
import { LIMITS } from "../validate.js";
import { validateRequestLimits } from "./request-limits.js";

function refusal(schema: DescMessage, init: Record<string, unknown>): ProviderError | undefined {
  try {
    validateRequestLimits(schema, create(schema, init));
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  return undefined;
}

const oversized = { big: "a".repeat(LIMITS.annotationBytes) };

// Every call that stores labels or annotations, with where they sit: the handlers do not check them again.
const mutatingCalls: {
  call: string;
  schema: DescMessage;
  withLabels?: (labels: Record<string, string>) => Record<string, unknown>;
  withAnnotations: (annotations: Record<string, string>) => Record<string, unknown>;
  field: string;
}[] = [
  {
    call: "CreateMachine",
    schema: machine.CreateMachineRequestSchema,
    withLabels: (labels) => ({ machine: { metadata: { labels } } }),
    withAnnotations: (annotations) => ({ machine: { metadata: { annotations } } }),
    field: "machine.metadata",
  },
  {
    call: "CreateVolume",
    schema: volume.CreateVolumeRequestSchema,
    withLabels: (labels) => ({ volume: { metadata: { labels } } }),
    withAnnotations: (annotations) => ({ volume: { metadata: { annotations } } }),
    field: "volume.metadata",
  },
  {
    call: "CreateVolumeSnapshot",
    schema: volume.CreateVolumeSnapshotRequestSchema,
    withLabels: (labels) => ({ volumeSnapshot: { metadata: { labels } } }),
    withAnnotations: (annotations) => ({ volumeSnapshot: { metadata: { annotations } } }),
    field: "volume_snapshot.metadata",
  },
  {
    call: "CreateBucket",
    schema: bucket.CreateBucketRequestSchema,
    withLabels: (labels) => ({ bucket: { metadata: { labels } } }),
    withAnnotations: (annotations) => ({ bucket: { metadata: { annotations } } }),
    field: "bucket.metadata",
  },
  {
    call: "UpdateMachineAnnotations",
    schema: machine.UpdateMachineAnnotationsRequestSchema,
    withAnnotations: (annotations) => ({ machineId: "m1", annotations }),
    field: "",
  },
];

describe("validateRequestLimits", () => {
  it("lets a List filter name an id no object can have (an empty list, not an error)", () => {
    const req = create(machine.ListMachinesRequestSchema, { filter: { id: "x".repeat(71) } });
    expect(() => validateRequestLimits(machine.ListMachinesRequestSchema, req)).not.toThrow();
  });

  it("refuses an over-long id a mutating call names", () => {
    const req = create(machine.DeleteMachineRequestSchema, { machineId: "x".repeat(64) });
    expect(() => validateRequestLimits(machine.DeleteMachineRequestSchema, req)).toThrow(/at most 63/);
  });

  const labelledCalls = mutatingCalls.flatMap(({ withLabels, ...call }) =>
    withLabels ? [{ ...call, withLabels }] : [],
  );

  it.each(labelledCalls)(
    "$call: refuses a label with an empty key, naming the field",
    ({ schema, withLabels, field }) => {
      const err = refusal(schema, withLabels({ "": "x" }));
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(err?.message).toContain(`${field}.labels: key "" is not a qualified name`);
      expect(refusal(schema, withLabels({ "example.com/role": "web" }))).toBeUndefined();
    },
  );

  describe.each(mutatingCalls)("$call", ({ schema, withAnnotations, field }) => {
    const path = (name: string) => (field === "" ? name : `${field}.${name}`);

    it("refuses an annotation with an empty key, naming the field", () => {
      const err = refusal(schema, withAnnotations({ "": "x" }));
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(err?.message).toContain(`${path("annotations")}: key "" is not a qualified name`);
    });

    it("refuses annotations over the byte limit", () => {
      const err = refusal(schema, withAnnotations(oversized));
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(err?.message).toBe(
        `${path("annotations")} is larger than ${LIMITS.annotationBytes} bytes (keys and values)`,
      );
    });

    it("accepts well-formed annotations", () => {
      expect(refusal(schema, withAnnotations({ "example.com/role": "web" }))).toBeUndefined();
    });
  });
});
