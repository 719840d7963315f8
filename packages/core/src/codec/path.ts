/** Value paths for error messages and the blob names derived from them. */
import { createHash } from "node:crypto";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `base.key` for identifier-like keys, `base["key"]` otherwise. */
export function propertyPath(base: string, key: string): string {
  return IDENTIFIER.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** `base[3]`. */
export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** `base.get("key")`, the path of a Map entry's value. */
export function mapEntryPath(base: string, key: string): string {
  return `${base}.get(${JSON.stringify(key)})`;
}

const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,48}$/;
const MAX_NAME = 120;

function shortHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12);
}

/**
 * A blob name segment for an object key, array index or Map key: the key itself when it is short
 * and made of `[A-Za-z0-9_-]`, else `k` and a hash of the key (a key with `/`, `.` or non-ASCII
 * characters never reaches a store key).
 */
export function nameSegment(key: string | number): string {
  if (typeof key === "number") return String(key);
  return SAFE_SEGMENT.test(key) ? key : `k${shortHash(key)}`;
}

/**
 * Hands out blob names (`buffers.3.npy`) unique within one encode, case-insensitively so two
 * names never collide on a case-folding file system.
 */
export class BlobNamer {
  readonly #taken = new Set<string>();

  name(segments: readonly string[], extension: string): string {
    let stem = segments.length === 0 ? "value" : segments.join(".");
    if (stem.length > MAX_NAME) stem = `h${shortHash(stem)}`;
    let name = `${stem}${extension}`;
    for (let n = 2; this.#taken.has(name.toLowerCase()); n++) name = `${stem}~${n}${extension}`;
    this.#taken.add(name.toLowerCase());
    return name;
  }
}
