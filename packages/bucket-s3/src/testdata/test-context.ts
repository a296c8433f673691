import type {
  ApplyOutcome,
  BucketBackend,
  BucketClassConfig,
  BucketIntent,
  BucketObservation,
  Placement,
  RemoveOutcome,
} from "@iri/backend-api";
import { bucketIntent, ReconcilerDouble, TestBackendContext } from "@iri/backend-testing";

/** The shared backend test context, as the bucket provider would open a backend with it. */
export function bucketTestContext(instanceId: string): TestBackendContext {
  return new TestBackendContext({ provider: "bucket-provider", instanceId });
}

/** The shared reconciler double, called with a bucket's id and class (all a bucket intent is). */
export class BucketDriver {
  private readonly double: ReconcilerDouble<BucketIntent, BucketObservation>;

  constructor(backend: BucketBackend, ctx: TestBackendContext) {
    this.double = new ReconcilerDouble(backend, ctx);
  }

  /** The provider restarted: the same records, a backend opened anew. */
  restartWith(backend: BucketBackend): void {
    this.double.restartWith(backend);
  }

  apply(id: string, cls: BucketClassConfig, signal?: AbortSignal): Promise<ApplyOutcome<BucketObservation>> {
    return this.double.apply(bucketIntent(id, cls), signal);
  }

  remove(id: string, signal?: AbortSignal): Promise<RemoveOutcome> {
    return this.double.remove(id, signal);
  }

  placementOf(id: string): Placement | undefined {
    return this.double.placementOf(id);
  }
}

export function bucketClass(
  name: string,
  settings: Readonly<Record<string, unknown>> = {},
): BucketClassConfig {
  return { name, tps: 100n, iops: 10n, settings };
}

export function requireEnv(names: readonly string[], hint: string): Record<string, string> {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} not set: these tests need real services (${hint})`);
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n] as string]));
}
