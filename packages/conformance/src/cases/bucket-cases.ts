// Buckets: the bucketpoollet copies status.access into a Secret only when the bucket is AVAILABLE.
import { check, expectOk } from "../check.js";
import type { ConformanceCase } from "../conformance-case.js";
import { waitForState } from "../observe.js";
import type { BucketSubject } from "../subjects/bucket-subject.js";

export const bucketCases: ConformanceCase<BucketSubject>[] = [
  {
    name: "bucket/available-access-has-endpoint",
    rule:
      "An AVAILABLE bucket has status.access with a non-empty endpoint and credentials in secret_data. " +
      "Requires the bucket to become AVAILABLE.",
    async run(ctx) {
      const created = await expectOk(ctx.create(await ctx.newObject()), "CreateBucket");
      const available = await waitForState(ctx, created.metadata?.id ?? "", "BUCKET_AVAILABLE");
      const access = available.status?.access;
      check(access !== undefined, "AVAILABLE bucket has a nil status.access");
      check(access.endpoint !== "", "status.access.endpoint is empty");
      check(Object.keys(access.secretData).length > 0, "status.access.secret_data is empty");
    },
  },
];
