import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createContextValues, type HandlerContext } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { describe, expect, it } from "vitest";
import { preparedResponseKey } from "../transport/index.js";
import { CachedListEncoder } from "./cached-list.js";

interface Rec {
  id: string;
  ips: string[];
}

function setup() {
  const converted: string[] = [];
  const toMessage = (r: Rec) => {
    converted.push(r.id);
    return create(machine.MachineSchema, {
      metadata: { id: r.id, labels: { a: "b" }, createdAt: 1_700_000_000_000_000_000n },
      spec: { class: "c", networkInterfaces: [{ name: "eth0", ips: r.ips }] },
      status: { state: machine.MachineState.MACHINE_RUNNING },
    });
  };
  const encoder = new CachedListEncoder(machine.MachineSchema, {
    prepare: (r: Rec) => {
      const bytes = toBinary(machine.MachineSchema, toMessage(r));
      return {
        length: bytes.length,
        writeTo: (target: Uint8Array, offset: number) => target.set(bytes, offset),
      };
    },
  });
  return { converted, toMessage, encoder };
}

const field = machine.ListMachinesResponseSchema.field.machines.number;

describe("CachedListEncoder", () => {
  it("produces exactly the bytes of encoding the messages in the repeated field", () => {
    const { encoder, toMessage } = setup();
    const records = [
      { id: "a", ips: ["10.0.0.2", "10.0.0.1"] },
      { id: "b", ips: [] },
      { id: "c", ips: ["x".repeat(300)] }, // a length that needs a two-byte varint
    ];
    const fast = toBinary(
      machine.ListMachinesResponseSchema,
      encoder.fill(create(machine.ListMachinesResponseSchema), field, records),
    );
    const plain = toBinary(
      machine.ListMachinesResponseSchema,
      create(machine.ListMachinesResponseSchema, { machines: records.map(toMessage) }),
    );
    expect(Buffer.from(fast).equals(Buffer.from(plain))).toBe(true);
    const decoded = fromBinary(machine.ListMachinesResponseSchema, fast);
    expect(decoded.machines.map((m) => m.metadata?.id)).toEqual(["a", "b", "c"]);
    expect(decoded.machines[0]?.spec?.networkInterfaces[0]?.ips).toEqual(["10.0.0.2", "10.0.0.1"]);
  });

  it("converts each record version once, and a new version again", () => {
    const { encoder, converted } = setup();
    const v1 = { id: "a", ips: ["1"] };
    const other = { id: "b", ips: [] };
    encoder.fill(create(machine.ListMachinesResponseSchema), field, [v1, other]);
    encoder.fill(create(machine.ListMachinesResponseSchema), field, [v1, other]);
    expect(converted).toEqual(["a", "b"]);
    const v2 = { id: "a", ips: ["2"] };
    const res = encoder.fill(create(machine.ListMachinesResponseSchema), field, [v2, other]);
    expect(converted).toEqual(["a", "b", "a"]);
    const decoded = fromBinary(
      machine.ListMachinesResponseSchema,
      toBinary(machine.ListMachinesResponseSchema, res),
    );
    expect(decoded.machines[0]?.spec?.networkInterfaces[0]?.ips).toEqual(["2"]);
  });

  it("yields an empty list for no records", () => {
    const { encoder } = setup();
    const res = encoder.fill(create(machine.ListMachinesResponseSchema), field, []);
    expect(toBinary(machine.ListMachinesResponseSchema, res)).toHaveLength(0);
  });

  it("serves an unchanged whole collection from the body built the first time", () => {
    const { encoder, toMessage, converted } = setup();
    const records = [
      { id: "a", ips: ["1"] },
      { id: "b", ips: ["2"] },
    ];
    const body = (list: Rec[], whole = true) =>
      encoder.fill(create(machine.ListMachinesResponseSchema), field, list, whole).$unknown?.[0]?.data;
    const first = body(records);
    const second = body([...records]);
    expect(second?.buffer).toBe(first?.buffer);
    expect(converted).toEqual(["a", "b"]);

    const changed = [records[0] as Rec, { id: "b", ips: ["3"] }];
    const third = body(changed);
    expect(third?.buffer).not.toBe(first?.buffer);
    expect(converted).toEqual(["a", "b", "b"]);
    const plain = toBinary(
      machine.ListMachinesResponseSchema,
      create(machine.ListMachinesResponseSchema, { machines: changed.map(toMessage) }),
    );
    const fast = toBinary(
      machine.ListMachinesResponseSchema,
      encoder.fill(create(machine.ListMachinesResponseSchema), field, changed, true),
    );
    expect(Buffer.from(fast).equals(Buffer.from(plain))).toBe(true);

    // A filtered List of one of them reuses its encoding, with the same bytes as encoding it alone.
    const one = toBinary(
      machine.ListMachinesResponseSchema,
      encoder.fill(create(machine.ListMachinesResponseSchema), field, [changed[1] as Rec]),
    );
    const alone = toBinary(
      machine.ListMachinesResponseSchema,
      create(machine.ListMachinesResponseSchema, { machines: [toMessage(changed[1] as Rec)] }),
    );
    expect(Buffer.from(one).equals(Buffer.from(alone))).toBe(true);
    // Only the test's own reference encodings converted anything after the change.
    expect(converted.slice(3)).toEqual(["a", "b", "b"]);
  });

  it("hands the whole collection to the transport as one prepared, length-prefixed response", () => {
    const { encoder, toMessage } = setup();
    const records = [
      { id: "a", ips: ["1"] },
      { id: "b", ips: [] },
    ];
    const values = createContextValues().set(preparedResponseKey, {});
    const context = { values } as HandlerContext;
    const res = encoder.respond(context, create(machine.ListMachinesResponseSchema), field, records, true);
    expect(toBinary(machine.ListMachinesResponseSchema, res)).toHaveLength(0);
    const enveloped = values.get(preparedResponseKey)?.enveloped ?? new Uint8Array(0);
    const plain = toBinary(
      machine.ListMachinesResponseSchema,
      create(machine.ListMachinesResponseSchema, { machines: records.map(toMessage) }),
    );
    expect(enveloped[0]).toBe(0);
    expect(Buffer.from(enveloped).readUInt32BE(1)).toBe(plain.length);
    expect(Buffer.from(enveloped.subarray(5)).equals(Buffer.from(plain))).toBe(true);

    // Without a slot (no serveRuntime), and for a filtered List, the response carries the elements itself.
    const direct = encoder.respond(
      { values: createContextValues() } as HandlerContext,
      create(machine.ListMachinesResponseSchema),
      field,
      records,
      true,
    );
    expect(Buffer.from(toBinary(machine.ListMachinesResponseSchema, direct)).equals(Buffer.from(plain))).toBe(
      true,
    );
  });

  it("frees a replaced body once no response is written from it, and never one lent to a response message", () => {
    const { encoder, toMessage } = setup();
    const v1 = [{ id: "a", ips: ["1"] }];
    const v2 = [{ id: "a", ips: ["2"] }];
    const v3 = [{ id: "a", ips: ["3"] }];
    const answer = (records: Rec[]) => {
      const slot: { enveloped?: Uint8Array; onClosed?: () => void } = {};
      const context = { values: createContextValues().set(preparedResponseKey, slot) } as HandlerContext;
      encoder.respond(context, create(machine.ListMachinesResponseSchema), field, records, true);
      return slot as Required<typeof slot>;
    };
    const first = answer(v1);
    const firstLength = first.enveloped.byteLength;
    const second = answer(v2);
    // Still being written: the first body stays whole until its response closes.
    expect(first.enveloped.byteLength).toBe(firstLength);
    first.onClosed();
    expect(first.enveloped.byteLength).toBe(0);

    // Replaced while nothing is written from it: freed when the next body is built.
    second.onClosed();
    expect(second.enveloped.byteLength).toBeGreaterThan(0);
    const lent = encoder.fill(create(machine.ListMachinesResponseSchema), field, v3, true);
    expect(second.enveloped.byteLength).toBe(0);

    // A body lent to a response message (no prepared slot) is connect's to hold: never freed here.
    answer(v1);
    expect(lent.$unknown?.[0]?.data.byteLength).toBeGreaterThan(0);
    const again = toBinary(
      machine.ListMachinesResponseSchema,
      encoder.fill(create(machine.ListMachinesResponseSchema), field, v3, true),
    );
    const plain = toBinary(
      machine.ListMachinesResponseSchema,
      create(machine.ListMachinesResponseSchema, { machines: v3.map(toMessage) }),
    );
    expect(Buffer.from(again).equals(Buffer.from(plain))).toBe(true);
  });

  it("answers a call whose stream has closed already without the prepared bytes", () => {
    const { encoder } = setup();
    const slot = { closed: true };
    const context = { values: createContextValues().set(preparedResponseKey, slot) } as HandlerContext;
    const res = encoder.respond(
      context,
      create(machine.ListMachinesResponseSchema),
      field,
      [{ id: "a", ips: [] }],
      true,
    );
    expect(res.$unknown?.[0]?.data.byteLength).toBeGreaterThan(0);
    expect(slot).not.toHaveProperty("enveloped");
  });
});
