import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import type { BucketBackend, BucketIntent, BucketObservation } from "@iri/backend-api";

/**
 * Creates nothing. Every bucket is reported available at a `noop` endpoint without credentials.
 * For wiring tests and the conformance suite only.
 */
export class NoopBucketBackend implements BucketBackend {
  readonly name = "noop";
  private readonly owned = new Set<string>();

  async apply(intent: BucketIntent): Promise<BucketObservation> {
    this.owned.add(intent.id);
    return {
      state: bucket.BucketState.BUCKET_AVAILABLE,
      access: create(bucket.BucketAccessSchema, { endpoint: `noop.invalid/${intent.id}` }),
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
