import type {
  Body,
  CallOptions,
  GetOptions,
  GetResult,
  GetStreamResult,
  ListOptions,
  ListPage,
  ObjectInfo,
  PreparedPut,
  PutOptions,
  Store,
  SweepOptions,
  SweepResult,
} from "./types.js";

/** The store operations a {@link ForwardingStore} forwards (and a {@link FaultyStore} fault can target). */
export type StoreOp = "put" | "get" | "getStream" | "head" | "list" | "delete";

/**
 * One call as {@link ForwardingStore.around} sees it, before it reaches the inner store. `key` is
 * the key; for `list` and `sweep` the prefix; for `delete` the keys joined with `,`.
 */
export type StoreCall =
  | {
      readonly op: "put";
      readonly key: string;
      readonly body: Body;
      readonly options: PutOptions | undefined;
    }
  | { readonly op: "get" | "getStream"; readonly key: string; readonly options: GetOptions | undefined }
  | { readonly op: "head"; readonly key: string; readonly options: CallOptions | undefined }
  | { readonly op: "list"; readonly key: string; readonly options: ListOptions | undefined }
  | {
      readonly op: "delete";
      readonly key: string;
      readonly keys: readonly string[];
      readonly options: CallOptions | undefined;
    }
  | { readonly op: "sweep"; readonly key: string; readonly options: SweepOptions };

/**
 * A {@link Store} that forwards every call to `inner`, through one hook: subclass it and override
 * {@link around} to count, log, delay, fail or hold calls, instead of re-forwarding each method.
 * `sweep` is forwarded only when `inner` has one, so `gc` sees the same store it would see unwrapped.
 * `prepare` likewise, and only while `put` is not overridden: its `publish()` goes through
 * {@link around} as a `put` call, so a hook that fails or holds puts sees it.
 * A subclass may also override one method (e.g. `get`, to change its result) and call `super`.
 * Every method returns a promise, also when the hook throws.
 *
 * @example
 * class LoggingStore extends ForwardingStore {
 *   protected override around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
 *     console.log(call.op, call.key);
 *     return run();
 *   }
 * }
 * const store = new LoggingStore(await openStore("memory://t"));
 */
export class ForwardingStore implements Store {
  /** The wrapped store. */
  readonly inner: Store;
  /** The inner store's sweep through {@link around}; absent when the inner store has none. */
  declare sweep?: (prefix: string, options: SweepOptions) => Promise<SweepResult>;

  constructor(inner: Store) {
    this.inner = inner;
    const sweep = inner.sweep?.bind(inner);
    if (sweep !== undefined)
      this.sweep = async (prefix, options) =>
        this.around({ op: "sweep", key: prefix, options }, () => sweep(prefix, options));
  }

  get url(): string {
    return this.inner.url;
  }

  /** The inner store's prepare, its publish seen by {@link around} as a put (see the class notes). */
  get prepare(): ((key: string, body: Body, options?: PutOptions) => Promise<PreparedPut>) | undefined {
    const prepare = this.inner.prepare?.bind(this.inner);
    // A put replaced on the instance or by a subclass must see every put: no prepared ones then.
    if (prepare === undefined || this.put !== ForwardingStore.prototype.put) return undefined;
    return async (key, body, options) => {
      const prepared = await prepare(key, body, options);
      return {
        publish: () => this.around({ op: "put", key, body, options }, () => prepared.publish()),
        discard: () => prepared.discard(),
      };
    };
  }

  /** Runs every call: `run()` performs it on the inner store. The default just runs it. */
  protected around<T>(_call: StoreCall, run: () => Promise<T>): Promise<T> {
    return run();
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    return this.around({ op: "put", key, body, options }, () => this.inner.put(key, body, options));
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    return this.around({ op: "get", key, options }, () => this.inner.get(key, options));
  }

  async getStream(key: string, options?: GetOptions): Promise<GetStreamResult> {
    return this.around({ op: "getStream", key, options }, () => this.inner.getStream(key, options));
  }

  async head(key: string, options?: CallOptions): Promise<ObjectInfo | undefined> {
    return this.around({ op: "head", key, options }, () => this.inner.head(key, options));
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.around({ op: "list", key: prefix, options }, () => this.inner.list(prefix, options));
  }

  async delete(keys: readonly string[], options?: CallOptions): Promise<void> {
    return this.around({ op: "delete", key: keys.join(","), keys, options }, () =>
      this.inner.delete(keys, options),
    );
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
