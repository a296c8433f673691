// Volume spec echo, status when available, and expansion, as the volumepoollet reads and compares them.
import { clone, create, equals } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { check, expectCode, expectOk } from "../check.js";
import type { CaseContext, ConformanceCase } from "../conformance-case.js";
import { describeDifference } from "../message-diff.js";
import { mustGet, waitForState } from "../observe.js";
import { GIB, type VolumeSubject } from "../subjects/volume-subject.js";

type Ctx = CaseContext<VolumeSubject>;

async function createVolume(ctx: Ctx, adjust: (spec: volume.VolumeSpec) => void = () => {}) {
  const object = await ctx.newObject();
  object.spec ??= create(volume.VolumeSpecSchema);
  adjust(object.spec);
  const created = await expectOk(ctx.create(object), "CreateVolume");
  return { sent: object, created, id: created.metadata?.id ?? "" };
}

function specProblem(sent: volume.Volume, got: volume.Volume): string | undefined {
  if (!sent.spec || !got.spec) return got.spec ? undefined : "spec is nil";
  // Encryption may legitimately be omitted; volume/encryption-consistent covers it.
  const want = clone(volume.VolumeSpecSchema, sent.spec);
  const have = clone(volume.VolumeSpecSchema, got.spec);
  want.encryption = undefined;
  have.encryption = undefined;
  return equals(volume.VolumeSpecSchema, want, have)
    ? undefined
    : describeDifference(volume.VolumeSpecSchema, want, have);
}

const expand = (ctx: Ctx, volumeId: string, storageBytes: bigint) =>
  ctx.subject.client.expandVolume({ volumeId, resources: { storageBytes } });

export const volumeCases: ConformanceCase<VolumeSubject>[] = [
  {
    name: "volume/create-echoes-spec",
    rule: "CreateVolume and ListVolumes return spec.class and spec.resources.storage_bytes exactly as sent.",
    async run(ctx) {
      const { sent, created, id } = await createVolume(ctx);
      const createProblem = specProblem(sent, created);
      check(createProblem === undefined, `CreateVolume response spec: ${createProblem}`);
      const listProblem = specProblem(sent, await mustGet(ctx, id));
      check(listProblem === undefined, `ListVolumes spec: ${listProblem}`);
    },
  },
  {
    name: "volume/create-echoes-image-data-source",
    rule:
      "spec.volume_data_source (image and architecture) is echoed exactly by CreateVolume and ListVolumes " +
      "(the image need not exist; the volume may end in VOLUME_ERROR).",
    async run(ctx) {
      const { sent, created, id } = await createVolume(ctx, (spec) => {
        spec.volumeDataSource = create(volume.VolumeDataSourceSchema, {
          imageDataSource: { image: "registry.invalid/conformance/os-image:v1", architecture: "amd64" },
        });
      });
      const createProblem = specProblem(sent, created);
      check(createProblem === undefined, `CreateVolume response spec: ${createProblem}`);
      const listProblem = specProblem(sent, await mustGet(ctx, id));
      check(listProblem === undefined, `ListVolumes spec: ${listProblem}`);
    },
  },
  {
    name: "volume/encryption-consistent",
    rule:
      "spec.encryption is either omitted or echoed exactly as sent, and CreateVolume and ListVolumes agree " +
      "(secret values are compared, never printed).",
    async run(ctx) {
      const encryption = create(volume.EncryptionSpecSchema, {
        secretData: { encryptionKey: new TextEncoder().encode("not-a-real-passphrase") },
      });
      const { created, id } = await createVolume(ctx, (spec) => {
        spec.encryption = encryption;
      });
      const listed = await mustGet(ctx, id);
      for (const [where, got] of [
        ["CreateVolume response", created.spec?.encryption],
        ["ListVolumes", listed.spec?.encryption],
      ] as const) {
        const omitted = got === undefined || Object.keys(got.secretData).length === 0;
        check(
          omitted || equals(volume.EncryptionSpecSchema, encryption, got),
          `${where} spec.encryption differs from sent`,
        );
      }
      const createdOmitted = Object.keys(created.spec?.encryption?.secretData ?? {}).length === 0;
      const listedOmitted = Object.keys(listed.spec?.encryption?.secretData ?? {}).length === 0;
      check(
        createdOmitted === listedOmitted,
        `spec.encryption is ${createdOmitted ? "omitted" : "echoed"} by CreateVolume but ` +
          `${listedOmitted ? "omitted" : "echoed"} by ListVolumes`,
      );
    },
  },
  {
    name: "volume/available-has-access-and-resources",
    rule:
      "An AVAILABLE volume has status.access (driver, handle) and non-nil status.resources with storage_bytes > 0. " +
      "Requires the volume to become AVAILABLE.",
    async run(ctx) {
      const { id } = await createVolume(ctx);
      const available = await waitForState(ctx, id, "VOLUME_AVAILABLE");
      const access = available.status?.access;
      check(access !== undefined, "AVAILABLE volume has a nil status.access");
      check(access.driver !== "" && access.handle !== "", "status.access has an empty driver or handle");
      const resources = available.status?.resources;
      check(resources !== undefined, "AVAILABLE volume has a nil status.resources");
      check(resources.storageBytes > 0n, `status.resources.storage_bytes is ${resources.storageBytes}`);
    },
  },
  {
    name: "volume/expand-grows",
    rule:
      "ExpandVolume to a larger size succeeds and spec.resources.storage_bytes shows the new size at once " +
      "(otherwise the poollet expands again on every reconcile).",
    async run(ctx) {
      const { id } = await createVolume(ctx);
      await expectOk(expand(ctx, id, 2n * GIB), "ExpandVolume to 2 GiB");
      const listed = await mustGet(ctx, id);
      check(
        listed.spec?.resources?.storageBytes === 2n * GIB,
        `after ExpandVolume to ${2n * GIB}: spec.resources.storage_bytes ${listed.spec?.resources?.storageBytes}`,
      );
    },
  },
  {
    name: "volume/expand-shrink-rejected",
    rule: "ExpandVolume to a smaller size fails with InvalidArgument or FailedPrecondition and changes nothing.",
    async run(ctx) {
      const { id } = await createVolume(ctx);
      await expectCode(
        expand(ctx, id, GIB / 2n),
        [Code.InvalidArgument, Code.FailedPrecondition],
        "ExpandVolume to a smaller size",
      );
      const listed = await mustGet(ctx, id);
      check(
        listed.spec?.resources?.storageBytes === GIB,
        "the rejected shrink changed spec.resources.storage_bytes",
      );
    },
  },
  {
    name: "volume/non-positive-size-invalid",
    rule: "CreateVolume without resources or with storage_bytes <= 0, and ExpandVolume to <= 0, fail with InvalidArgument.",
    async run(ctx) {
      for (const resources of [undefined, { storageBytes: 0n }, { storageBytes: -1n }]) {
        const object = await ctx.newObject();
        if (object.spec) object.spec.resources = resources && create(volume.VolumeResourcesSchema, resources);
        await expectCode(
          ctx.create(object),
          [Code.InvalidArgument],
          `CreateVolume with resources ${resources ? `storage_bytes ${resources.storageBytes}` : "nil"}`,
        );
      }
      const { id } = await createVolume(ctx);
      await expectCode(expand(ctx, id, 0n), [Code.InvalidArgument], "ExpandVolume to 0");
    },
  },
  {
    name: "volume/expand-unknown-not-found",
    rule: "ExpandVolume of an unknown volume id fails with NotFound.",
    async run(ctx) {
      await expectCode(
        expand(ctx, `conformance-unknown-${ctx.runId}`, 2n * GIB),
        [Code.NotFound],
        "ExpandVolume",
      );
    },
  },
];
