/** Value paths for error messages and the blob names derived from them. */
import { createHash } from "node:crypto";

/**
 * A path built lazily while walking a value: a chain of steps rendered to text
 * (`state.demo.buffers[3]`) only when an error or a blob name needs it, so walking a large array
 * allocates no strings.
 */
export class ValuePath {
  private constructor(
    readonly up: ValuePath | undefined,
    readonly key: string | number,
    readonly step: "root" | "property" | "index" | "entry",
  ) {}

  /** The root, named by `text` (e.g. `state.demo.RngState`). */
  static root(text: string): ValuePath {
    return new ValuePath(undefined, text, "root");
  }

  property(key: string): ValuePath {
    return new ValuePath(this, key, "property");
  }

  index(index: number): ValuePath {
    return new ValuePath(this, index, "index");
  }

  /** The value of a Map entry. */
  entry(key: string): ValuePath {
    return new ValuePath(this, key, "entry");
  }

  toString(): string {
    const steps: ValuePath[] = [];
    for (let node: ValuePath | undefined = this; node !== undefined; node = node.up) steps.push(node);
    let text = "";
    for (let k = steps.length - 1; k >= 0; k--) {
      const node = steps[k]!;
      if (node.step === "root") text = String(node.key);
      else if (node.step === "property") text = propertyPath(text, String(node.key));
      else if (node.step === "index") text = indexPath(text, node.key as number);
      else text = mapEntryPath(text, String(node.key));
    }
    return text;
  }

  /** Blob name segments: one per step below the root. */
  segments(): string[] {
    const out: string[] = [];
    for (let node: ValuePath | undefined = this; node !== undefined && node.step !== "root"; node = node.up)
      out.push(nameSegment(node.key));
    return out.reverse();
  }
}

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
