import { randomUUID } from "node:crypto";
import { finished, type Readable } from "node:stream";
import {
  type Body,
  bodyChunks,
  type CallOptions,
  type GetOptions,
  type GetResult,
  type GetStreamOptions,
  type GetStreamResult,
  isReplayableBody,
  knownBodySize,
  type ListOptions,
  type ListPage,
  mapBounded,
  NotFoundError,
  type ObjectInfo,
  PreconditionFailedError,
  type PutOptions,
  raceAbort,
  type Store,
  StoreAbortedError,
  StoreConfigError,
  StoreError,
  sleep,
  TooLargeError,
  TransientStoreError,
  throwIfAborted,
  validateKey,
  validatePrefix,
  validatePutOptions,
} from "@ckpt/core";
import {
  type Bucket,
  type File,
  type FileMetadata,
  IdempotencyStrategy,
  type SaveOptions,
  Storage,
} from "@google-cloud/storage";
import { describe, isAmbiguous, statusOf, toStoreError } from "./errors.js";
import { type GcsStoreOptions, type ResolvedGcsStoreOptions, resolveOptions } from "./options.js";
import { parseGcsUrl } from "./url.js";

/**
 * Custom metadata key holding a random id per put. When the outcome of a put is unknown (a lost
 * response, or a 412 on the SDK's own retry of a write that had landed), reading the object back
 * and comparing this id tells whether the write that is there is ours.
 */
export const WRITE_ID_METADATA_KEY = "ckpt-write-id";

/** Attempts of get/getStream when the object is replaced between its metadata read and its download. */
// A read pins the generation its metadata read saw; a writer replacing the key in a tight loop can
// retire that generation before the download starts, so the read looks again, this many times.
const READ_ATTEMPTS = 30;

/**
 * A {@link Store} over Google Cloud Storage through `@google-cloud/storage` 7.x.
 *
 * - `version` is the object generation; `ifNoneMatch: "*"` is `ifGenerationMatch: 0` and
 *   `ifMatch: g` is `ifGenerationMatch: g`, checked by Cloud Storage atomically with the write.
 * - Bodies up to `resumableThreshold` go in one multipart request; larger ones (or of unknown size)
 *   as resumable uploads in `chunkSize` requests, streamed from the caller's chunks without a copy.
 * - Every put stores a random write id in the object's custom metadata; a put whose outcome is
 *   unknown is resolved by reading the object back, never by guessing (see `WRITE_ID_METADATA_KEY`).
 * - A read pins the generation it saw in its metadata read, so its bytes and its info always belong
 *   to the same object even while writers replace it.
 *
 * @example
 * const store = new GcsStore({ bucket: "my-bucket", prefix: "runs" });
 * const same = GcsStore.fromUrl("gs://my-bucket/runs");
 * const local = new GcsStore({ bucket: "b", storageOptions: { apiEndpoint: "http://127.0.0.1:4443" } });
 */
export class GcsStore implements Store {
  readonly url: string;
  /** The bucket name. */
  readonly bucketName: string;
  /** The folder inside the bucket that holds the keys, without slashes around it; `""` for the bucket root. */
  readonly prefix: string;
  /** The client in use. */
  readonly storage: Storage;
  readonly #bucket: Bucket;
  readonly #options: ResolvedGcsStoreOptions;
  /** `prefix` with its trailing `/`, or `""`: what every key is stored under. */
  readonly #keyPrefix: string;

  constructor(options: GcsStoreOptions) {
    this.#options = resolveOptions(options);
    this.bucketName = this.#options.bucket;
    this.prefix = this.#options.prefix;
    this.#keyPrefix = this.prefix === "" ? "" : `${this.prefix}/`;
    this.storage = this.#options.storage ?? createClient(this.#options.storageOptions);
    this.#bucket = this.storage.bucket(this.bucketName);
    this.url = `gs://${this.bucketName}/${this.prefix}`;
  }

  /**
   * Opens `gs://bucket/prefix`. Query parameters: `apiEndpoint`, `projectId`,
   * `resumableThreshold`, `chunkSize` (bytes). Other options may be given as the second argument.
   *
   * @example
   * const store = GcsStore.fromUrl("gs://my-bucket/runs/forecast");
   */
  static fromUrl(url: string | URL, options: Omit<GcsStoreOptions, "bucket" | "prefix"> = {}): GcsStore {
    const parsed = parseGcsUrl(url);
    return new GcsStore({
      ...parsed,
      ...options,
      storageOptions: { ...parsed.storageOptions, ...options.storageOptions },
    });
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    validatePutOptions(key, options);
    const { signal } = options;
    throwIfAborted(signal, key);
    const preconditionOpts = this.#preconditions(key, options);
    const size = knownBodySize(body) ?? options.size;
    const resumable = size === undefined || size > this.#options.resumableThreshold;
    const writeId = randomUUID();
    const file = this.#file(key);
    const metadata: Record<string, unknown> = { metadata: { [WRITE_ID_METADATA_KEY]: writeId } };
    if (resumable && size !== undefined) metadata.contentLength = size;
    const saveOptions: SaveOptions = {
      resumable,
      contentType: "application/octet-stream",
      metadata,
      validation: this.#options.validation ? "crc32c" : false,
      ...(resumable ? { chunkSize: this.#options.chunkSize } : {}),
      ...(preconditionOpts === undefined ? {} : { preconditionOpts }),
    };
    const pieceSize = this.#options.chunkSize;
    // A function source lets the SDK replay the body on its own retries; an async iterable cannot be.
    const data = isReplayableBody(body)
      ? () => abortable(bodyChunks(body), pieceSize, signal, key)
      : abortable(bodyChunks(body), pieceSize, signal, key);
    try {
      await raceAbort(file.save(data, saveOptions), signal, key);
    } catch (error) {
      if (signal?.aborted || error instanceof StoreAbortedError)
        throw new StoreAbortedError(key, { cause: signal?.reason ?? error });
      const status = statusOf(error);
      if (status === 412 || isAmbiguous(error)) {
        // Our own write may be what is there: a retry of a landed write meets its own generation.
        const landed = await this.#readBack(key, writeId, signal);
        if (landed !== undefined) return landed;
        if (status === 412)
          throw new PreconditionFailedError(key, preconditionDetail(options), { cause: error });
        throw new TransientStoreError(
          key,
          `put in ${this.url} failed (${describe(error)}) and reading back found no trace of it; it may still land`,
          { cause: error },
        );
      }
      if (status === 404)
        throw new StoreConfigError(
          `Bucket "${this.bucketName}" of ${this.url} does not exist (put of "${key}")`,
          {
            cause: error,
          },
        );
      throw toStoreError(error, key, "put", this.url);
    }
    const written = file.metadata;
    if (written?.generation === undefined)
      throw new StoreError("E_PROTOCOL", `put of "${key}" in ${this.url}: no object resource in the answer`, {
        key,
      });
    return this.#info(key, written);
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const { info, readable } = await this.#open(key, options);
    // Filled as chunks arrive (the size is known from the pinned metadata), so a large object is
    // held once, not once as chunks and again joined.
    const bytes = new Uint8Array(info.size);
    const size = await fill(readable, bytes, {
      key,
      signal: options.signal,
      where: this.url,
      onChunk: options.onChunk,
    });
    if (size !== info.size)
      throw new TransientStoreError(
        key,
        `download from ${this.url} ended after ${size} of ${info.size} bytes`,
      );
    return { info, bytes };
  }

  async getStream(key: string, options: GetStreamOptions = {}): Promise<GetStreamResult> {
    const { info, readable } = await this.#open(key, options);
    return { info, stream: iterate(readable, key, options.signal, this.url) };
  }

  /** Pins the object's generation and starts its download, answered 2xx. */
  async #open(key: string, options: GetStreamOptions): Promise<{ info: ObjectInfo; readable: Readable }> {
    validateKey(key);
    const { signal, maxBytes } = options;
    throwIfAborted(signal, key);
    for (let attempt = 1; ; attempt++) {
      const info = await this.head(key, { signal });
      if (info === undefined) throw new NotFoundError(key, { store: this.url });
      if (maxBytes !== undefined && info.size > maxBytes) throw new TooLargeError(key, maxBytes);
      const file = this.#bucket.file(this.#keyPrefix + key, { generation: Number(info.version) });
      const readable = file.createReadStream({ validation: this.#options.validation ? "crc32c" : false });
      const status = await raceAbort(responseStatus(readable), signal, key).catch((error: unknown) => {
        readable.destroy();
        throw error instanceof StoreError ? error : toStoreError(error, key, "get", this.url);
      });
      if (status >= 200 && status < 300) return { info, readable };
      readable.on("error", () => undefined);
      readable.destroy();
      // 404 on the pinned generation: replaced or deleted since the metadata read; look again.
      if (status !== 404) throw toStoreError({ code: status }, key, "get", this.url);
      if (attempt >= READ_ATTEMPTS)
        throw new TransientStoreError(
          key,
          `get from ${this.url}: the object was replaced ${READ_ATTEMPTS} times while being read`,
        );
    }
  }

  async head(key: string, options: CallOptions = {}): Promise<ObjectInfo | undefined> {
    validateKey(key);
    throwIfAborted(options.signal, key);
    try {
      const [metadata] = await raceAbort(this.#file(key).getMetadata(), options.signal, key);
      return this.#info(key, metadata);
    } catch (error) {
      if (error instanceof StoreAbortedError) throw error;
      if (statusOf(error) === 404) return undefined;
      throw toStoreError(error, key, "head", this.url);
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    throwIfAborted(options.signal);
    const query = {
      prefix: this.#keyPrefix + prefix,
      autoPaginate: false,
      maxResults: Math.min(options.limit ?? 1000, 1000),
      ...(options.cursor === undefined ? {} : { pageToken: options.cursor }),
    };
    try {
      const [, , response] = await raceAbort(this.#bucket.getFiles(query), options.signal, undefined);
      const page = (response ?? {}) as { items?: FileMetadata[]; nextPageToken?: string };
      const items = (page.items ?? []).map((item) =>
        this.#info(item.name!.slice(this.#keyPrefix.length), item),
      );
      return page.nextPageToken ? { items, cursor: page.nextPageToken } : { items };
    } catch (error) {
      if (error instanceof StoreAbortedError) throw error;
      if (statusOf(error) === 404)
        throw new StoreConfigError(`Bucket "${this.bucketName}" of ${this.url} does not exist (list)`, {
          cause: error,
        });
      throw toStoreError(error, undefined, `list of "${prefix}"`, this.url);
    }
  }

  async delete(keys: readonly string[], options: CallOptions = {}): Promise<void> {
    for (const key of keys) validateKey(key);
    throwIfAborted(options.signal);
    await mapBounded(
      [...new Set(keys)],
      this.#options.deleteConcurrency,
      options.signal,
      async (key, signal) => {
        throwIfAborted(signal, key);
        try {
          await raceAbort(this.#file(key).delete({ ignoreNotFound: true }), signal, key);
        } catch (error) {
          if (error instanceof StoreAbortedError) throw error;
          throw toStoreError(error, key, "delete", this.url);
        }
      },
    );
  }

  #file(key: string): File {
    return this.#bucket.file(this.#keyPrefix + key);
  }

  #info(key: string, metadata: FileMetadata): ObjectInfo {
    return {
      key,
      size: Number(metadata.size ?? 0),
      version: String(metadata.generation),
      lastModified: new Date(String(metadata.updated ?? metadata.timeCreated)),
    };
  }

  #preconditions(key: string, options: PutOptions): { ifGenerationMatch: number } | undefined {
    if (options.ifMatch !== undefined) {
      // No object ever has generation 0 or a non-numeric one, so the condition cannot hold.
      if (!/^[1-9]\d*$/.test(options.ifMatch))
        throw new PreconditionFailedError(key, preconditionDetail(options));
      return { ifGenerationMatch: Number(options.ifMatch) };
    }
    return options.ifNoneMatch === "*" ? { ifGenerationMatch: 0 } : undefined;
  }

  /** The object's info when the live object carries `writeId`, else undefined. */
  async #readBack(
    key: string,
    writeId: string,
    signal: AbortSignal | undefined,
  ): Promise<ObjectInfo | undefined> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** attempt, signal, key);
      throwIfAborted(signal, key);
      try {
        const [metadata] = await raceAbort(this.#file(key).getMetadata(), signal, key);
        return metadata.metadata?.[WRITE_ID_METADATA_KEY] === writeId ? this.#info(key, metadata) : undefined;
      } catch (error) {
        if (error instanceof StoreAbortedError) throw error;
        if (statusOf(error) === 404) return undefined;
        lastError = error;
      }
    }
    throw new TransientStoreError(
      key,
      `put in ${this.url} has an unknown outcome and reading it back failed (${describe(lastError)})`,
      { cause: lastError },
    );
  }
}

/**
 * The SDK's retries of a call of a store-made client: one retry after 1-2 s, within 30 s. ckpt's
 * commit retries each store call itself (`retry.attempts`, default 5), so the SDK's own default
 * (3 retries, backoff to 64 s, 600 s in all) multiplied by ckpt's made an unreachable server take
 * tens of seconds to fail. `storageOptions.retryOptions` overrides any of these.
 */
export const GCS_RETRY_DEFAULTS = { maxRetries: 1, maxRetryDelay: 4, totalTimeout: 30 } as const;

/** A client for the store: the SDK's defaults, with bounded retries that never toggle shared state. */
function createClient(options: ConstructorParameters<typeof Storage>[0] = {}): Storage {
  // With the default RetryConditional strategy the SDK switches `retryOptions.autoRetry` off and on
  // around every unconditional call on the shared client, which races between concurrent calls and
  // can leave retries off for good. RetryAlways never touches it; it is safe here because every put
  // is resolved by its write id and a repeated delete of a missing key is not an error.
  return new Storage({
    ...options,
    retryOptions: {
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      ...GCS_RETRY_DEFAULTS,
      ...options?.retryOptions,
    },
  });
}

function preconditionDetail(options: PutOptions): string {
  if (options.ifNoneMatch === "*") return "the key already exists (ifNoneMatch: *)";
  return `the current version is not ${options.ifMatch} (ifMatch)`;
}

/** Yields the body in pieces of at most `pieceSize` (views, no copies), stopping when aborted. */
async function* abortable(
  chunks: AsyncIterable<Uint8Array>,
  pieceSize: number,
  signal: AbortSignal | undefined,
  key: string,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.byteLength; offset += pieceSize) {
      throwIfAborted(signal, key);
      yield chunk.subarray(offset, Math.min(offset + pieceSize, chunk.byteLength));
    }
  }
  throwIfAborted(signal, key);
}

/** Starts the SDK's lazy download and resolves to the HTTP status of its response. */
function responseStatus(readable: Readable): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onResponse = (response: { statusCode?: number; status?: number }): void => {
      readable.off("error", onError);
      resolve(response.statusCode ?? response.status ?? 0);
    };
    const onError = (error: unknown): void => {
      readable.off("response", onResponse);
      reject(error);
    };
    readable.once("response", onResponse);
    readable.once("error", onError);
    // The SDK sends the request on the stream's first read; read(0) triggers it without consuming.
    readable.read(0);
  });
}

/**
 * Copies every chunk of `readable` into `bytes` as it arrives, handing each to `onChunk` there, and
 * resolves to the bytes received; rejects with a store error on a failed or aborted download, and
 * with what `onChunk` throws. The stream runs in flowing mode: its async iterator would call
 * `read()`, which joins the chunks buffered meanwhile into a new buffer first (a second copy).
 */
function fill(
  readable: Readable,
  bytes: Uint8Array,
  options: {
    readonly key: string;
    readonly signal: AbortSignal | undefined;
    readonly where: string;
    readonly onChunk: GetOptions["onChunk"];
  },
): Promise<number> {
  const { key, signal, where, onChunk } = options;
  return new Promise<number>((resolve, reject) => {
    let size = 0;
    let settled = false;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      readable.off("data", onData);
      signal?.removeEventListener("abort", onAbort);
      stopWatching();
      if (error === undefined) {
        resolve(size);
        return;
      }
      readable.destroy();
      reject(error);
    };
    const onData = (chunk: Uint8Array): void => {
      if (size + chunk.byteLength > bytes.byteLength) {
        settle(
          new TransientStoreError(
            key,
            `download from ${where} sent more than the ${bytes.byteLength} bytes announced`,
          ),
        );
        return;
      }
      bytes.set(chunk, size);
      try {
        onChunk?.(bytes.subarray(size, size + chunk.byteLength), size);
      } catch (error) {
        // The caller's failure, as it is.
        settle(error);
        return;
      }
      size += chunk.byteLength;
    };
    const onAbort = (): void => settle(new StoreAbortedError(key, { cause: signal?.reason }));
    const stopWatching = finished(readable, (error) => {
      if (error == null) settle();
      else if (error instanceof StoreError) settle(error);
      else if (signal?.aborted) settle(new StoreAbortedError(key, { cause: signal.reason }));
      else settle(toStoreError(error, key, "get", where));
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    readable.on("data", onData);
  });
}

async function* iterate(
  readable: Readable,
  key: string,
  signal: AbortSignal | undefined,
  where: string,
): AsyncGenerator<Uint8Array> {
  const onAbort = (): void => {
    readable.destroy(new StoreAbortedError(key, { cause: signal?.reason }));
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of readable as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    if (signal?.aborted) throw new StoreAbortedError(key, { cause: signal.reason });
    throw toStoreError(error, key, "get", where);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    readable.destroy();
  }
}
