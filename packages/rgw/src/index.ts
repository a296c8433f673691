export {
  RgwAdminClient,
  type RgwBucketStats,
  type RgwKey,
  type RgwQuota,
  type RgwUser,
} from "./rgw-admin-client.js";
export { RgwAdminError } from "./rgw-errors.js";
export { type BucketCreation, createBucketAs, RgwS3Error } from "./rgw-user-s3.js";
