// The gRPC transport's boundary: what the rest of the kit (the provider host, the settings, List encoding)
// uses of it. Everything else in this folder is internal to serving.
export { answerPrepared, preparedResponseKey } from "./prepared-response.js";
export type { RunningServer } from "./serve.js";
export { serveRuntime } from "./serve.js";
export type { ServeLimits } from "./serve-settings.js";
export { DEFAULT_SERVE_LIMITS, serveSettings } from "./serve-settings.js";
