import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { ProviderError } from "@iri/runtime-kit";
import { describe, expect, it } from "vitest";
import { withLegacyImage } from "./legacy-image.js";

/** A VolumeSpec as a v0.4.x volumepoollet encodes it: field 1 (`image`, since reserved) before the rest. */
function legacyWire(
  image: string | Uint8Array,
  rest: Parameters<typeof create<typeof volume.VolumeSpecSchema>>[1],
) {
  const head = new BinaryWriter().tag(1, WireType.LengthDelimited);
  const field = typeof image === "string" ? head.string(image) : head.bytes(image);
  const bytes = new Uint8Array([
    ...field.finish(),
    ...toBinary(volume.VolumeSpecSchema, create(volume.VolumeSpecSchema, rest)),
  ]);
  return fromBinary(volume.VolumeSpecSchema, bytes);
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof ProviderError ? e.code : e;
  }
  return undefined;
};

describe("VolumeSpec.image (deprecated field 1)", () => {
  it("becomes image_data_source and leaves no unknown field behind", () => {
    const spec = withLegacyImage(legacyWire("registry.local/os:1", { class: "fast" }));
    expect(spec.volumeDataSource?.imageDataSource?.image).toBe("registry.local/os:1");
    expect(spec.class).toBe("fast");
    expect(spec.$unknown ?? []).toEqual([]);
    // What is stored and compared for idempotency is what a v0.5.0 poollet would have sent.
    const modern = create(volume.VolumeSpecSchema, {
      class: "fast",
      volumeDataSource: { imageDataSource: { image: "registry.local/os:1" } },
    });
    expect(toBinary(volume.VolumeSpecSchema, spec)).toEqual(toBinary(volume.VolumeSpecSchema, modern));
  });

  it("agrees with an equal image_data_source, keeping its architecture", () => {
    const spec = withLegacyImage(
      legacyWire("os:1", { volumeDataSource: { imageDataSource: { image: "os:1", architecture: "amd64" } } }),
    );
    expect(spec.volumeDataSource?.imageDataSource).toMatchObject({ image: "os:1", architecture: "amd64" });
  });

  it("is InvalidArgument when it names another image than image_data_source", () => {
    const spec = legacyWire("os:1", { volumeDataSource: { imageDataSource: { image: "os:2" } } });
    expect(code(() => withLegacyImage(spec))).toBe(Code.InvalidArgument);
  });

  it("is InvalidArgument when it is not UTF-8", () => {
    expect(code(() => withLegacyImage(legacyWire(new Uint8Array([0xff, 0xfe]), {})))).toBe(
      Code.InvalidArgument,
    );
  });

  it("leaves a spec without it untouched", () => {
    const spec = create(volume.VolumeSpecSchema, { class: "fast" });
    expect(withLegacyImage(spec)).toBe(spec);
  });
});
