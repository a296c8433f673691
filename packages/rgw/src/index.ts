export {
  RgwAdminClient,
  type RgwBucketStats,
  type RgwKey,
  type RgwQuota,
  type RgwUser,
} from "./rgw-admin-client.js";
export { RgwAdminError } from "./rgw-errors.js";
