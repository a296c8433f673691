// Errors a caller is expected to handle. Callers branch on the class (or `code`), never on the message; the
// provider edge maps them to gRPC codes (NotFound, AlreadyExists, Aborted).

export type StoreErrorCode = "NotFound" | "AlreadyExists" | "Conflict" | "Unavailable";

export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Identifies the record an error is about; `kind` is the collection's singular display name. */
export interface RecordRef {
  readonly collection: string;
  readonly kind: string;
  readonly id: string;
}

export class NotFoundError extends StoreError {
  override name = "NotFoundError";
  readonly collection: string;
  readonly id: string;
  constructor(ref: RecordRef) {
    super("NotFound", `${ref.kind} ${JSON.stringify(ref.id)} not found`);
    this.collection = ref.collection;
    this.id = ref.id;
  }
}

export class AlreadyExistsError extends StoreError {
  override name = "AlreadyExistsError";
  readonly collection: string;
  readonly id: string;
  constructor(ref: RecordRef) {
    super("AlreadyExists", `${ref.kind} ${JSON.stringify(ref.id)} already exists`);
    this.collection = ref.collection;
    this.id = ref.id;
  }
}

/** The record changed since the caller read it: re-read and try again. */
export class ConflictError extends StoreError {
  override name = "ConflictError";
  readonly collection: string;
  readonly id: string;
  constructor(ref: RecordRef, expected: bigint, actual: bigint) {
    super(
      "Conflict",
      `${ref.kind} ${JSON.stringify(ref.id)} was modified (resourceVersion ${actual}, expected ${expected})`,
    );
    this.collection = ref.collection;
    this.id = ref.id;
  }
}
