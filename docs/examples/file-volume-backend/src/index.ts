export { FileVolumeBackend, fileVolumeBackend } from "./file-volume-backend.js";
