/**
 * The value decoder: the inverse of `encode.ts`. It walks a description (JSON), builds plain
 * objects key by key as own data properties (a `__proto__` key stays data), looks up typed array
 * classes in a fixed table, and checks every `.npy` blob against its description before building
 * an array. Nothing is ever evaluated. Any inconsistency is a `CheckpointDecodeError` naming the
 * path.
 */
import { CheckpointDecodeError } from "../errors.js";
import { type DtypeInfo, dtypeOfJsType } from "./dtypes.js";
import { MAX_DEPTH } from "./encode.js";
import type { JsonValue } from "./json.js";
import { decodeNpy, isShape, shapeSize } from "./npy.js";
import { ValuePath } from "./path.js";

type Where = "root" | "element" | "property";
type JsonObject = { [key: string]: JsonValue };

const NUMBER_TAGS = new Map<string, number>([
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
  ["-0", -0],
]);
const BIGINT = /^-?(0|[1-9][0-9]*)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ISO_DATE = /^([+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function fail(path: ValuePath, detail: string): never {
  throw new CheckpointDecodeError(path.toString(), detail);
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Decodes descriptions; one decoder refuses a blob referenced twice across all it decodes. */
export class ValueDecoder {
  readonly #readBlob: ((name: string) => Uint8Array) | undefined;
  readonly #used = new Set<string>();

  /** Without `readBlob`, descriptions that reference blobs are refused (metadata). */
  constructor(readBlob?: (name: string) => Uint8Array) {
    this.#readBlob = readBlob;
  }

  /** Decodes `description`; `path` names it in errors. */
  decode(description: JsonValue, path: string): unknown {
    return this.#decode(description, ValuePath.root(path), "root", 0);
  }

  /** Decodes `description` as property `key` of the object named `path` (a field of a state). */
  decodeProperty(description: JsonValue, path: string, key: string): unknown {
    return this.#decode(description, ValuePath.root(path).property(key), "property", 0);
  }

  #decode(d: JsonValue, path: ValuePath, where: Where, depth: number): unknown {
    if (d === null || typeof d === "boolean" || typeof d === "number") return d;
    if (typeof d === "string") {
      if (!d.isWellFormed()) return fail(path, "a string with a lone surrogate");
      return d;
    }
    if (depth >= MAX_DEPTH) return fail(path, `description nested more than ${MAX_DEPTH} levels deep`);
    if (Array.isArray(d)) {
      const out: unknown[] = new Array(d.length);
      for (let k = 0; k < d.length; k++) {
        const item = d[k]!;
        // Plain numbers need no path node; only containers, tags and refusals do.
        out[k] = typeof item === "number" ? item : this.#decode(item, path.index(k), "element", depth + 1);
      }
      return out;
    }
    if (typeof d !== "object") return fail(path, "not a description");
    if (!Object.hasOwn(d, "kind")) return this.#plain(d, path, depth);
    const kind = d.kind;
    switch (kind) {
      case "object":
        this.#keys(d, path, ["kind", "entries"]);
        if (!isObject(d.entries)) return fail(path, "object entries must be a JSON object");
        return this.#plain(d.entries, path, depth);
      case "number": {
        this.#keys(d, path, ["kind", "value"]);
        const value = typeof d.value === "string" ? NUMBER_TAGS.get(d.value) : undefined;
        if (value === undefined) return fail(path, `unknown number ${JSON.stringify(d.value)}`);
        return value;
      }
      case "bigint":
        this.#keys(d, path, ["kind", "value"]);
        if (typeof d.value !== "string" || !BIGINT.test(d.value))
          return fail(path, "a bigint must be a decimal integer string");
        return BigInt(d.value);
      case "date": {
        this.#keys(d, path, ["kind", "value"]);
        const date = typeof d.value === "string" && ISO_DATE.test(d.value) ? new Date(d.value) : undefined;
        if (date === undefined || Number.isNaN(date.getTime()) || date.toISOString() !== d.value)
          return fail(path, `invalid date ${JSON.stringify(d.value)}`);
        return date;
      }
      case "undefined":
        this.#keys(d, path, ["kind"]);
        if (where !== "property")
          return fail(path, "undefined is only stored as an object property or Map value");
        return undefined;
      case "map":
        return this.#map(d, path, depth);
      case "typedarray":
      case "ndarray":
        return this.#array(d, path, kind);
      default:
        return fail(path, `unknown kind ${JSON.stringify(kind)}`);
    }
  }

  #keys(d: JsonObject, path: ValuePath, expected: readonly string[]): void {
    const keys = Object.keys(d);
    if (keys.length !== expected.length || keys.some((key) => !expected.includes(key)))
      fail(
        path,
        `a ${String(d.kind)} description has keys ${JSON.stringify(keys)}, expected ${JSON.stringify(expected)}`,
      );
  }

  #plain(entries: JsonObject, path: ValuePath, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(entries)) {
      if (!key.isWellFormed()) return fail(path, "a key with a lone surrogate");
      defineOwn(out, key, this.#decode(entries[key]!, path.property(key), "property", depth + 1));
    }
    return out;
  }

  #map(d: JsonObject, path: ValuePath, depth: number): Map<string, unknown> {
    this.#keys(d, path, ["kind", "entries"]);
    if (!Array.isArray(d.entries)) return fail(path, "map entries must be an array");
    const map = new Map<string, unknown>();
    for (const entry of d.entries) {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string")
        return fail(path, "a map entry must be [string key, description]");
      const key = entry[0];
      if (!key.isWellFormed()) return fail(path, "a Map key with a lone surrogate");
      if (map.has(key)) return fail(path, `duplicate Map key ${JSON.stringify(key)}`);
      map.set(key, this.#decode(entry[1]!, path.entry(key), "property", depth + 1));
    }
    return map;
  }

  #array(d: JsonObject, path: ValuePath, kind: "typedarray" | "ndarray"): unknown {
    const packed = Object.hasOwn(d, "npy");
    this.#keys(d, path, ["kind", "jsType", "dtype", "shape", packed ? "npy" : "blob"]);
    const dtype: DtypeInfo | undefined = typeof d.jsType === "string" ? dtypeOfJsType(d.jsType) : undefined;
    if (dtype === undefined) return fail(path, `unknown array type ${JSON.stringify(d.jsType)}`);
    if (d.dtype !== dtype.descr)
      return fail(path, `dtype ${JSON.stringify(d.dtype)} does not match ${dtype.jsType} (${dtype.descr})`);
    const shape = d.shape;
    if (!isShape(shape) || shapeSize(shape) === undefined || (kind === "typedarray" && shape.length !== 1))
      return fail(path, `invalid shape ${JSON.stringify(shape)}`);
    if (this.#readBlob === undefined)
      return fail(path, "arrays are not stored inline (this description may not reference blobs)");
    const { bytes, source } = packed ? this.#packedBytes(d.npy, path) : this.#blobBytes(d.blob, path);
    const { data } = decodeNpy(bytes, { expect: { dtype, shape }, path: `${path.toString()} (${source})` });
    if (kind === "typedarray") return data;
    const out: Record<string, unknown> = {};
    defineOwn(out, "data", data);
    defineOwn(out, "shape", [...shape]);
    return out;
  }

  #blobBytes(name: JsonValue | undefined, path: ValuePath): { bytes: Uint8Array; source: string } {
    if (typeof name !== "string" || name === "" || name.includes("/"))
      return fail(path, `invalid blob name ${JSON.stringify(name)}`);
    if (this.#used.has(name)) return fail(path, `blob ${JSON.stringify(name)} is referenced twice`);
    this.#used.add(name);
    const bytes = this.#readBlob!(name);
    if (!(bytes instanceof Uint8Array))
      return fail(path, `readBlob(${JSON.stringify(name)}) did not return a Uint8Array`);
    return { bytes, source: name };
  }

  /** A packed array's `.npy` bytes, from base64 (strict: only the canonical encoding). */
  #packedBytes(npy: JsonValue | undefined, path: ValuePath): { bytes: Uint8Array; source: string } {
    if (typeof npy !== "string" || !BASE64.test(npy)) return fail(path, "packed npy must be a base64 string");
    const bytes = Buffer.from(npy, "base64");
    if (bytes.toString("base64") !== npy) return fail(path, "packed npy is not canonical base64");
    return { bytes, source: "packed .npy" };
  }
}

/**
 * Decodes a description made by `encodeValue`. `readBlob(name)` returns the bytes of a blob the
 * description names (already size/checksum-verified by the caller); decoded arrays of 64 KiB and
 * more are views of those bytes when aligned, so the caller must not reuse them. Nothing is evaluated:
 * unknown kinds, malformed descriptions and `.npy` headers that disagree with the description are
 * `CheckpointDecodeError`s naming `path`.
 */
export function decodeValue(
  description: JsonValue,
  readBlob: (name: string) => Uint8Array,
  path: string,
): unknown {
  return new ValueDecoder(readBlob).decode(description, path);
}

/** Decodes a description made by `encodeMetadataValue` (JSON only; blob references are refused). */
export function decodeMetadataValue(description: JsonValue, path: string): unknown {
  return new ValueDecoder().decode(description, path);
}
