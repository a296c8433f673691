import { create, toBinary } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { describe, expect, it } from "vitest";
import { CreateRequests } from "./create-requests.js";
import { poolletMachineOf, poolletValues } from "./poollet-machine.js";

describe("CreateRequests", () => {
  it.each([0, 1, 7, 255, 256, 9_999, 65_536, 123_456])(
    "gives the bytes of encoding the %ith poollet machine, enveloped",
    (index) => {
      const requests = new CreateRequests();
      // Another machine of the same shape first, so that the second comes from a patched template.
      requests.enveloped(poolletValues(index));
      const values = poolletValues(index);
      const message = toBinary(
        machine.CreateMachineRequestSchema,
        create(machine.CreateMachineRequestSchema, poolletMachineOf(values)),
      );
      const enveloped = requests.enveloped(values);
      expect(enveloped.readUInt8(0)).toBe(0);
      expect(enveloped.readUInt32BE(1)).toBe(message.length);
      expect(Buffer.from(enveloped.subarray(5)).equals(Buffer.from(message))).toBe(true);
    },
  );
});
