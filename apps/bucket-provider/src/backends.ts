import type { BucketBackend } from "@iri/backend-api";
import { noopBucketBackend } from "@iri/noop-backend";
import type { AnyBackendFactory } from "@iri/runtime-kit";

/** The bucket backends this app can run (`--backend <name>`); their settings are in settings.ts. */
export const bucketBackends: readonly AnyBackendFactory<BucketBackend>[] = [noopBucketBackend];
