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

/**
 * Every `code` a {@link StoreError} can carry, from core and from the stores of this repository.
 * A store of one's own should pick from these too, so scripts match one list.
 *
 * - `E_NOT_FOUND` ({@link NotFoundError}), `E_PRECONDITION_FAILED` ({@link PreconditionFailedError}),
 *   `E_INVALID_KEY` ({@link InvalidKeyError}), `E_ABORTED` ({@link StoreAbortedError}),
 *   `E_TRANSIENT` ({@link TransientStoreError}), `E_STORE_CONFIG` ({@link StoreConfigError}),
 *   `E_TOO_LARGE` ({@link TooLargeError}), `E_INVALID_ARGUMENT` ({@link InvalidArgumentError}).
 * - `E_PRECONDITION_UNSUPPORTED`: a precondition the store cannot honour for this body (S3: above
 *   the multipart threshold).
 * - `E_ACCESS_DENIED`: the service refused the credentials (HTTP 401/403).
 * - `E_DELETE_FAILED`: some keys of a `delete` could not be removed (the message names them).
 * - `E_KEY_CONFLICT`: a key that a filesystem cannot hold beside another (a file where a folder is).
 * - `E_CONNECTION_LOST`: the connection dropped after the request went out (outcome unknown).
 * - `E_IO`: an unexpected filesystem error (the `cause` holds the system error).
 * - `E_CURSOR`: a `list` cursor the store did not issue.
 * - `E_PROTOCOL`: the service answered a call without what the protocol promises (no ETag, no
 *   upload id, no object resource).
 * - `E_REQUEST_REJECTED`: the service refused a request for a reason none of the above names; the
 *   message carries the service's own code and message. (S3Store used `E_S3` for this before.)
 */
export type StoreErrorCode =
  | "E_NOT_FOUND"
  | "E_PRECONDITION_FAILED"
  | "E_INVALID_KEY"
  | "E_ABORTED"
  | "E_TRANSIENT"
  | "E_STORE_CONFIG"
  | "E_TOO_LARGE"
  | "E_INVALID_ARGUMENT"
  | "E_PRECONDITION_UNSUPPORTED"
  | "E_ACCESS_DENIED"
  | "E_DELETE_FAILED"
  | "E_KEY_CONFLICT"
  | "E_CONNECTION_LOST"
  | "E_IO"
  | "E_CURSOR"
  | "E_PROTOCOL"
  | "E_REQUEST_REJECTED";

/** Base of every error raised by a {@link Store}. `key` is the store key concerned, when there is one. */
export class StoreError extends CkptError {
  declare readonly code: StoreErrorCode;
  readonly key: string | undefined;

  constructor(
    code: StoreErrorCode,
    message: string,
    options?: { key?: string | undefined; cause?: unknown },
  ) {
    super(code, message, options);
    this.key = options?.key;
  }
}

/**
 * An object larger than a reader allowed (`maxBytes` of `get`/`getStream`), refused before it is
 * read whole, or a body larger than a store can upload. `limit` is the bound in bytes.
 */
export class TooLargeError extends StoreError {
  readonly limit: number;

  constructor(key: string | undefined, limit: number, options?: { detail?: string; cause?: unknown }) {
    super(
      "E_TOO_LARGE",
      options?.detail ??
        `Object ${key === undefined ? "" : `"${key}" `}is larger than the ${limit} bytes the reader allowed`,
      { key, cause: options?.cause },
    );
    this.limit = limit;
  }
}

/**
 * Call options a store cannot act on, such as `ifMatch` together with `ifNoneMatch`, an empty
 * `ifMatch`, or a body whose length differs from its declared `size`. Raised before anything is
 * written; `key` names the key of the call.
 */
export class InvalidArgumentError extends StoreError {
  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super("E_INVALID_ARGUMENT", `${detail} (key "${key}")`, { key, cause: options?.cause });
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
 * The bytes of a commit object changed while its commit uploaded them (a sync `write()` not awaited
 * before bound state changed), so the commit failed before its catalog swap: nothing was committed.
 * `key` names the object; `stateId` and `field` name the state and field when they are known.
 */
export class CheckpointSourceChangedError extends CheckpointIntegrityError {
  readonly stateId: string | undefined;
  readonly field: string | undefined;

  constructor(
    key: string,
    detail: string,
    options?: { stateId?: string | undefined; field?: string | undefined; cause?: unknown },
  ) {
    super(key, detail, options);
    this.stateId = options?.stateId;
    this.field = options?.field;
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

/**
 * A `Checkpoint` option (or the checkpoint name, or a rank variable of the environment) that cannot
 * be used. `option` names it, camelCased (`flushInterval`), or the environment variable (`RANK`).
 */
export class CheckpointOptionError extends CkptError {
  readonly option: string;
  readonly checkpoint: string | undefined;

  constructor(
    option: string,
    message: string,
    options?: { checkpoint?: string | undefined; cause?: unknown },
  ) {
    super(
      "E_OPTION",
      options?.checkpoint === undefined ? message : `Checkpoint "${options.checkpoint}": ${message}`,
      options,
    );
    this.option = option;
    this.checkpoint = options?.checkpoint;
  }
}

/**
 * A second, different live object bound under a state id already bound in the same checkpoint
 * session (or pending for the same checkpoint).
 */
export class CheckpointStateCollisionError extends CkptError {
  readonly stateId: string;
  readonly checkpoint: string | undefined;

  constructor(stateId: string, checkpoint?: string) {
    super(
      "E_STATE_COLLISION",
      `${stateId} was registered more than once in this checkpoint session.${checkpoint === undefined ? "" : ` (checkpoint "${checkpoint}")`}`,
    );
    this.stateId = stateId;
    this.checkpoint = checkpoint;
  }
}

/** `select(row)` on an empty catalog (or no row with the labels asked for), or a row out of range. */
export class CheckpointSelectionError extends CkptError {
  readonly checkpoint: string;

  constructor(checkpoint: string, detail: string) {
    super("E_SELECTION", `Checkpoint "${checkpoint}": ${detail}`);
    this.checkpoint = checkpoint;
  }
}

/**
 * A world-consistent restart that cannot pick one boundary for every rank (`E_WORLD`): the rows
 * were written by a world of another size (`recordedWorldSize` and `worldSize` name both), or every
 * rank holds rows but no write boundary is held by all. Nothing was read beyond the catalogs and
 * nothing was written.
 */
export class CheckpointWorldError extends CkptError {
  readonly checkpoint: string;
  /** This run's world size. */
  readonly worldSize: number;
  /** The world size the rows record, when that is what differs. */
  readonly recordedWorldSize: number | undefined;

  constructor(
    checkpoint: string,
    detail: string,
    sizes: { worldSize: number; recordedWorldSize?: number | undefined },
  ) {
    super("E_WORLD", `Checkpoint "${checkpoint}": ${detail}`);
    this.checkpoint = checkpoint;
    this.worldSize = sizes.worldSize;
    this.recordedWorldSize = sizes.recordedWorldSize;
  }
}

/**
 * A session used in a way its state does not allow: the commit folder of a session that has no row,
 * a missing metadata name, `write`/`flush`/`bind`/`run` on a session that ended (its `run()`
 * returned or threw, or its checkpoint was closed). `checkpoint` names the checkpoint.
 */
export class CheckpointSessionError extends CkptError {
  readonly checkpoint: string;

  constructor(checkpoint: string, detail: string, options?: { cause?: unknown }) {
    super("E_SESSION", `Checkpoint "${checkpoint}": ${detail}`, options);
    this.checkpoint = checkpoint;
  }
}

/**
 * Metadata passed to `write` / `flush` that cannot be stored: a key that is not a string, or a value
 * the metadata codec refuses (the codec's error is the `cause`). `key` names the metadata entry.
 */
export class CheckpointMetadataError extends CkptError {
  readonly key: string;

  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super("E_METADATA", detail, options);
    this.key = key;
  }
}

/**
 * Labels or metadata over a documented limit (`CHECKPOINT_LIMITS`): too many labels, a label too
 * large, or a row's metadata too large. `field` names what is over (`labels`, `labels.runId`,
 * `metadata.history`), `limit` and `actual` give the limit and the value found (a count for
 * `labels`, else bytes). Raised before anything is written; the message says to bind large values
 * as state.
 */
export class CheckpointLimitError extends CkptError {
  readonly field: string;
  readonly limit: number;
  readonly actual: number;

  constructor(field: string, limit: number, actual: number, message: string) {
    super("E_LIMIT", message);
    this.field = field;
    this.limit = limit;
    this.actual = actual;
  }
}

/**
 * A value the codec refuses to encode: a function, symbol, class instance, cycle, shared reference,
 * sparse array, lone surrogate, invalid date, ... `path` names the value, e.g.
 * `state.demo.RngState.buffers[3]`, and the message starts with it.
 */
export class CheckpointSerializationError extends CkptError {
  readonly path: string;

  constructor(path: string, detail: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? "E_SERIALIZATION", `${path}: ${detail}`, options);
    this.path = path;
  }
}

/**
 * A stored value that cannot be decoded: an unknown kind, a malformed description, or a `.npy`
 * object whose header disagrees with its description (dtype, shape, byte count, Fortran order,
 * object dtype). A subclass of {@link CheckpointSerializationError}, with its own code `E_DECODE`.
 */
export class CheckpointDecodeError extends CheckpointSerializationError {
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(path, detail, { ...options, code: "E_DECODE" });
  }
}

/**
 * A state declaration, or a saved state, that does not fit the declared schema: a different state
 * id, schema hash or field set (raised before any field of the live object changes), values the
 * zod schema rejects (`issues` holds zod's issue paths), or a schema using types the codec cannot
 * store. `stateId` names the state.
 */
export class CheckpointStateSchemaError extends CkptError {
  readonly stateId: string;
  /** zod's issues when validation failed: the path inside the state and zod's message. */
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];

  constructor(
    stateId: string,
    detail: string,
    options?: {
      cause?: unknown;
      issues?: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
    },
  ) {
    super("E_STATE_SCHEMA", `Checkpoint state ${stateId}: ${detail}`, options);
    this.stateId = stateId;
    this.issues = options?.issues ?? [];
  }
}

/**
 * A state binding used wrongly: binding something that is not a declared state type (or not an
 * object), binding one live object under two state types, binding outside every session while a
 * session runs in another async context (no session would save it), or assigning to a read-only
 * property of a state handle. `stateId` names the state when there is one.
 */
export class CheckpointBindingError extends CkptError {
  readonly stateId: string | undefined;

  constructor(detail: string, options?: { stateId?: string | undefined }) {
    super("E_BINDING", detail);
    this.stateId = options?.stateId;
  }
}

/**
 * The job was preempted: one of the signals given to `run(fn, { signals })` arrived (SIGTERM from a
 * spot VM, Kubernetes or Slurm; SIGINT from Ctrl-C). Thrown by the first `write()` after the signal,
 * once it has committed its boundary, and by `run()`. `signal` names the signal, `exitCode` is the
 * conventional exit code (128 + the signal's number: 143 for SIGTERM, 130 for SIGINT),
 * `writeCount` and `commitId` name the row committed at that boundary (`undefined` in the error
 * that aborts `fn`'s `AbortSignal`, made before any boundary was reached).
 */
export class CheckpointPreemptedError extends CkptError {
  readonly checkpoint: string;
  readonly signal: string;
  readonly exitCode: number;
  readonly writeCount: number | undefined;
  readonly commitId: string | undefined;

  constructor(
    checkpoint: string,
    signal: string,
    exitCode: number,
    committed?: { readonly writeCount: number; readonly commitId: string },
  ) {
    super(
      "E_PREEMPTED",
      `Checkpoint "${checkpoint}": preempted by ${signal}; ${
        committed === undefined
          ? "the next write() commits its boundary"
          : `committed the write boundary at writeCount ${committed.writeCount} (${committed.commitId})`
      }. A new run resumes from the latest committed row.`,
    );
    this.checkpoint = checkpoint;
    this.signal = signal;
    this.exitCode = exitCode;
    this.writeCount = committed?.writeCount;
    this.commitId = committed?.commitId;
  }
}
