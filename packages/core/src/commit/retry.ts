import { CkptError, StoreError, type StoreErrorCode } from "../errors.js";
import { sleep } from "../store/signal.js";

export { sleep };

/** How the commit protocol retries store calls that failed for a reason that may pass. */
export interface RetryOptions {
  /** Attempts per store call, the first included. Default 5. */
  readonly attempts?: number;
  /** First backoff in milliseconds; doubles per attempt, with full jitter. Default 25. */
  readonly baseDelayMs?: number;
  /** Upper bound of one backoff. Default 2,000. */
  readonly maxDelayMs?: number;
  /** Catalog compare-and-swap rounds lost to other writers before giving up. Default 200. */
  readonly conflicts?: number;
}

/** {@link RetryOptions} with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** The defaults of {@link RetryOptions}. */
export function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  return {
    attempts: options?.attempts ?? 5,
    baseDelayMs: options?.baseDelayMs ?? 25,
    maxDelayMs: options?.maxDelayMs ?? 2_000,
    conflicts: options?.conflicts ?? 200,
  };
}

/**
 * Whether the failure is the caller's own cancellation: only when the caller's signal aborted.
 * An abort error without it (an SDK's request timeout) is an accident whose outcome is unknown.
 */
export function isAbort(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Store error codes that are answers: repeating the call gets the same answer. */
const DEFINITE: ReadonlySet<StoreErrorCode> = new Set<StoreErrorCode>([
  "E_NOT_FOUND",
  "E_PRECONDITION_FAILED",
  "E_INVALID_KEY",
  "E_STORE_CONFIG",
  "E_TOO_LARGE",
  "E_INVALID_ARGUMENT",
  "E_PRECONDITION_UNSUPPORTED",
  "E_ACCESS_DENIED",
  "E_KEY_CONFLICT",
  "E_CURSOR",
]);

/**
 * Whether a failed store call may have taken effect or may succeed when repeated: anything but a
 * definite answer (see `DEFINITE`), the caller's abort, or ckpt's own errors.
 * `TransientStoreError`, `E_IO`, `E_PROTOCOL`, `E_REQUEST_REJECTED` and raw errors are all "maybe".
 */
export function isUncertain(error: unknown, signal?: AbortSignal): boolean {
  if (isAbort(signal)) return false;
  if (error instanceof StoreError) return !DEFINITE.has(error.code);
  // ckpt's own errors (integrity, catalog, options) are answers, not accidents.
  return !(error instanceof CkptError);
}

/** Full-jitter exponential backoff for attempt `n` (0-based). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.random() * ceiling;
}

/**
 * Runs `call` until it succeeds, fails with a definite error, or `policy.attempts` are spent.
 * Only for calls that are safe to repeat (reads, puts of a fresh key with the same bytes).
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isUncertain(error, signal) || attempt + 1 >= policy.attempts) throw error;
      await sleep(backoffDelay(policy, attempt), signal);
    }
  }
}
