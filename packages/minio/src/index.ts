export {
  type AdminBodyCipher,
  AdminBodyDecryptError,
  decryptAdminBody,
  type EncryptOptions,
  encryptAdminBody,
} from "./admin-body-crypto.js";
export { MinioAdminClient, type MinioUser, type PolicyDocument } from "./minio-admin-client.js";
export { MinioAdminError } from "./minio-errors.js";
