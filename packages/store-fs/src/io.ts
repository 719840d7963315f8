import { StoreError, sleep } from "@ckpt/core";

/** The `code` of a Node system error, if it is one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const TOO_MANY_FILES = new Set(["EMFILE", "ENFILE"]);

/**
 * Runs an fs call, retrying with backoff while the process or the system is out of file
 * descriptors (`EMFILE`/`ENFILE`): a large parallel commit should slow down, not fail.
 */
export async function retryFileLimits<T>(
  call: () => Promise<T>,
  signal: AbortSignal | undefined,
  key?: string,
): Promise<T> {
  let delay = 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!TOO_MANY_FILES.has(errorCode(error) ?? "") || attempt >= 60) throw error;
      await sleep(delay * (0.5 + Math.random()), signal, key);
      delay = Math.min(delay * 2, 500);
    }
  }
}

/**
 * Wraps an unexpected fs failure in a `StoreError` (code `E_IO`) that names the key and the store
 * and carries the system's message (`ENOSPC: no space left on device, write`).
 */
export function ioError(action: string, key: string | undefined, where: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const code = errorCode(cause);
  const message = cause instanceof Error ? cause.message : undefined;
  const detail = message !== undefined && message !== "" ? message : code;
  const target = key === undefined ? where : `"${key}" in ${where}`;
  return new StoreError("E_IO", `Cannot ${action} ${target}${detail ? ` (${detail})` : ""}`, { key, cause });
}

/**
 * The same fs API with every call retried on `EMFILE`/`ENFILE` (see {@link retryFileLimits}),
 * so no code path of the store can surface them. File handles are returned as they are: their
 * methods do not open descriptors.
 */
export function retryingFileLimits<F extends object>(fs: F): F {
  return new Proxy(fs, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => retryFileLimits(() => value.apply(target, args), undefined);
    },
  });
}
