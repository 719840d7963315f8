import { NotFoundError, redactSecrets, StoreConfigError, StoreError, TransientStoreError } from "@ckpt/core";

/**
 * The HTTP status of an error from `@google-cloud/storage`, whichever of its shapes it has:
 * `ApiError.code`, a Gaxios error's `response.status`, the plain `{ code, errors }` object a
 * resumable upload rejects with, or `Error("Upload failed")` with `code` set to the status.
 */
export function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const e = error as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  if (typeof e.code === "number") return e.code;
  if (typeof e.code === "string" && /^\d{3}$/.test(e.code)) return Number(e.code);
  if (typeof e.response?.status === "number") return e.response.status;
  if (typeof e.status === "number") return e.status;
  return undefined;
}

/**
 * Whether a failed write may still have taken effect: no HTTP answer at all (reset connection,
 * timeout, the SDK giving up on a resumable session), a 5xx, 408 or 429. A definite 4xx is not.
 */
export function isAmbiguous(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

/**
 * A description of an SDK error for messages: the HTTP status, the error code, and the SDK's own
 * message with secrets taken out (`redactSecrets`: URL queries, which may name an upload session,
 * a bearer capability, and tokens).
 */
export function describe(error: unknown): string {
  const status = statusOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  const parts: string[] = [];
  if (status !== undefined) parts.push(`HTTP ${status}`);
  if (typeof code === "string" && !/^\d{3}$/.test(code)) parts.push(code);
  const message = (error as { message?: unknown } | null)?.message;
  const text = typeof message === "string" ? redactSecrets(message.trim()) : "";
  if (text !== "" && !parts.includes(text))
    parts.push(parts.length === 0 ? `${errorName(error)}: ${text}` : text);
  return parts.join(" ") || "unknown error";
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

/** Maps an SDK error of a call on `key` to the typed store errors (the SDK error is the cause). */
export function toStoreError(
  error: unknown,
  key: string | undefined,
  operation: string,
  where: string,
): Error {
  if (error instanceof StoreError) return error;
  const status = statusOf(error);
  const detail = `${operation} in ${where} failed: ${describe(error)}`;
  if (status === 404)
    return key === undefined
      ? new StoreConfigError(detail, { cause: error })
      : new NotFoundError(key, { cause: error, store: where });
  if (status === 401 || status === 403)
    return new StoreError("E_ACCESS_DENIED", `${detail}${key === undefined ? "" : ` (key "${key}")`}`, {
      key,
      cause: error,
    });
  if (isAmbiguous(error)) return new TransientStoreError(key, detail, { cause: error });
  return new StoreError("E_REQUEST_REJECTED", `${detail}${key === undefined ? "" : ` (key "${key}")`}`, {
    key,
    cause: error,
  });
}
