// Generated IRI v1alpha1 packages, one namespace per proto package (message names repeat across packages).

export type { RuntimeAddress } from "./client.js";
export { createRuntimeClient, createRuntimeTransport, parseAddress } from "./client.js";
export * as bucket from "./gen/bucket/v1alpha1/api_pb.js";
export * as event from "./gen/event/v1alpha1/api_pb.js";
export * as machine from "./gen/machine/v1alpha1/api_pb.js";
export * as meta from "./gen/meta/v1alpha1/api_pb.js";
export * as volume from "./gen/volume/v1alpha1/api_pb.js";
