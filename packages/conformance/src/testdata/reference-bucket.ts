// In-memory reference BucketRuntime: correct per the contract unless faults are switched on.
import { create, equals } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { bucket } from "@iri/api";
import type { ReferenceOptions } from "./faults.js";
import { EventLog, Faults, invalidArgument, ObjectTable, type Timers, version } from "./reference-common.js";

const CLASSES = [
  { name: "reference-standard", capabilities: { tps: 100n, iops: 1000n } },
  { name: "reference-premium", capabilities: { tps: 1000n, iops: 10000n } },
];
const bytes = (text: string) => new TextEncoder().encode(text);

export function registerBucketRuntime(
  router: ConnectRouter,
  options: ReferenceOptions,
  timers: Timers,
): void {
  const faults = new Faults(options.faults);
  const events = new EventLog(faults);
  const buckets = new ObjectTable({
    schema: bucket.BucketSchema,
    noun: "bucket",
    faults,
    timers,
    events,
    settleMs: options.settleMs ?? 20,
    specEquals: (a, b) =>
      a.spec !== undefined && b.spec !== undefined && equals(bucket.BucketSpecSchema, a.spec, b.spec),
  });

  router.service(bucket.BucketRuntime, {
    version: (request) => version(faults, "bucket", request.version),
    listBucketClasses: () => ({ bucketClasses: CLASSES }),
    listEvents: (request) => ({ events: events.list(request.filter) }),

    createBucket(request) {
      const created = buckets.create(
        request.bucket,
        (b) => {
          const spec = b.spec ?? create(bucket.BucketSpecSchema);
          if (!CLASSES.some((c) => c.name === spec.class))
            throw invalidArgument(`unknown bucket class ${JSON.stringify(spec.class)}`);
          b.status = create(bucket.BucketStatusSchema, { state: bucket.BucketState.BUCKET_PENDING });
        },
        (b) => {
          const id = b.metadata?.id ?? "";
          b.status = create(bucket.BucketStatusSchema, {
            state: bucket.BucketState.BUCKET_AVAILABLE,
            access: {
              endpoint: `${id}.s3.reference.invalid`,
              secretData: {
                AWS_ACCESS_KEY_ID: bytes(`key-${id}`),
                AWS_SECRET_ACCESS_KEY: bytes("reference-secret"),
              },
            },
          });
        },
      );
      return { bucket: created };
    },

    listBuckets: (request) => ({ buckets: buckets.list(request.filter) }),

    deleteBucket(request) {
      buckets.delete(request.bucketId);
      return {};
    },
  });
}
