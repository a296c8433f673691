import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCephKey } from "../keyring.js";
import { adminTool, clusterEnv, createPools } from "../testdata/test-cluster.js";
import { CephCli } from "./ceph-cli.js";
import { Rbd } from "./rbd.js";
import { imageIdsIn, RbdDirectoryFormatError } from "./rbd-directory.js";

/** An entry as `rados listomapvals` prints it. */
function entry(key: string, value: Buffer): string {
  const rows: string[] = [];
  for (let at = 0; at < value.length; at += 16) {
    const row = [...value.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, "0"));
    const hex = `${row.slice(0, 8).join(" ")}  ${row.slice(8).join(" ")}`.padEnd(49);
    rows.push(`${at.toString(16).padStart(8, "0")}  ${hex} |${".".repeat(row.length)}|`);
  }
  return [
    key,
    `value (${value.length} bytes) :`,
    ...rows,
    value.length.toString(16).padStart(8, "0"),
    "",
  ].join("\n");
}

function cephString(text: string): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(Buffer.byteLength(text));
  return Buffer.concat([length, Buffer.from(text)]);
}

describe("imageIdsIn", () => {
  const wanted = new Set(["vol-a", "vol-b"]);

  it("finds the ids of the images asked for and passes over the rest", () => {
    const output = [
      entry("id_12ab", cephString("vol-a")),
      entry("name_other", cephString("99ff")),
      entry("name_vol-a", cephString("12ab")),
      // A long name with repeated rows, printed with a `*`.
      entry("id_34cd", cephString("x".repeat(60))),
      entry("name_vol-b", cephString("34cdef0123456789abcdef")),
    ].join("\n");
    const collapsed = output.replace(
      /(00000010 {2}[^\n]*\n)00000020 {2}[^\n]*\n00000030 {2}[^\n]*\n/,
      (_, first) => `${first}*\n`,
    );
    expect(collapsed).toContain("*\n");
    expect(imageIdsIn(collapsed, wanted)).toEqual(
      new Map([
        ["vol-a", "12ab"],
        ["vol-b", "34cdef0123456789abcdef"],
      ]),
    );
    expect(imageIdsIn("", wanted).size).toBe(0);
  });

  it("refuses what is not an id, a name listed twice and a broken dump", () => {
    expect(() => imageIdsIn(entry("name_vol-a", cephString("../x")), wanted)).toThrow(
      RbdDirectoryFormatError,
    );
    expect(() => imageIdsIn(entry("name_vol-a", cephString("12ab").subarray(0, 5)), wanted)).toThrow(
      RbdDirectoryFormatError,
    );
    // An image named so that its key prints as an entry of its own and then `name_vol-a` with the image's
    // real value (its id, 77) after it: the real entry of vol-a is listed too.
    const crafted = `${entry("name_x", cephString("ab"))}\nname_vol-a`;
    const injected = `${entry(crafted, cephString("77"))}\n${entry("name_vol-a", cephString("12ab"))}`;
    expect(() => imageIdsIn(injected, new Set(["x"]))).not.toThrow();
    expect(() => imageIdsIn(injected, wanted)).toThrow(/twice/);
    expect(() => imageIdsIn(injected, wanted)).toThrow(RbdDirectoryFormatError);
    expect(() =>
      imageIdsIn(entry("name_vol-a", cephString("12ab")).replace("00000008", "00000009"), wanted),
    ).toThrow(RbdDirectoryFormatError);
  });
});

describe("Rbd on the real cluster: ids from the pool's directory, an empty image in one import", () => {
  const env = clusterEnv();
  const rbd = new Rbd(
    new CephCli({
      monitors: env.monitors,
      id: "admin",
      key: parseCephKey(env.adminKeyring, "CEPH_ADMIN_KEYRING"),
      timeoutSeconds: 30,
    }),
  );
  let pool = "";
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({
      pools: [pool = ""],
      drop,
    } = await createPools(1));
  }, 120_000);
  afterAll(() => drop(), 120_000);

  it("reads the ids rbd info reports, for images asked for together and alone", async () => {
    // The last name's id_ entry prints with a `*` row (rows repeated in its value).
    const images = [...Array.from({ length: 4 }, (_, i) => `dir-${i}`), "x".repeat(60)];
    await Promise.all(images.map((image) => rbd.create(pool, image, 4n << 20n)));
    // Asked for at once: one listing of the directory answers all of them (and the absent one).
    const together = await Promise.all([...images, "absent"].map((image) => rbd.imageId(pool, image)));
    const alone = await rbd.imageId(pool, "dir-0");
    const infos = await Promise.all(images.map((image) => rbd.info(pool, image)));
    expect(together).toEqual([...infos.map((info) => info?.id), undefined]);
    expect(alone).toBe(infos[0]?.id);
    expect(await rbd.imageId(pool, "absent")).toBeUndefined();
  }, 120_000);

  it("creates an empty image with its size and metadata in one import; an existing one is left as it is", async () => {
    const metadata = { "iri.tags": '{"owner":"o"}', conf_rbd_qos_iops_limit: "100" };
    expect(await rbd.createWithMetadata(pool, "empty", 20n << 20n, metadata)).toBe(true);
    expect((await rbd.info(pool, "empty"))?.size).toBe(20n << 20n);
    expect(await rbd.metadata(pool, "empty")).toEqual(metadata);
    expect(await rbd.createWithMetadata(pool, "empty", 40n << 20n, { other: "1" })).toBe(false);
    expect((await rbd.info(pool, "empty"))?.size).toBe(20n << 20n);
    expect(await rbd.metadata(pool, "empty")).toEqual(metadata);
    // Nothing was written: the image allocates no object.
    const du = JSON.parse(await adminTool("rbd", ["du", `${pool}/empty`, "--format", "json"]));
    expect(du.images[0].used_size).toBe(0);
  }, 120_000);
});
