/**
 * A store wrapper whose chosen puts hang: like a request to a server that stopped answering. A
 * hanging call ends only when its timeout fires (it then fails with `TransientStoreError`
 * "timed out", with no effect, as an SDK's request timeout does) or when the caller's signal
 * aborts it (`StoreAbortedError`).
 */
import { type Store, StoreAbortedError, TransientStoreError } from "@ckpt/core";
import { ForwardingStore, type StoreCall } from "@ckpt/core/testing";

export class HangingStore extends ForwardingStore {
  puts = 0;
  hung = 0;
  /** `hang(n, key)`: whether the n-th put (1-based) hangs. `timeoutMs`: Infinity hangs until aborted. */
  constructor(
    inner: Store,
    readonly hang: (n: number, key: string) => boolean,
    readonly timeoutMs = Number.POSITIVE_INFINITY,
  ) {
    super(inner);
  }

  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (call.op !== "put" || !this.hang(++this.puts, call.key)) return run();
    this.hung++;
    const { key } = call;
    const signal = call.options?.signal;
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
}
