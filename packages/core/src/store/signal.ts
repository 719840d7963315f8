import { StoreAbortedError } from "../errors.js";

/** Throws `StoreAbortedError` when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, key?: string): void {
  if (signal?.aborted) throw new StoreAbortedError(key, { cause: signal.reason });
}

/**
 * Waits `ms`, or rejects with `StoreAbortedError` (naming `key`, when given) as soon as the
 * signal aborts.
 *
 * @example
 * await sleep(100 * 2 ** attempt, signal, key);
 */
export function sleep(ms: number, signal?: AbortSignal, key?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new StoreAbortedError(key, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StoreAbortedError(key, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Settles like `promise`, or rejects with `StoreAbortedError` as soon as the signal aborts: for
 * SDK calls and body producers that cannot be cancelled themselves. The promise is left to settle
 * on its own; a late failure of it is not reported as unhandled.
 *
 * @example
 * const [metadata] = await raceAbort(file.getMetadata(), signal, key);
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, key?: string): Promise<T> {
  if (signal === undefined) return promise;
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new StoreAbortedError(key, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StoreAbortedError(key, { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
