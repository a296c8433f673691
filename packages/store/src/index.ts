export type {
  Codec,
  Collection,
  CreateInput,
  Database,
  DatabaseOptions,
  ListOptions,
  ObjectMeta,
  RecordChanges,
  StoredRecord,
  WatchEvent,
  WatchHandler,
  WatchOptions,
} from "./types.js";
export { openDatabase } from "./database.js";
export { jsonCodec } from "./codecs.js";
export { matchesLabels } from "./labels.js";
export { AlreadyExistsError, ConflictError, NotFoundError, StoreError } from "./errors.js";
