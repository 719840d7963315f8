/**
 * Every error ckpt throws carries a stable `code` that scripts can match on, and a message
 * that names the key, option or checkpoint concerned. The underlying error, when there is
 * one, is kept as `cause`.
 */
export class CkptError extends Error {
  /** A stable identifier such as `E_NOT_FOUND`; never changes between releases. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Base of every error raised by a {@link Store}. `key` is the store key concerned, when there is one. */
export class StoreError extends CkptError {
  readonly key: string | undefined;

  constructor(code: string, message: string, options?: { key?: string | undefined; cause?: unknown }) {
    super(code, message, options);
    this.key = options?.key;
  }
}

/** `get` of a key that does not exist. */
export class NotFoundError extends StoreError {
  constructor(key: string, options?: { cause?: unknown; store?: string }) {
    super("E_NOT_FOUND", `Object not found: "${key}"${options?.store ? ` in ${options.store}` : ""}`, {
      key,
      cause: options?.cause,
    });
  }
}

/** A conditional put (`ifMatch` / `ifNoneMatch: "*"`) whose condition did not hold. Nothing was written. */
export class PreconditionFailedError extends StoreError {
  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super("E_PRECONDITION_FAILED", `Precondition failed for "${key}": ${detail}`, {
      key,
      cause: options?.cause,
    });
  }
}

/** A key that is not a safe relative `/`-separated path. Raised before any I/O. */
export class InvalidKeyError extends StoreError {
  constructor(key: string, reason: string) {
    super("E_INVALID_KEY", `Invalid store key ${JSON.stringify(key)}: ${reason}`, { key });
  }
}

/** The operation was cancelled through its `AbortSignal`. */
export class StoreAbortedError extends StoreError {
  constructor(key: string | undefined, options?: { cause?: unknown }) {
    super(
      "E_ABORTED",
      key === undefined ? "Store operation aborted" : `Store operation on "${key}" aborted`,
      {
        key,
        cause: options?.cause,
      },
    );
  }
}

/**
 * A store call that failed for a reason that may pass (throttling, 5xx, reset connection, timeout).
 * For a put, the write may or may not have taken effect: callers that care resolve the outcome by
 * reading back, never by assuming.
 */
export class TransientStoreError extends StoreError {
  constructor(key: string | undefined, detail: string, options?: { cause?: unknown }) {
    super("E_TRANSIENT", `Transient store failure${key === undefined ? "" : ` on "${key}"`}: ${detail}`, {
      key,
      cause: options?.cause,
    });
  }
}

/** A store URL or store options that cannot be used, or a store package that is not installed. */
export class StoreConfigError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_STORE_CONFIG", message, options);
  }
}

/**
 * A stored object or manifest that does not match what was committed: missing, wrong size, wrong
 * checksum, or a manifest that is malformed or names keys outside its commit folder. `key` is the
 * store key concerned.
 */
export class CheckpointIntegrityError extends CkptError {
  readonly key: string;

  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super("E_INTEGRITY", `Integrity check failed for "${key}": ${detail}`, options);
    this.key = key;
  }
}

/**
 * The catalog of a checkpoint cannot be read or updated: written by a newer format, too many
 * conflicting writers, or an update whose outcome could not be resolved by reading back.
 * `checkpoint` is the checkpoint's folder (name, with `rank_NNNNNN` when ranked).
 */
export class CheckpointCatalogError extends CkptError {
  readonly checkpoint: string;

  constructor(checkpoint: string, detail: string, options?: { cause?: unknown }) {
    super("E_CATALOG", `Catalog of checkpoint "${checkpoint}": ${detail}`, options);
    this.checkpoint = checkpoint;
  }
}
