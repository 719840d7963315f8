/**
 * JSON helpers. `jsonText` keeps each object's own key order (descriptions keep the key order of
 * the values they describe, so a round trip preserves it; the same value always gives the same
 * text). `canonicalJson` sorts keys and is what hashes are computed over.
 */
import { createHash } from "node:crypto";
import { CheckpointDecodeError, CheckpointSerializationError } from "../errors.js";

/** A JSON value. Object descriptions built by ckpt may hold an own `__proto__` key as data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Sets `key` as an own data property, also when `key` is `"__proto__"` (which `=` would not). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

function check(value: unknown, path: string, depth: number): asserts value is JsonValue {
  if (depth > 10_000) throw new CheckpointSerializationError(path, "JSON nested too deeply");
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new CheckpointSerializationError(path, `${value} is not a JSON number`);
    return;
  }
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) check(value[k], `${path}[${k}]`, depth + 1);
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const key of Object.keys(value))
        check((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
      return;
    }
  }
  throw new CheckpointSerializationError(path, `${typeof value} is not a JSON value`);
}

/** JSON text of `value` with each object's keys in their own order; throws on non-JSON values. */
export function jsonText(value: JsonValue, options: { readonly indent?: number } = {}): string {
  check(value, "json", 0);
  return JSON.stringify(value, null, options.indent);
}

/** UTF-8 bytes of {@link jsonText}. */
export function jsonBytes(value: JsonValue, options: { readonly indent?: number } = {}): Uint8Array {
  return new TextEncoder().encode(jsonText(value, options));
}

/**
 * Canonical JSON: no whitespace, object keys sorted by UTF-16 code units (as RFC 8785), numbers
 * as ECMAScript prints them. Equal values give equal text in every process and Node version.
 */
export function canonicalJson(value: JsonValue): string {
  check(value, "json", 0);
  const write = (v: JsonValue): string => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(write).join(",")}]`;
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(v[k]!)}`).join(",")}}`;
  };
  return write(value);
}

/** `"sha256:<hex>"` of the canonical JSON of `value`. */
export function canonicalHash(value: JsonValue): string {
  return `sha256:${createHash("sha256").update(canonicalJson(value), "utf8").digest("hex")}`;
}

/**
 * Parses UTF-8 JSON bytes. Invalid UTF-8 or JSON is a `CheckpointDecodeError` naming `what`.
 * `JSON.parse` makes a `"__proto__"` key an own property, never a prototype.
 */
export function parseJsonBytes(bytes: Uint8Array, what: string): JsonValue {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new CheckpointDecodeError(what, "not valid UTF-8", { cause });
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw new CheckpointDecodeError(what, `not valid JSON (${(cause as Error).message})`, { cause });
  }
}
