import {
  bodyChunks,
  concatChunks,
  NotFoundError,
  PreconditionFailedError,
  throwIfAborted,
  tooLargeError,
  validateKey,
  validatePrefix,
  validatePutOptions,
} from "../../src/index.js";
import type {
  Body,
  CallOptions,
  GetOptions,
  GetResult,
  GetStreamResult,
  ListOptions,
  ListPage,
  ObjectInfo,
  PutOptions,
  Store,
} from "../../src/store/types.js";

/** One stored object; tests may replace `bytes` to damage it behind the store's back. */
export interface MapStoreEntry {
  bytes: Uint8Array;
  readonly info: ObjectInfo;
}

export interface MapStoreOptions {
  /** Items per `list` page when the caller gives no `limit` (default 1000, the most a page holds). */
  readonly pageSize?: number;
}

const MAX_PAGE = 1000;
let nextVersion = 1;

/**
 * The smallest correct Store, in one Map: the reference for the conformance suite, and the store of
 * core's own tests. Puts are atomic (the entry is replaced whole), versions are unique per put, and
 * preconditions are checked in the same synchronous step as the write. Bytes are copied in and out.
 */
export class MapStore implements Store {
  readonly url = "map://test";
  readonly objects = new Map<string, MapStoreEntry>();
  readonly #pageSize: number;

  constructor(options: MapStoreOptions = {}) {
    this.#pageSize = options.pageSize ?? MAX_PAGE;
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    validateKey(key);
    validatePutOptions(key, options);
    throwIfAborted(options?.signal, key);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bodyChunks(body)) {
      throwIfAborted(options?.signal, key);
      chunks.push(chunk.slice());
    }
    throwIfAborted(options?.signal, key);
    const current = this.objects.get(key);
    if (options?.ifNoneMatch === "*" && current) throw new PreconditionFailedError(key, "the key exists");
    if (options?.ifMatch !== undefined && current?.info.version !== options.ifMatch)
      throw new PreconditionFailedError(key, "the version differs");
    const bytes = concatChunks(chunks).slice();
    const info = { key, size: bytes.byteLength, version: `v${nextVersion++}`, lastModified: new Date() };
    this.objects.set(key, { bytes, info });
    return info;
  }

  #read(key: string, options?: GetOptions): MapStoreEntry {
    validateKey(key);
    throwIfAborted(options?.signal, key);
    const entry = this.objects.get(key);
    if (!entry) throw new NotFoundError(key);
    if (options?.maxBytes !== undefined && entry.bytes.byteLength > options.maxBytes)
      throw tooLargeError(key, options.maxBytes);
    return entry;
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    const entry = this.#read(key, options);
    return { info: entry.info, bytes: entry.bytes.slice() };
  }

  async getStream(key: string, options?: GetOptions): Promise<GetStreamResult> {
    const entry = this.#read(key, options);
    const bytes = entry.bytes.slice();
    async function* stream(): AsyncIterable<Uint8Array> {
      for (let offset = 0; offset < bytes.byteLength; offset += 1 << 20) {
        throwIfAborted(options?.signal, key);
        yield bytes.subarray(offset, offset + (1 << 20));
      }
    }
    return { info: entry.info, stream: stream() };
  }

  async head(key: string, options?: CallOptions): Promise<ObjectInfo | undefined> {
    validateKey(key);
    throwIfAborted(options?.signal, key);
    return this.objects.get(key)?.info;
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    validatePrefix(prefix);
    throwIfAborted(options?.signal, prefix);
    const limit = Math.min(options?.limit ?? this.#pageSize, MAX_PAGE);
    const after = options?.cursor;
    const keys = [...this.objects.keys()]
      .filter((key) => key.startsWith(prefix))
      .filter((key) => after === undefined || Buffer.compare(Buffer.from(key), Buffer.from(after)) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const items = keys.slice(0, limit).map((key) => this.objects.get(key)!.info);
    return keys.length > limit ? { items, cursor: items.at(-1)!.key } : { items };
  }

  async delete(keys: readonly string[], options?: CallOptions): Promise<void> {
    for (const key of keys) validateKey(key);
    throwIfAborted(options?.signal);
    for (const key of keys) this.objects.delete(key);
  }
}
