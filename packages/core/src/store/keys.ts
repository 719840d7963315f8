import { InvalidKeyError } from "../errors.js";

// Control characters (C0, DEL, C1): never valid in a key, on any store.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Longest key accepted: S3 allows 1,024 bytes for the full key, prefix included. */
export const MAX_KEY_BYTES = 900;

/**
 * Throws `InvalidKeyError` unless `key` is a safe relative `/`-separated path: not empty, no
 * leading `/`, no empty, `.` or `..` segment, no backslash, no control character, at most
 * {@link MAX_KEY_BYTES} bytes of UTF-8. Stores call this before any I/O.
 */
export function validateKey(key: string): void {
  if (typeof key !== "string") throw new InvalidKeyError(String(key), "a key must be a string");
  if (key.length === 0) throw new InvalidKeyError(key, "a key must not be empty");
  if (key.startsWith("/")) throw new InvalidKeyError(key, "a key must be relative (no leading '/')");
  if (key.includes("\\")) throw new InvalidKeyError(key, "a key must not contain a backslash");
  if (CONTROL.test(key)) throw new InvalidKeyError(key, "a key must not contain control characters");
  if (!key.isWellFormed()) throw new InvalidKeyError(key, "a key must be well-formed Unicode");
  for (const segment of key.split("/")) {
    if (segment === "") throw new InvalidKeyError(key, "a key must not have empty segments");
    if (segment === "." || segment === "..")
      throw new InvalidKeyError(key, `a key must not have a '${segment}' segment`);
  }
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES)
    throw new InvalidKeyError(key, `a key must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
}

/**
 * Throws `InvalidKeyError` unless `prefix` is empty or a valid key prefix. A prefix may end with
 * `/` (a folder) or in the middle of a segment.
 */
export function validatePrefix(prefix: string): void {
  if (prefix === "") return;
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (trimmed === "") throw new InvalidKeyError(prefix, "a prefix must not be '/'");
  validateKey(trimmed);
}

/** Joins key segments with `/`, validating the result. */
export function joinKey(...parts: readonly string[]): string {
  const key = parts.filter((part) => part !== "").join("/");
  validateKey(key);
  return key;
}
