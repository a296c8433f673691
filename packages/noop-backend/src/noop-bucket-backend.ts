import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import type {
  ApplyOutcome,
  BackendFactory,
  BucketBackend,
  BucketIntent,
  BucketObservation,
  ObjectRef,
  OperationContext,
  OwnedResource,
  RemoveOutcome,
} from "@iri/backend-api";
import { NotedObjects } from "./noted-objects.js";

const placeholder = new TextEncoder().encode("noop");

/**
 * Creates nothing. Every bucket is reported available at a `noop.invalid` endpoint with placeholder
 * credentials that open nothing. For wiring tests and the conformance suite only.
 */
export class NoopBucketBackend implements BucketBackend {
  readonly name = "noop";

  constructor(private readonly buckets: NotedObjects) {}

  async apply(
    intent: BucketIntent,
    ctx: OperationContext<BucketObservation>,
  ): Promise<ApplyOutcome<BucketObservation>> {
    if (!this.buckets.has(intent.id)) this.buckets.note(intent.id, ctx.tag, { store: "noop" });
    return {
      placement: { store: "noop" },
      observation: {
        state: bucket.BucketState.BUCKET_AVAILABLE,
        access: create(bucket.BucketAccessSchema, {
          endpoint: `noop.invalid/${intent.id}`,
          secretData: { AWS_ACCESS_KEY_ID: placeholder, AWS_SECRET_ACCESS_KEY: placeholder },
        }),
      },
    };
  }

  async remove(ref: ObjectRef): Promise<RemoveOutcome> {
    this.buckets.forget(ref.id);
    return undefined;
  }

  async listOwned(): Promise<OwnedResource[]> {
    return this.buckets.list();
  }

  async close(): Promise<void> {
    this.buckets.close();
  }
}

export const noopBucketBackend: BackendFactory<BucketBackend, Record<string, never>> = {
  name: "noop",
  settings: {},
  async open(_settings, context) {
    return new NoopBucketBackend(
      new NotedObjects(join(context.stateDir, "buckets"), context.owner.instanceId),
    );
  },
};
