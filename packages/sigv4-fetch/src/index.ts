export {
  ServiceUnreachableError,
  SignedClient,
  type SignedClientOptions,
  type SignedRequest,
  type SignedResponse,
  type SigV4Credentials,
} from "./signed-fetch.js";
