// Create input validation and caller-supplied ids: client mistakes get precise codes, never Internal/Unknown.
import { Code } from "@connectrpc/connect";
import { check, expectCode, expectOk } from "../check.js";
import type { ConformanceCase } from "../conformance-case.js";
import { getById } from "../observe.js";

export const validationCases: ConformanceCase[] = [
  {
    name: "create/rejects-nil-object",
    rule: "Create without an object fails with InvalidArgument.",
    async run(ctx) {
      await expectCode(ctx.create(undefined), [Code.InvalidArgument], "Create with a nil object");
    },
  },
  {
    name: "create/rejects-missing-metadata-and-spec",
    rule: "Create of an object with neither metadata nor spec fails with InvalidArgument.",
    async run(ctx) {
      await expectCode(
        ctx.create(ctx.subject.bare()),
        [Code.InvalidArgument],
        "Create with nil metadata and spec",
      );
    },
  },
  {
    name: "create/rejects-missing-spec",
    rule: "Create of an object with metadata but no spec (hence no class) fails with InvalidArgument.",
    async run(ctx) {
      const object = await ctx.newObject();
      object.spec = undefined;
      await expectCode(ctx.create(object), [Code.InvalidArgument], "Create with a nil spec");
    },
  },
  {
    name: "create/rejects-unknown-class",
    rule: "Create with a class the runtime does not offer fails with InvalidArgument (FailedPrecondition accepted).",
    async run(ctx) {
      const object = ctx.subject.build({
        className: `conformance-no-such-class-${ctx.runId}`,
        labels: ctx.uniqueLabels(),
        annotations: {},
      });
      await expectCode(
        ctx.create(object),
        [Code.InvalidArgument, Code.FailedPrecondition],
        "Create with unknown class",
      );
    },
  },
  {
    name: "create/rejects-invalid-id",
    rule: 'Create with a caller-supplied id that is not a safe name (contains "://" or "/") fails with InvalidArgument.',
    async run(ctx) {
      for (const id of [`conformance://${ctx.runId}`, `conformance/${ctx.runId}`]) {
        await expectCode(
          ctx.create(await ctx.newObject({ id })),
          [Code.InvalidArgument],
          `Create with id ${JSON.stringify(id)}`,
        );
      }
    },
  },
  {
    name: "create/honours-valid-id",
    rule: "Create with a valid caller-supplied metadata.id uses that id.",
    async run(ctx) {
      const id = ctx.uniqueId();
      const created = await expectOk(ctx.create(await ctx.newObject({ id })), `Create with id ${id}`);
      check(created.metadata?.id === id, `Create with id ${id} returned id ${created.metadata?.id}`);
      check((await getById(ctx, id)) !== undefined, `${ctx.subject.noun} ${id} is not listed by filter.id`);
    },
  },
  {
    name: "create/same-id-same-spec-returns-existing",
    rule: "Creating again with the same id and the same spec succeeds and returns the existing object.",
    async run(ctx) {
      const id = ctx.uniqueId();
      const object = await ctx.newObject({ id });
      const first = await expectOk(ctx.create(object), `Create with id ${id}`);
      const second = await expectOk(ctx.create(object), `second Create with id ${id} and the same spec`);
      check(second.metadata?.id === id, `second Create returned id ${second.metadata?.id}`);
      check(
        second.metadata?.createdAt === first.metadata?.createdAt,
        `second Create returned created_at ${second.metadata?.createdAt}, the existing object has ` +
          `${first.metadata?.createdAt}`,
      );
      const listed = await expectOk(
        ctx.subject.list({ labelSelector: object.metadata?.labels ?? {} }),
        "List",
      );
      check(listed.length === 1, `List shows ${listed.length} objects for one id`);
    },
  },
  {
    name: "create/same-id-different-spec-already-exists",
    rule:
      "Creating again with the same id and a different spec fails with AlreadyExists (for buckets with a single " +
      "class the spec can only differ by an unknown class, so InvalidArgument is accepted there).",
    async run(ctx) {
      const id = ctx.uniqueId();
      const object = await ctx.newObject({ id });
      await expectOk(ctx.create(object), `Create with id ${id}`);
      const different = ctx.subject.withDifferentSpec(object, await ctx.classNames());
      const accepted = different.unknownClass
        ? [Code.AlreadyExists, Code.InvalidArgument]
        : [Code.AlreadyExists];
      await expectCode(
        ctx.create(different.object),
        accepted,
        `second Create with id ${id} and a different spec`,
      );
      const listed = await getById(ctx, id);
      check(
        listed !== undefined && ctx.subject.specEquals(listed, object),
        `the rejected Create changed ${ctx.subject.noun} ${id}`,
      );
    },
  },
];
