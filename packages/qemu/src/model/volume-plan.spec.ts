import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { describe, expect, it } from "vitest";
import { LUKS2_HEADER_BYTES, planVolume, volumeProblem } from "./volume-plan.js";

const MiB = 1024n * 1024n;
const bytes = (text: string) => new TextEncoder().encode(text);
type ConnectionInit = Omit<Partial<machine.VolumeConnection>, "$typeName" | "$unknown">;
const ceph = (connection: ConnectionInit = {}) =>
  create(machine.VolumeSchema, {
    name: "data",
    device: "odb",
    connection: {
      driver: "ceph",
      handle: "pool/img",
      attributes: { monitors: "127.0.0.1:3300,[::1]:6789", image: "pool/img" },
      secretData: { userID: bytes("client1"), userKey: bytes("QVFCa2V5") },
      effectiveStorageBytes: 64n * MiB,
      ...connection,
    },
  });

describe("planVolume / volumeProblem", () => {
  it("plans a ceph volume: servers, pool/image, secrets only as QMP secret ids, guest size", () => {
    const plan = planVolume("m1", ceph());
    expect(plan).toMatchObject({
      kind: "ceph",
      pool: "pool",
      image: "img",
      user: "client1",
      keyBase64: "QVFCa2V5",
      servers: [
        { host: "127.0.0.1", port: "3300" },
        { host: "::1", port: "6789" },
      ],
      guestBytes: 64n * MiB,
      handle: "ceph/pool/img",
    });
    expect(plan).not.toHaveProperty("passphrase");
  });

  it("reads pool/namespace/image and subtracts the LUKS2 header when encrypted", () => {
    const plan = planVolume(
      "m1",
      ceph({
        attributes: { monitors: "10.0.0.1:3300", image: "pool/ns/img" },
        encryptionData: { encryptionKey: bytes("secret") },
      }),
    );
    expect(plan).toMatchObject({
      pool: "pool",
      namespace: "ns",
      image: "img",
      guestBytes: 64n * MiB - LUKS2_HEADER_BYTES,
    });
    expect(plan.kind === "ceph" && plan.passphrase?.base64).toBe(Buffer.from("secret").toString("base64"));
  });

  it("keys change with the source but not with the size, so a grow is a resize and not a re-attach", () => {
    const small = planVolume("m1", ceph());
    const large = planVolume("m1", ceph({ effectiveStorageBytes: 128n * MiB }));
    const other = planVolume("m1", ceph({ handle: "pool/other" }));
    expect(large.key).toBe(small.key);
    expect(other.key).not.toBe(small.key);
  });

  it.each([
    [ceph({ driver: "iscsi" }), 'driver "iscsi" is not supported (supported: ceph)'],
    [ceph({ attributes: { image: "pool/img" } }), "attribute monitors is missing"],
    [ceph({ attributes: { monitors: "host-without-port", image: "pool/img" } }), "is not host:port"],
    [ceph({ attributes: { monitors: "h:1", image: "justone" } }), "attribute image must be pool/image"],
    [ceph({ secretData: { userKey: bytes("k") } }), "secret userID is missing"],
    [ceph({ secretData: { userID: bytes("u") } }), "secret userKey is missing"],
    [ceph({ encryptionData: { other: bytes("x") } }), "encryptionKey is missing or empty"],
    [create(machine.VolumeSchema, { name: "v", device: "VDA", localDisk: {} }), "must match"],
  ])("rejects %# with a message naming the field", (volume, message) => {
    expect(volumeProblem(volume)).toContain(message);
  });

  it("accepts a local disk with or without an image", () => {
    expect(
      volumeProblem(create(machine.VolumeSchema, { name: "r", device: "oda", localDisk: { sizeBytes: 1n } })),
    ).toBeUndefined();
  });
});
