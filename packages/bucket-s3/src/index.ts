export { minioBackendFactory, rgwBackendFactory } from "./factories.js";
