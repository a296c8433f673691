import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import type { BucketBackend, BucketIntent, BucketObservation } from "@iri/backend-api";

/**
 * Creates nothing. Every bucket is reported available at a `noop.invalid` endpoint with placeholder
 * credentials that open nothing.
 * For wiring tests and the conformance suite only.
 */
const placeholder = new TextEncoder().encode("noop");

export class NoopBucketBackend implements BucketBackend {
  readonly name = "noop";
  private readonly owned = new Set<string>();

  async apply(intent: BucketIntent): Promise<BucketObservation> {
    this.owned.add(intent.id);
    return {
      state: bucket.BucketState.BUCKET_AVAILABLE,
      access: create(bucket.BucketAccessSchema, {
        endpoint: `noop.invalid/${intent.id}`,
        secretData: { AWS_ACCESS_KEY_ID: placeholder, AWS_SECRET_ACCESS_KEY: placeholder },
      }),
    };
  }

  async remove(id: string): Promise<void> {
    this.owned.delete(id);
  }

  async listOwned(): Promise<string[]> {
    return [...this.owned];
  }

  async close(): Promise<void> {}
}
