import {
  bodyChunks,
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

interface Entry {
  readonly bytes: Uint8Array;
  readonly info: ObjectInfo;
}

let nextVersion = 1;

/** The smallest correct Store, in one Map: a reference for the conformance suite and FaultyStore tests. */
export class MapStore implements Store {
  readonly url = "map://test";
  readonly #objects = new Map<string, Entry>();

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    validateKey(key);
    validatePutOptions(key, options);
    throwIfAborted(options?.signal, key);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bodyChunks(body)) {
      throwIfAborted(options?.signal, key);
      chunks.push(chunk);
    }
    throwIfAborted(options?.signal, key);
    const current = this.#objects.get(key);
    if (options?.ifNoneMatch === "*" && current) throw new PreconditionFailedError(key, "key exists");
    if (options?.ifMatch !== undefined && current?.info.version !== options.ifMatch)
      throw new PreconditionFailedError(key, "version differs");
    const bytes = Buffer.concat(chunks);
    const info = { key, size: bytes.byteLength, version: String(nextVersion++), lastModified: new Date() };
    this.#objects.set(key, { bytes, info });
    return info;
  }

  #read(key: string, options?: GetOptions): Entry {
    validateKey(key);
    throwIfAborted(options?.signal, key);
    const entry = this.#objects.get(key);
    if (!entry) throw new NotFoundError(key);
    if (options?.maxBytes !== undefined && entry.info.size > options.maxBytes)
      throw tooLargeError(key, options.maxBytes);
    return entry;
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    const entry = this.#read(key, options);
    return { info: entry.info, bytes: entry.bytes };
  }

  async getStream(key: string, options?: GetOptions): Promise<GetStreamResult> {
    const entry = this.#read(key, options);
    async function* stream(): AsyncIterable<Uint8Array> {
      for (let offset = 0; offset < entry.bytes.byteLength; offset += 1 << 20) {
        throwIfAborted(options?.signal, key);
        yield entry.bytes.subarray(offset, offset + (1 << 20));
      }
    }
    return { info: entry.info, stream: stream() };
  }

  async head(key: string, options?: CallOptions): Promise<ObjectInfo | undefined> {
    validateKey(key);
    throwIfAborted(options?.signal, key);
    return this.#objects.get(key)?.info;
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    validatePrefix(prefix);
    throwIfAborted(options?.signal, prefix);
    const limit = Math.min(options?.limit ?? 1000, 1000);
    const after = options?.cursor;
    const keys = [...this.#objects.keys()]
      .filter((key) => key.startsWith(prefix))
      .filter((key) => after === undefined || Buffer.compare(Buffer.from(key), Buffer.from(after)) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const items = keys.slice(0, limit).map((key) => this.#objects.get(key)!.info);
    return keys.length > limit ? { items, cursor: items.at(-1)!.key } : { items };
  }

  async delete(keys: readonly string[], options?: CallOptions): Promise<void> {
    for (const key of keys) validateKey(key);
    throwIfAborted(options?.signal);
    for (const key of keys) this.#objects.delete(key);
  }
}
