import type { z } from "zod";
import { InvalidArgumentError, StoreConfigError } from "../errors.js";
import { validatePrefix } from "./keys.js";
import type { PutOptions } from "./types.js";

/**
 * Validates a store's constructor options with a zod schema and returns the parsed value. A bad
 * option is a `StoreConfigError` naming the store and the option (`Invalid S3Store option
 * "partSize": …`), with zod's error as `cause`. The value itself is never repeated: it may be a
 * client config holding credentials.
 *
 * @example
 * const options = parseStoreOptions(schema, input, "MyStore");
 */
export function parseStoreOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  store: string,
): z.output<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const option = issue?.path.map(String).join(".") || "(options)";
  throw new StoreConfigError(`Invalid ${store} option "${option}": ${issue?.message ?? "invalid"}`, {
    cause: parsed.error,
  });
}

/**
 * The one rule for the `prefix` option of a cloud store: a folder inside the bucket, given with
 * or without slashes around it (`"runs/2026"`, `"/runs/2026/"`), held without them (`"runs/2026"`;
 * `""` for the bucket root). Keys are stored under `prefix + "/"`. A prefix with an empty, `.` or
 * `..` segment or a control character is a `StoreConfigError`.
 *
 * @example
 * normalizeStorePrefix("/runs/2026/", "S3Store"); // "runs/2026"
 */
export function normalizeStorePrefix(prefix: string | undefined, store: string): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  try {
    validatePrefix(trimmed);
  } catch (cause) {
    throw new StoreConfigError(
      `Invalid ${store} option "prefix": ${JSON.stringify(prefix)} ${(cause as Error).message.replace(/^[^:]*: /, "")}`,
      { cause },
    );
  }
  return trimmed;
}

/**
 * Throws `InvalidArgumentError` for put options no store can act on: `ifMatch` together with
 * `ifNoneMatch`, an `ifNoneMatch` other than `"*"`, an empty `ifMatch`, a `size` that is not a
 * whole number of bytes. Every store calls it (with `validateKey`) before any I/O, so the answer is
 * the same on every store.
 */
export function validatePutOptions(key: string, options: PutOptions | undefined): void {
  if (options === undefined) return;
  const { ifMatch, ifNoneMatch, size } = options;
  if (ifMatch !== undefined && ifNoneMatch !== undefined)
    throw new InvalidArgumentError(key, "A put takes ifMatch or ifNoneMatch, not both");
  if (ifNoneMatch !== undefined && ifNoneMatch !== "*")
    throw new InvalidArgumentError(key, `ifNoneMatch must be "*", not ${JSON.stringify(ifNoneMatch)}`);
  if (ifMatch !== undefined && (typeof ifMatch !== "string" || ifMatch === ""))
    throw new InvalidArgumentError(key, "ifMatch must be a non-empty version string");
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0))
    throw new InvalidArgumentError(key, `size must be a whole number of bytes, not ${String(size)}`);
}
