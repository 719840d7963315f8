import { NotFoundError, PreconditionFailedError } from "../../src/errors.js";
import {
  bodyChunks,
  concatChunks,
  type ObjectInfo,
  type Store,
  throwIfAborted,
  tooLargeError,
  validateKey,
  validatePrefix,
} from "../../src/store/index.js";

/**
 * A Map-backed store with honest preconditions, for core's own tests: puts are atomic (the map
 * entry is replaced whole), versions are unique per put, and preconditions are checked in the
 * same synchronous step as the write.
 */
export class MemoryStore implements Store {
  readonly url = "memory-test://";
  readonly objects = new Map<string, { bytes: Uint8Array; info: ObjectInfo }>();
  #counter = 0;

  async put(
    key: string,
    body: Parameters<Store["put"]>[1],
    options?: Parameters<Store["put"]>[2],
  ): Promise<ObjectInfo> {
    validateKey(key);
    throwIfAborted(options?.signal, key);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bodyChunks(body)) chunks.push(chunk.slice());
    throwIfAborted(options?.signal, key);
    const current = this.objects.get(key);
    if (options?.ifNoneMatch === "*" && current !== undefined)
      throw new PreconditionFailedError(key, "the key exists");
    if (options?.ifMatch !== undefined && current?.info.version !== options.ifMatch)
      throw new PreconditionFailedError(key, "the version differs");
    const bytes = concatChunks(chunks).slice();
    const info = { key, size: bytes.byteLength, version: `v${++this.#counter}`, lastModified: new Date() };
    this.objects.set(key, { bytes, info });
    return info;
  }

  async get(key: string, options?: Parameters<Store["get"]>[1]) {
    validateKey(key);
    throwIfAborted(options?.signal, key);
    const entry = this.objects.get(key);
    if (entry === undefined) throw new NotFoundError(key);
    if (options?.maxBytes !== undefined && entry.bytes.byteLength > options.maxBytes)
      throw tooLargeError(key, options.maxBytes);
    return { info: entry.info, bytes: entry.bytes.slice() };
  }

  async getStream(key: string, options?: Parameters<Store["getStream"]>[1]) {
    const { info, bytes } = await this.get(key, options);
    return {
      info,
      stream: (async function* () {
        yield bytes;
      })(),
    };
  }

  async head(key: string) {
    validateKey(key);
    return this.objects.get(key)?.info;
  }

  async list(prefix: string, options?: Parameters<Store["list"]>[1]) {
    validatePrefix(prefix);
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    const start = options?.cursor === undefined ? 0 : keys.findIndex((key) => key > options.cursor!);
    const limit = options?.limit ?? 3;
    const page = start < 0 ? [] : keys.slice(start, start + limit);
    const more = start >= 0 && start + limit < keys.length;
    return {
      items: page.map((key) => this.objects.get(key)!.info),
      ...(more ? { cursor: page.at(-1)! } : {}),
    };
  }

  async delete(keys: readonly string[]) {
    for (const key of keys) validateKey(key);
    for (const key of keys) this.objects.delete(key);
  }
}

/** A store that forwards to `inner` (methods bound to it) except for the calls given. */
export function overriding(inner: Store, overrides: Partial<Store>): Store {
  return {
    url: inner.url,
    put: inner.put.bind(inner),
    get: inner.get.bind(inner),
    getStream: inner.getStream.bind(inner),
    head: inner.head.bind(inner),
    list: inner.list.bind(inner),
    delete: inner.delete.bind(inner),
    ...overrides,
  };
}
