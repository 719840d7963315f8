/** What a store knows of one object. */
export interface ObjectInfo {
  /** The key relative to the store's prefix. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /**
   * Opaque version token: the S3 ETag, the GCS generation, a unique token on fs. It changes on
   * every put that changes the bytes. Whether a put of identical bytes changes it depends on the
   * store: on fs and GCS it does; on S3 the ETag is a content hash, so it does not (an `ifMatch`
   * taken before such a put still matches). Compare versions only for equality.
   */
  readonly version: string;
  readonly lastModified: Date;
}

/**
 * A put body. A list of chunks or an async iterable lets a large typed array go out without being
 * copied into one buffer. An async iterable cannot be replayed, so stores that retry a put must
 * not be given one for a body they might need to send twice (core only passes replayable bodies).
 */
export type Body = Uint8Array | readonly Uint8Array[] | AsyncIterable<Uint8Array>;

/** Options every store call takes. */
export interface CallOptions {
  /** Cancels the call; the store then rejects with `StoreAbortedError`. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Options of {@link Store.put}. `ifMatch` and `ifNoneMatch` together are refused by every store
 * with `InvalidArgumentError` (see `validatePutOptions`).
 */
export interface PutOptions extends CallOptions {
  /** Write only if the key's current version equals this one (fails also when the key is missing). */
  readonly ifMatch?: string | undefined;
  /** `"*"`: write only if the key does not exist. */
  readonly ifNoneMatch?: "*" | undefined;
  /** Total body length in bytes, when known for an async-iterable body. */
  readonly size?: number | undefined;
}

/** Options of {@link Store.getStream}. */
export interface GetStreamOptions extends CallOptions {
  /**
   * Refuse objects larger than this many bytes (with `TooLargeError`, code `E_TOO_LARGE`) before
   * reading them, so a damaged or hostile object cannot make the reader allocate without bound.
   */
  readonly maxBytes?: number | undefined;
}

/** Options of {@link Store.get}. */
export interface GetOptions extends GetStreamOptions {
  /**
   * Called with each piece of the object, in order, as soon as it has been read and while later
   * pieces may still be in flight, so the caller can checksum the object as it arrives rather than
   * after the whole read. `offset` is the piece's position in the object; a store that starts a read
   * over (e.g. after a lost connection) calls again from offset 0. A piece is only valid during the
   * call. Honouring it is optional: a caller must fall back to the returned bytes when the pieces
   * did not cover them (the conformance suite checks that pieces, when given, match the bytes).
   */
  readonly onChunk?: ((chunk: Uint8Array, offset: number) => void) | undefined;
}

/** Options of {@link Store.list}. */
export interface ListOptions extends CallOptions {
  /** The `cursor` of the previous page; absent for the first page. */
  readonly cursor?: string | undefined;
  /** Upper bound on the page size (a store may return fewer). */
  readonly limit?: number | undefined;
}

/** One page of {@link Store.list}. */
export interface ListPage {
  /** Objects whose key starts with the prefix, in ascending key order. */
  readonly items: readonly ObjectInfo[];
  /** Present when more pages follow. */
  readonly cursor?: string | undefined;
}

/** What {@link Store.get} returns: the object's info and its bytes, read as one. */
export interface GetResult {
  readonly info: ObjectInfo;
  readonly bytes: Uint8Array;
}

/** What {@link Store.getStream} returns: the object's info and its bytes as chunks. */
export interface GetStreamResult {
  readonly info: ObjectInfo;
  readonly stream: AsyncIterable<Uint8Array>;
}

/** Options of {@link Store.sweep}. */
export interface SweepOptions extends CallOptions {
  /** Grace period in milliseconds: leftovers younger than this are kept (a writer may still own them). */
  readonly olderThan: number;
  /** Report what would be removed without removing it. */
  readonly dryRun?: boolean | undefined;
}

/** What {@link Store.sweep} removed (or, with `dryRun`, would remove). */
export interface SweepResult {
  /** How many leftovers (temp files, stale locks, empty folders, incomplete uploads). */
  readonly count: number;
  /** Bytes they hold, as far as the store can tell. */
  readonly bytes: number;
}

/** A put written ahead by {@link Store.prepare}: published once, or discarded. */
export interface PreparedPut {
  /** Makes the object visible, as `put` would have: same preconditions, errors and result. */
  publish(): Promise<ObjectInfo>;
  /** Drops what was written; nothing becomes visible. Idempotent, never rejects. */
  discard(): Promise<void>;
}

/**
 * The one seam between ckpt and storage: a flat key space under a prefix.
 *
 * Guarantees every implementation proves by passing `describeStoreConformance` from
 * `@ckpt/core/testing`:
 * - a put is atomic: a reader sees the whole old object or the whole new one;
 * - `ifNoneMatch: "*"` and `ifMatch` are checked atomically with the write, across processes;
 * - keys are validated (see `validateKey`) before any I/O;
 * - `list` pages are complete, in key order and without repeats;
 * - `delete` is idempotent.
 */
export interface Store {
  /** A description of where the store points, without credentials (for messages and logs). */
  readonly url: string;
  put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Optional: the slow half of a put done ahead, out of sight. Writes (and, where the store syncs,
   * syncs) the body where no reader sees it, and resolves to a {@link PreparedPut} whose
   * `publish()` makes it the key's object with exactly `put`'s options and outcomes. The commit
   * protocol prepares its manifest while the objects it lists are still being written, and
   * publishes it after them. `FsStore` offers it; a store without it is simply `put` later.
   */
  readonly prepare?: ((key: string, body: Body, options?: PutOptions) => Promise<PreparedPut>) | undefined;
  /** Reads a whole object. Missing key: `NotFoundError`. */
  get(key: string, options?: GetOptions): Promise<GetResult>;
  /** Reads an object as a stream of chunks. Missing key: `NotFoundError`. */
  getStream(key: string, options?: GetStreamOptions): Promise<GetStreamResult>;
  /** The object's info, or `undefined` when it does not exist. */
  head(key: string, options?: CallOptions): Promise<ObjectInfo | undefined>;
  /** One page of the objects whose key starts with `prefix` (a plain string prefix, not a folder). */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Deletes the keys; missing keys are not an error. */
  delete(keys: readonly string[], options?: CallOptions): Promise<void>;
  /**
   * Removes what the store itself left behind under `prefix` and that `list` does not show: temp
   * files and stale locks of killed writers and empty folders (fs), incomplete multipart uploads
   * (S3). Only leftovers older than `olderThan` go, and never anything a live writer still needs
   * (a lock a live process holds stays whatever `olderThan` is). Objects are never touched.
   * Optional: `gc` calls it when present.
   */
  sweep?(prefix: string, options: SweepOptions): Promise<SweepResult>;
  /** Releases clients, sockets or file handles. Optional. */
  close?(): Promise<void>;
}
