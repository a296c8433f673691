import type { ConnectRouter } from "@connectrpc/connect";
import { bucket } from "@iri/api";
import type { BucketServerContext } from "./context.js";
import { createBucket } from "./create-bucket.js";
import { deleteBucket } from "./delete-bucket.js";
import { listBucketClasses } from "./list-bucket-classes.js";
import { listBuckets } from "./list-buckets.js";
import { listEvents } from "./list-events.js";
import { version } from "./version.js";

/** Registers bucket.v1alpha1.BucketRuntime: one handler per RPC, each in its own file. */
export function registerBucketRuntime(router: ConnectRouter, ctx: BucketServerContext): void {
  router.service(bucket.BucketRuntime, {
    version: (req) => version(ctx, req),
    listEvents: (req) => listEvents(ctx, req),
    listBuckets: (req, context) => listBuckets(ctx, req, context),
    createBucket: (req) => createBucket(ctx, req),
    deleteBucket: (req) => deleteBucket(ctx, req),
    listBucketClasses: (req) => listBucketClasses(ctx, req),
  });
}
