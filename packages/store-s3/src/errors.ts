import {
  NotFoundError,
  PreconditionFailedError,
  redactSecrets,
  StoreAbortedError,
  StoreConfigError,
  StoreError,
  TransientStoreError,
} from "@ckpt/core";

/** What the store was doing when an SDK call failed. */
export interface FailureContext {
  readonly op: "put" | "get" | "getStream" | "head" | "list" | "delete" | "sweep";
  /** The store key (or list prefix) concerned. */
  readonly key: string | undefined;
  /** The store's URL, for messages. */
  readonly store: string;
  readonly bucket: string;
  readonly signal?: AbortSignal | undefined;
  /** The put carried `ifMatch` (a 404 then means the key is missing: a failed precondition). */
  readonly ifMatch?: boolean;
  /** The put carried a precondition (an unknown outcome must not be guessed). */
  readonly conditional?: boolean;
}

/**
 * Carries the real error of a conditional put past the SDK's retry middleware. The retry
 * strategy classifies it as a client error and so does not send the put again; the store unwraps
 * it. It deliberately has no `cause`, `$metadata.httpStatusCode` or `$retryable`, each of which
 * the retry strategy would inspect.
 */
export class NoRetryWrapper extends Error {
  readonly original: unknown;
  constructor(original: unknown) {
    super("conditional put failed; not retried");
    this.name = "CkptConditionalPutNotRetried";
    this.original = original;
  }
}

const THROTTLING = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "ProvisionedThroughputExceededException",
]);
const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
]);
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);
const ACCESS = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "CredentialsProviderError",
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
}

/** The SDK error behind a possibly wrapped one. */
export function unwrap(error: unknown): unknown {
  return error instanceof NoRetryWrapper ? error.original : error;
}

function statusOf(error: SdkErrorShape): number | undefined {
  const status = error.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function networkCode(error: unknown, depth = 0): string | undefined {
  const e = shape(error);
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return e.code;
  if (e.name === "AbortError" || depth > 5) return undefined;
  return e.cause === undefined ? undefined : networkCode(e.cause, depth + 1);
}

/**
 * A description of an SDK error for messages: its error code (or name), the network code and the
 * HTTP status, then the SDK's own message with secrets taken out (`redactSecrets`: signed URLs,
 * key ids, `Credential=`/`Signature=` pairs).
 */
export function describeError(error: unknown): string {
  const e = shape(error);
  const name = typeof e.Code === "string" ? e.Code : typeof e.name === "string" ? e.name : "Error";
  const code = networkCode(error);
  const status = statusOf(e);
  const head = [
    name,
    code !== undefined && code !== name ? code : undefined,
    status ? `HTTP ${status}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(", ");
  const message = typeof e.message === "string" ? redactSecrets(e.message.trim()) : "";
  return message === "" || message === name || /^UnknownError$/.test(message) ? head : `${head}: ${message}`;
}

/** An SDK failure before any request: the client cannot tell where to send it. */
function isMissingRegion(error: SdkErrorShape): boolean {
  return (
    statusOf(error) === undefined &&
    typeof error.message === "string" &&
    /region is missing/i.test(error.message)
  );
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  const e = shape(error);
  return e.name === "AbortError";
}

/** Whether the failure may pass: throttling, 5xx, timeouts, dropped connections. */
export function isTransient(error: unknown): boolean {
  const e = shape(unwrap(error));
  const status = statusOf(e);
  const name = typeof e.name === "string" ? e.name : "";
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  if (THROTTLING.has(name) || TRANSIENT_NAMES.has(name)) return true;
  return status === undefined && networkCode(e) !== undefined;
}

/**
 * Maps an SDK failure to the store's typed errors, keeping the SDK error as `cause`:
 * 412, 409 `ConditionalRequestConflict` and a 404 on `ifMatch` become `PreconditionFailedError`;
 * `NoSuchKey`/`NotFound` become `NotFoundError`; throttling, 5xx and network failures become
 * `TransientStoreError` (for a put: the write may or may not have happened).
 */
export function toStoreError(thrown: unknown, context: FailureContext): StoreError {
  if (thrown instanceof StoreError) return thrown;
  const error = unwrap(thrown);
  const { key, op, store } = context;
  if (isAbort(error, context.signal)) return new StoreAbortedError(key, { cause: error });
  const e = shape(error);
  const status = statusOf(e);
  const name = typeof e.Code === "string" ? e.Code : typeof e.name === "string" ? e.name : "";
  const what = `${describeError(error)}`;
  const target = key === undefined ? store : `"${key}" in ${store}`;

  if (op === "put") {
    if (status === 412 || name === "PreconditionFailed")
      return new PreconditionFailedError(
        key ?? "",
        context.ifMatch ? "the object's version differs or it does not exist" : "the key already exists",
        { cause: error },
      );
    if (status === 409 && name === "ConditionalRequestConflict")
      return new PreconditionFailedError(
        key ?? "",
        "a concurrent write to the key won (409 ConditionalRequestConflict)",
        {
          cause: error,
        },
      );
    if (context.ifMatch && (status === 404 || name === "NoSuchKey"))
      return new PreconditionFailedError(key ?? "", "the key does not exist", { cause: error });
  }
  if (isMissingRegion(e))
    return new StoreConfigError(
      `S3 ${op} in ${store} failed: the AWS region is missing; give it as ?region= in the URL, clientConfig.region, or AWS_REGION (${what})`,
      { cause: error },
    );
  if (name === "NoSuchBucket")
    return new StoreConfigError(`Bucket "${context.bucket}" of ${store} does not exist (${what})`, {
      cause: error,
    });
  if (
    (op === "get" || op === "getStream" || op === "head") &&
    (status === 404 || name === "NoSuchKey" || name === "NotFound")
  )
    return new NotFoundError(key ?? "", { cause: error, store });
  if (status === 403 || ACCESS.has(name))
    return new StoreError("E_ACCESS_DENIED", `S3 ${op} of ${target} was refused: ${what}`, {
      key,
      cause: error,
    });
  if (isTransient(error)) {
    const outcome =
      op === "put"
        ? context.conditional
          ? "; the conditional write may or may not have taken effect (read back to know)"
          : "; the write may or may not have taken effect"
        : op === "delete"
          ? "; some keys may already be deleted"
          : "";
    return new TransientStoreError(key, `S3 ${op} in ${store} failed: ${what}${outcome}`, { cause: error });
  }
  return new StoreError("E_REQUEST_REJECTED", `S3 ${op} of ${target} failed: ${what}`, { key, cause: error });
}
