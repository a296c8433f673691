import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { machine, volume } from "@iri/api";
import { type Codec, openDatabase, type StoredRecord } from "@iri/store";
import { describe, expect, it } from "vitest";
import { sealedCodec } from "../secrets/sealed-codec.js";
import { CachedListEncoder } from "./cached-list.js";
import { toObjectMetadata } from "./object-metadata.js";
import { protoCodec } from "./proto-codec.js";
import { storedElement } from "./stored-element.js";
import type { PreparedElement } from "./wire.js";

type MachineRecord = StoredRecord<machine.MachineSpec, machine.MachineStatus>;

/** The element as a List body holds it: written into a buffer of its length. */
function encoded<Rec>(element: { prepare(record: Rec): PreparedElement }, record: Rec): Uint8Array {
  const prepared = element.prepare(record);
  const bytes = new Uint8Array(prepared.length);
  prepared.writeTo(bytes, 0);
  return bytes;
}

/** What the Lists encoded before: the decoded record as a message, encoded by protobuf-es. */
function encodedMachine(record: MachineRecord): Uint8Array {
  return toBinary(
    machine.MachineSchema,
    create(machine.MachineSchema, {
      metadata: toObjectMetadata(record.metadata),
      spec: record.spec,
      status: record.status,
    }),
  );
}

/** protoCodec, counting its decodes: a List must not decode a stored spec or status. */
function counting<T>(codec: Codec<T>, decodes: { n: number }): Codec<T> {
  return {
    ...codec,
    decode: (bytes) => {
      decodes.n += 1;
      return codec.decode(bytes);
    },
  };
}

function machineSpec(i: number): machine.MachineSpec {
  return create(machine.MachineSpecSchema, {
    power: machine.Power.OFF,
    class: "t3-small",
    ignitionData: new Uint8Array(300 + i).fill(i),
    volumes: [{ name: "root", device: "vda", localDisk: { image: { image: "registry/os:1" } } }],
    networkInterfaces: [
      { name: "eth0", networkId: "net", ips: ["10.0.0.1"], attributes: { a: "x".repeat(i) } },
    ],
  });
}

const status = create(machine.MachineStatusSchema, {
  observedGeneration: 1n,
  state: machine.MachineState.MACHINE_RUNNING,
  imageRef: "sha256:abc",
});

async function machineStore(codecs: {
  spec: Codec<machine.MachineSpec>;
  status: Codec<machine.MachineStatus>;
}) {
  const path = join(mkdtempSync(join(tmpdir(), "stored-element-")), "store.db");
  const open = (c = codecs) => {
    const db = openDatabase({ path });
    return { db, machines: db.collection("machine", c) };
  };
  return { open };
}

describe("storedElement", () => {
  const listed = storedElement<machine.MachineSpec, machine.MachineStatus>(machine.MachineSchema);

  it("writes the bytes of encoding the decoded record, from sealed and plain stored bytes, without decoding", async () => {
    const kek = randomBytes(32);
    const decodes = { n: 0 };
    const codecs = {
      spec: sealedCodec(counting(protoCodec(machine.MachineSpecSchema), decodes), kek, "machine spec"),
      status: counting(protoCodec(machine.MachineStatusSchema), decodes),
    };
    const { open } = await machineStore(codecs);
    const first = open();
    for (let i = 0; i < 3; i++) {
      await first.machines.create({
        id: `m${i}`,
        labels: { "machine-uid": `u${i}` },
        annotations: { big: "a".repeat(200 * i) },
        spec: machineSpec(i * 100),
        status,
      });
    }
    await first.db.close();

    // Read back from the file, as after a restart: nothing decoded yet.
    const { db, machines } = open();
    decodes.n = 0;
    const records = machines.list();
    const elements = records.map((r) => encoded(listed, r));
    const lengths = records.map((r) => listed.length(r));
    expect(decodes.n).toBe(0);
    expect(lengths).toEqual(elements.map((e) => e.length));
    for (const [i, record] of records.entries()) {
      expect(Buffer.from(elements[i] as Uint8Array).equals(Buffer.from(encodedMachine(record)))).toBe(true);
    }
    expect(fromBinary(machine.MachineSchema, elements[2] as Uint8Array).spec?.ignitionData).toHaveLength(500);
    await db.close();
  });

  it("opens a record sealed with the previous key, and reads one stored before sealing", async () => {
    const previous = randomBytes(32);
    const current = randomBytes(32);
    const plain = {
      spec: protoCodec(machine.MachineSpecSchema),
      status: protoCodec(machine.MachineStatusSchema),
    };
    const { open } = await machineStore(plain);
    const before = open();
    await before.machines.create({ id: "plain", spec: machineSpec(1), status });
    await before.db.close();
    const old = open({ ...plain, spec: sealedCodec(plain.spec, previous, "machine spec") });
    await old.machines.create({ id: "old-key", spec: machineSpec(2), status });
    await old.db.close();

    const { db, machines } = open({
      ...plain,
      spec: sealedCodec(plain.spec, { current, previous }, "machine spec"),
    });
    for (const record of machines.list()) {
      const element = encoded(listed, record);
      expect(listed.length(record)).toBe(element.length);
      expect(Buffer.from(element).equals(Buffer.from(encodedMachine(record)))).toBe(true);
    }
    await db.close();
  });

  it("encodes a record that did not come from a store from its values", () => {
    const record = {
      metadata: {
        id: "free",
        labels: {},
        annotations: {},
        generation: 1n,
        createdAt: 5n,
        deletedAt: 0n,
        resourceVersion: 1n,
        finalizers: [],
      },
      spec: machineSpec(3),
      status,
    };
    expect(Buffer.from(encoded(listed, record)).equals(Buffer.from(encodedMachine(record)))).toBe(true);
    expect(listed.length(record)).toBe(encodedMachine(record).length);
  });

  it("leaves out the spec fields it is told to, as a message without them encodes", async () => {
    const kek = randomBytes(32);
    const path = join(mkdtempSync(join(tmpdir(), "stored-element-")), "store.db");
    const db = openDatabase({ path });
    const volumes = db.collection("volume", {
      spec: sealedCodec(protoCodec(volume.VolumeSpecSchema), kek, "volume spec"),
      status: sealedCodec(protoCodec(volume.VolumeStatusSchema), kek, "volume status"),
    });
    const record = await volumes.create({
      id: "v",
      spec: create(volume.VolumeSpecSchema, {
        class: "fast",
        resources: { storageBytes: 1n << 30n },
        encryption: { secretData: { passphrase: new Uint8Array([1, 2, 3]) } },
        volumeDataSource: { imageDataSource: { image: "registry/os:1" } },
      }),
      status: create(volume.VolumeStatusSchema, {
        state: volume.VolumeState.VOLUME_AVAILABLE,
        access: { driver: "ceph", handle: "pool/img", secretData: { userKey: new Uint8Array([9]) } },
      }),
    });
    const element = storedElement<volume.VolumeSpec, volume.VolumeStatus>(volume.VolumeSchema, {
      omitSpecFields: [volume.VolumeSpecSchema.field.encryption.number],
    });
    const { encryption: _passphrase, ...spec } = record.spec;
    const expected = toBinary(
      volume.VolumeSchema,
      create(volume.VolumeSchema, {
        metadata: toObjectMetadata(record.metadata),
        spec,
        status: record.status,
      }),
    );
    expect(Buffer.from(encoded(element, record)).equals(Buffer.from(expected))).toBe(true);
    expect(element.length(record)).toBe(expected.length);
    expect(fromBinary(volume.VolumeSchema, encoded(element, record)).spec?.encryption).toBeUndefined();
    await db.close();
  });

  it("makes a whole List body byte-identical to encoding the response's messages", async () => {
    const { open } = await machineStore({
      spec: sealedCodec(protoCodec(machine.MachineSpecSchema), randomBytes(32), "machine spec"),
      status: protoCodec(machine.MachineStatusSchema),
    });
    const { db, machines } = open();
    for (let i = 0; i < 20; i++) await machines.create({ id: `m${i}`, spec: machineSpec(i * 20), status });
    const records = machines.list();
    const encoder = new CachedListEncoder(machine.MachineSchema, listed);
    const field = machine.ListMachinesResponseSchema.field.machines.number;
    const fast = toBinary(
      machine.ListMachinesResponseSchema,
      encoder.fill(create(machine.ListMachinesResponseSchema), field, records, true),
    );
    const plain = toBinary(
      machine.ListMachinesResponseSchema,
      create(machine.ListMachinesResponseSchema, {
        machines: records.map((r) => fromBinary(machine.MachineSchema, encodedMachine(r))),
      }),
    );
    expect(Buffer.from(fast).equals(Buffer.from(plain))).toBe(true);
    await db.close();
  });
});
