/**
 * A store wrapper whose chosen puts hang: like a request to a server that stopped answering. A
 * hanging call ends only when its timeout fires (it then fails with `TransientStoreError`
 * "timed out", with no effect, as an SDK's request timeout does) or when the caller's signal
 * aborts it (`StoreAbortedError`).
 */
import {
  type Body,
  type CallOptions,
  type GetOptions,
  type GetResult,
  type GetStreamResult,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type PutOptions,
  type Store,
  StoreAbortedError,
  TransientStoreError,
} from "@ckpt/core";

export class HangingStore implements Store {
  puts = 0;
  hung = 0;
  /** `hang(n, key)`: whether the n-th put (1-based) hangs. `timeoutMs`: Infinity hangs until aborted. */
  constructor(
    readonly inner: Store,
    readonly hang: (n: number, key: string) => boolean,
    readonly timeoutMs = Number.POSITIVE_INFINITY,
  ) {}

  get url(): string {
    return this.inner.url;
  }
  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    if (!this.hang(++this.puts, key)) return this.inner.put(key, body, options);
    this.hung++;
    const signal = options?.signal;
    await new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new StoreAbortedError(key, { cause: signal.reason }));
      const timer =
        this.timeoutMs === Number.POSITIVE_INFINITY
          ? undefined
          : setTimeout(
              () => reject(new TransientStoreError(key, `timed out after ${this.timeoutMs} ms`)),
              this.timeoutMs,
            );
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(new StoreAbortedError(key, { cause: signal.reason }));
        },
        { once: true },
      );
      void resolve;
    });
    throw new Error("unreachable");
  }
  get(key: string, options?: GetOptions): Promise<GetResult> {
    return this.inner.get(key, options);
  }
  getStream(key: string, options?: GetOptions): Promise<GetStreamResult> {
    return this.inner.getStream(key, options);
  }
  head(key: string, options?: CallOptions): Promise<ObjectInfo | undefined> {
    return this.inner.head(key, options);
  }
  list(prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.inner.list(prefix, options);
  }
  delete(keys: readonly string[], options?: CallOptions): Promise<void> {
    return this.inner.delete(keys, options);
  }
}
