import type { BucketBackend } from "@iri/backend-api";
import { minioBackendFactory, rgwBackendFactory } from "@iri/bucket-s3";
import { noopBucketBackend } from "@iri/noop-backend";
import type { AnyBackendFactory } from "@iri/runtime-kit";

/**
 * The bucket backends this app can run (`--backend <name>`, default rgw); their settings join the
 * app's in settings.ts (composeSettings).
 */
export const bucketBackends: readonly AnyBackendFactory<BucketBackend>[] = [
  rgwBackendFactory,
  minioBackendFactory,
  noopBucketBackend,
];
