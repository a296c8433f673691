import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { describe, expect, it } from "vitest";
import { validateRequestLimits } from "./request-limits.js";

describe("validateRequestLimits", () => {
  it("lets a List filter name an id no object can have (an empty list, not an error)", () => {
    const req = create(machine.ListMachinesRequestSchema, { filter: { id: "x".repeat(71) } });
    expect(() => validateRequestLimits(machine.ListMachinesRequestSchema, req)).not.toThrow();
  });

  it("refuses an over-long id a mutating call names", () => {
    const req = create(machine.DeleteMachineRequestSchema, { machineId: "x".repeat(64) });
    expect(() => validateRequestLimits(machine.DeleteMachineRequestSchema, req)).toThrow(/at most 63/);
  });
});
