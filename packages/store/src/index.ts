export { jsonCodec } from "./codecs.js";
export { openDatabase } from "./database.js";
export { messageBytesOf, messageLengthOf } from "./encoded-record.js";
export type { StoreErrorCode } from "./errors.js";
export { AlreadyExistsError, ConflictError, NotFoundError, StoreError } from "./errors.js";
export { matchesLabels } from "./labels.js";
export type {
  Codec,
  Collection,
  CollectionOptions,
  CreateInput,
  Database,
  DatabaseOptions,
  DatabaseStats,
  ListOptions,
  ObjectMeta,
  RecordChanges,
  SqliteDatabase,
  StoredRecord,
  WatchEvent,
  WatchHandler,
  WatchOptions,
} from "./types.js";
