import {
  CkptError,
  InvalidKeyError,
  NotFoundError,
  PreconditionFailedError,
  StoreAbortedError,
  StoreConfigError,
  StoreError,
} from "../errors.js";

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
export function isAbort(_error: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true;
}

/**
 * Whether a failed store call may have taken effect or may succeed when repeated: anything but a
 * definite answer (precondition, not found, invalid key, configuration, abort) or our own errors.
 * `TransientStoreError`, `E_CONNECTION_LOST` and raw SDK errors (a 5xx) are all "maybe".
 */
export function isUncertain(error: unknown, signal?: AbortSignal): boolean {
  if (isAbort(error, signal)) return false;
  if (
    error instanceof PreconditionFailedError ||
    error instanceof NotFoundError ||
    error instanceof InvalidKeyError ||
    error instanceof StoreConfigError
  )
    return false;
  if (error instanceof StoreError) return error.code !== "E_TOO_LARGE";
  // ckpt's own errors (integrity, catalog, options) are answers, not accidents.
  return !(error instanceof CkptError);
}

/** Full-jitter exponential backoff for attempt `n` (0-based). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.random() * ceiling;
}

/** Waits `ms`, rejecting with the signal's reason (as `StoreAbortedError`) when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new StoreAbortedError(undefined, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StoreAbortedError(undefined, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
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
