// Delete: the poollets call Delete until it answers NotFound or List no longer shows the object; OK means
// "still deleting", so repeated deletes during teardown must stay OK or NotFound.
import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { check, expectCode, expectOk, expectOkOr, fail } from "../check.js";
import type { ConformanceCase } from "../conformance-case.js";
import { waitUntilGone } from "../observe.js";
import { timestampProblem } from "../time-units.js";

export const deleteCases: ConformanceCase[] = [
  {
    name: "delete/unknown-id-not-found",
    rule: 'Delete of an unknown id fails with NotFound (the poollets read it as "already gone").',
    async run({ subject }) {
      const unknown = `conformance-unknown-${randomBytes(6).toString("hex")}`;
      await expectCode(subject.delete(unknown), [Code.NotFound], `Delete of unknown id ${unknown}`);
    },
  },
  {
    name: "delete/repeated-delete-idempotent",
    rule: "Delete answers OK; repeated Deletes while the object tears down answer OK or NotFound, nothing else.",
    async run(ctx) {
      const created = await expectOk(ctx.create(await ctx.newObject()), "Create");
      const id = created.metadata?.id ?? "";
      await expectOk(ctx.subject.delete(id), `Delete of ${id}`);
      for (const attempt of [2, 3]) {
        await expectOkOr(ctx.subject.delete(id), [Code.NotFound], `Delete #${attempt} of ${id}`);
      }
    },
  },
  {
    name: "delete/object-disappears",
    rule:
      "After Delete the object disappears from List within the deadline; until then it is listed with deleted_at " +
      "> 0 in Unix nanoseconds. Requires the deletion to finish.",
    async run(ctx) {
      const created = await expectOk(ctx.create(await ctx.newObject()), "Create");
      const id = created.metadata?.id ?? "";
      const before = Date.now();
      await expectOk(ctx.subject.delete(id), `Delete of ${id}`);
      const gone = await waitUntilGone(ctx, id, (object) => {
        const deletedAt = object.metadata?.deletedAt ?? 0n;
        check(deletedAt > 0n, `${ctx.subject.noun} ${id} is still listed after Delete with deleted_at 0`);
        const problem = timestampProblem(deletedAt, "nanoseconds", before, Date.now());
        check(problem === undefined, `deleted_at ${problem}`);
      });
      if (!gone) fail(`${ctx.subject.noun} ${id} is still listed ${ctx.timing.timeoutMs} ms after Delete`);
    },
  },
];
