import { StoreAbortedError } from "../errors.js";

/** Throws `StoreAbortedError` when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, key?: string): void {
  if (signal?.aborted) throw new StoreAbortedError(key, { cause: signal.reason });
}
