export { type AccessSettings, bucketAccess } from "./access.js";
export { bucketNameFor } from "./bucket-names.js";
export { type ClassPolicy, classPolicyOf } from "./class-policy.js";
export { minioBackendFactory, rgwBackendFactory } from "./factories.js";
export { MinioBucketBackend } from "./minio-bucket-backend.js";
export { RgwBucketBackend } from "./rgw-bucket-backend.js";
