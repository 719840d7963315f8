/**
 * The value encoder: one JSON description plus one `.npy` blob per typed or n-d array.
 *
 * Description format (version 1):
 * - `null`, booleans, finite numbers other than -0, and well-formed strings are themselves;
 * - arrays are JSON arrays of descriptions;
 * - a plain object without an own `kind` key is a JSON object of descriptions, in the object's key
 *   order; one with a `kind` key is `{"kind":"object","entries":{…}}`;
 * - everything else is tagged with `kind`: `number` (`"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"`),
 *   `bigint` (decimal), `date` (ISO 8601), `undefined` (only as an object property or Map value),
 *   `map` (`entries: [[key, description], …]`), `typedarray` and `ndarray`
 *   (`jsType`, `dtype`, `shape`, and `blob`: the name of its `.npy` blob, or `npy`: the `.npy`
 *   file's bytes in base64, for small arrays packed into the description, see
 *   {@link PACKED_ARRAY_BYTES}).
 */
import { CheckpointSerializationError } from "../errors.js";
import { dtypeOfArray, type TypedArray } from "./dtypes.js";
import type { JsonValue } from "./json.js";
import { setOwn } from "./json.js";
import { encodeNpy, isShape, shapeSize } from "./npy.js";
import { BlobNamer, ValuePath } from "./path.js";

/** One binary object of an encoded value, e.g. a .npy file. `name` is a single safe key segment, unique within one encode call. */
export interface EncodedBlob {
  readonly name: string;
  /** The bytes, in order; typed array data is a view of the live array, not a copy. */
  readonly chunks: readonly Uint8Array[];
  readonly size: number;
}

/** A value encoded: its description (JSON) and its blobs. */
export interface EncodedValue {
  readonly description: JsonValue;
  readonly blobs: readonly EncodedBlob[];
}

/**
 * With `pack`, arrays of at most this many data bytes are packed into the description (their
 * `.npy` bytes in base64) instead of a blob each: a state of small fields is then one object to
 * store, not one per field.
 */
export const PACKED_ARRAY_BYTES = 4096;
/** With `pack`, arrays are packed until their `.npy` bytes add up to this; later ones are blobs. */
export const PACKED_TOTAL_BYTES = 64 * 1024;

/** Values nested deeper than this are refused (the decoder would otherwise exhaust the stack). */
export const MAX_DEPTH = 1000;

type Where = "root" | "element" | "property";

function describeType(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value !== "object" || value === null) return typeof value;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  const name = typeof proto?.constructor?.name === "string" ? proto.constructor.name : "anonymous class";
  if (value instanceof Set) return "a Set (store an array instead)";
  if (value instanceof ArrayBuffer || value instanceof DataView)
    return `a ${name} (store a typed array such as Uint8Array instead)`;
  if (value instanceof Promise) return "a Promise (await it first)";
  if (ArrayBuffer.isView(value) || value instanceof Map || value instanceof Date || Array.isArray(value))
    return `an instance of ${name}, a subclass (only the built-in class itself round-trips)`;
  return `an instance of ${name} (only plain objects, arrays, Map, Date and typed arrays are stored)`;
}

/**
 * Encodes values into descriptions and blobs. One encoder may encode several values (the fields of
 * a state); blob names are unique and shared references are detected across all of them.
 */
export class ValueEncoder {
  readonly blobs: EncodedBlob[] = [];
  readonly #inline: boolean;
  readonly #namer = new BlobNamer();
  /** Every object reached so far and the path it was first reached at. */
  readonly #seen = new Map<object, ValuePath>();
  /** Objects on the current descent, to tell a cycle from a shared reference. */
  readonly #ancestors = new Set<object>();
  /** Byte ranges of the typed arrays reached so far, by buffer, to refuse aliased memory. */
  readonly #buffers = new Map<ArrayBufferLike, { start: number; end: number; path: ValuePath }[]>();

  readonly #pack: boolean;
  #packedBytes = 0;

  /**
   * `inline`: JSON only, no blobs (metadata): one-element arrays become scalars, longer ones are
   * refused. `pack`: small arrays are packed into the description (see {@link PACKED_ARRAY_BYTES}).
   */
  constructor(options: { readonly inline?: boolean; readonly pack?: boolean } = {}) {
    this.#inline = options.inline ?? false;
    this.#pack = options.pack ?? false;
  }

  /** Encodes `value`; `path` names it in errors; its blobs are named `value.npy`, `<key>.<index>.npy`, … */
  encode(value: unknown, path: string): JsonValue {
    return this.#encode(value, ValuePath.root(path), "root", 0);
  }

  /**
   * Encodes `value` as property `key` of the object named `path` (a field of a state): errors name
   * `path.key`, blobs are named `key.npy`, `key.3.npy`, …; `undefined` is allowed as for any property.
   */
  encodeProperty(value: unknown, path: string, key: string): JsonValue {
    return this.#encode(value, ValuePath.root(path).property(key), "property", 0);
  }

  #encode(value: unknown, path: ValuePath, where: Where, depth: number): JsonValue {
    switch (typeof value) {
      case "boolean":
        return value;
      case "string":
        if (!value.isWellFormed())
          fail(
            path,
            "unsupported checkpoint value: a string with a lone surrogate (not well-formed Unicode)",
          );
        return value;
      case "number":
        if (Number.isFinite(value) && !Object.is(value, -0)) return value;
        return { kind: "number", value: Object.is(value, -0) ? "-0" : String(value) };
      case "bigint":
        return { kind: "bigint", value: value.toString() };
      case "undefined":
        if (where === "property") return { kind: "undefined" };
        return fail(
          path,
          where === "element"
            ? "unsupported checkpoint value: undefined inside an array (use null)"
            : "unsupported checkpoint value: undefined",
        );
      case "function":
      case "symbol":
        return fail(path, `unsupported checkpoint value: ${describeType(value)}`);
    }
    if (value === null) return null;
    const object = value as object;
    if (depth >= MAX_DEPTH) fail(path, `value nested more than ${MAX_DEPTH} levels deep`);
    this.#visit(object, path);
    this.#ancestors.add(object);
    try {
      return this.#encodeObject(object, path, depth);
    } finally {
      this.#ancestors.delete(object);
    }
  }

  #visit(object: object, path: ValuePath): void {
    const first = this.#seen.get(object);
    if (first !== undefined) {
      if (this.#ancestors.has(object))
        fail(
          path,
          `a cycle: this is the same object as its ancestor ${first}; checkpoint values must be trees`,
        );
      fail(
        path,
        `a shared reference: the same object as ${first}; a round trip would make two copies (store it once, or copy it)`,
      );
    }
    this.#seen.set(object, path);
  }

  #encodeObject(object: object, path: ValuePath, depth: number): JsonValue {
    const proto = Object.getPrototypeOf(object) as object | null;
    if (dtypeOfArray(object) !== undefined) return this.#encodeArray(object as TypedArray, undefined, path);
    if (proto === Array.prototype && Array.isArray(object)) return this.#encodeList(object, path, depth);
    if (proto === Object.prototype || proto === null) return this.#encodePlain(object, path, depth);
    if (proto === Map.prototype) return this.#encodeMap(object as Map<unknown, unknown>, path, depth);
    if (proto === Date.prototype) {
      const time = (object as Date).getTime();
      if (Number.isNaN(time)) fail(path, "unsupported checkpoint value: an invalid Date");
      return { kind: "date", value: (object as Date).toISOString() };
    }
    return fail(path, `unsupported checkpoint value: ${describeType(object)}`);
  }

  #encodeList(list: unknown[], path: ValuePath, depth: number): JsonValue {
    const out: JsonValue[] = new Array(list.length);
    for (let k = 0; k < list.length; k++) {
      if (!Object.hasOwn(list, k))
        fail(path.index(k), "unsupported checkpoint value: a hole in a sparse array");
      const item = list[k];
      // Primitives need no path node; only objects (and refusals) do.
      out[k] =
        typeof item === "number" && Number.isFinite(item) && !Object.is(item, -0)
          ? item
          : this.#encode(item, path.index(k), "element", depth + 1);
    }
    if (Object.keys(list).length !== list.length)
      fail(path, "unsupported checkpoint value: an array with named properties besides its elements");
    return out;
  }

  #encodePlain(object: object, path: ValuePath, depth: number): JsonValue {
    const keys = Reflect.ownKeys(object);
    for (const key of keys) {
      if (typeof key === "symbol")
        fail(path, `unsupported checkpoint value: an object with a symbol key (${String(key)})`);
      const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
      if (!("value" in descriptor))
        fail(path.property(key), "unsupported checkpoint value: a getter/setter property");
      if (!descriptor.enumerable)
        fail(path.property(key), "unsupported checkpoint value: a non-enumerable property");
      if (!key.isWellFormed())
        fail(path, `unsupported checkpoint value: a key with a lone surrogate (${JSON.stringify(key)})`);
    }
    const nd = ndArrayParts(object as Record<string, unknown>, keys as string[], path);
    if (nd !== undefined) {
      this.#visit(nd.shape, path.property("shape"));
      this.#visit(nd.data, path.property("data"));
      return this.#encodeArray(nd.data, nd.shape, path);
    }
    const entries: Record<string, JsonValue> = {};
    for (const key of keys as string[]) {
      const item = (object as Record<string, unknown>)[key];
      setOwn(entries, key, this.#encode(item, path.property(key), "property", depth + 1));
    }
    return Object.hasOwn(object, "kind") ? { kind: "object", entries } : entries;
  }

  #encodeMap(map: Map<unknown, unknown>, path: ValuePath, depth: number): JsonValue {
    const entries: JsonValue[] = [];
    for (const [key, item] of map) {
      if (typeof key !== "string")
        fail(
          path,
          `checkpoint dictionaries must use string keys: a Map key is ${typeof key === "object" ? describeType(key) : `${typeof key} ${String(key)}`}`,
        );
      if (!key.isWellFormed())
        fail(path, `unsupported checkpoint value: a Map key with a lone surrogate (${JSON.stringify(key)})`);
      entries.push([key, this.#encode(item, path.entry(key), "property", depth + 1)]);
    }
    return { kind: "map", entries };
  }

  #encodeArray(data: TypedArray, shape: readonly number[] | undefined, path: ValuePath): JsonValue {
    const dtype = dtypeOfArray(data)!;
    if (this.#inline) {
      if (data.length === 1) {
        const scalar = data[0]!;
        return typeof scalar === "bigint"
          ? { kind: "bigint", value: scalar.toString() }
          : this.#encode(scalar, path, "root", 0);
      }
      return fail(
        path,
        `a ${dtype.jsType} of ${data.length} elements cannot be stored inline (metadata takes one-element arrays as scalars, and catalog.json, which every commit rewrites, holds it: bind the array as state instead, with checkpointState(id, schema) and bindCheckpointState, which stores it as .npy beside the row)`,
      );
    }
    this.#checkAliasing(data, path);
    const { chunks, size } = encodeNpy(data, shape ?? [data.length], path.toString());
    const described = {
      kind: shape === undefined ? "typedarray" : "ndarray",
      jsType: dtype.jsType,
      dtype: dtype.descr,
      shape: shape === undefined ? [data.length] : [...shape],
    };
    if (
      this.#pack &&
      data.byteLength <= PACKED_ARRAY_BYTES &&
      this.#packedBytes + size <= PACKED_TOTAL_BYTES
    ) {
      this.#packedBytes += size;
      return { ...described, npy: Buffer.concat(chunks).toString("base64") };
    }
    const name = this.#namer.name(path.segments(), ".npy");
    this.blobs.push({ name, chunks, size });
    return { ...described, blob: name };
  }

  /** Two typed arrays over overlapping bytes would come back as independent copies. */
  #checkAliasing(data: TypedArray, path: ValuePath): void {
    if (data.byteLength === 0) return;
    const start = data.byteOffset;
    const end = start + data.byteLength;
    let ranges = this.#buffers.get(data.buffer);
    if (ranges === undefined) {
      ranges = [];
      this.#buffers.set(data.buffer, ranges);
    }
    for (const other of ranges)
      if (start < other.end && other.start < end)
        fail(
          path,
          `a shared reference: this typed array shares memory with ${other.path}; a round trip would make two copies (copy one with .slice())`,
        );
    ranges.push({ start, end, path });
  }
}

function fail(path: ValuePath, detail: string): never {
  throw new CheckpointSerializationError(path.toString(), detail);
}

/** `{ data: TypedArray, shape: number[] }` with exactly those keys is an n-d array. */
function ndArrayParts(
  object: Record<string, unknown>,
  keys: readonly string[],
  path: ValuePath,
): { data: TypedArray; shape: number[] } | undefined {
  if (keys.length !== 2 || !keys.includes("data") || !keys.includes("shape")) return undefined;
  const data = object.data;
  const shape = object.shape;
  if (dtypeOfArray(data) === undefined || !Array.isArray(shape)) return undefined;
  if (Object.getPrototypeOf(shape) !== Array.prototype || !isShape(shape))
    fail(path.property("shape"), "an n-d array's shape must be an array of at most 64 non-negative integers");
  const typed = data as TypedArray;
  if (shapeSize(shape) !== typed.length)
    fail(
      path,
      `an n-d array whose shape ${JSON.stringify(shape)} holds ${shapeSize(shape) ?? "too many"} elements but whose data has ${typed.length}`,
    );
  return { data: typed, shape };
}

/**
 * Encodes a value into a JSON description and its `.npy` blobs. `path` names the value in error
 * messages (`state.demo.RngState`). Typed array bytes are not copied: the blobs' chunks are views
 * of the live arrays, so write them before changing the arrays.
 *
 * @example
 * const { description, blobs } = encodeValue({ seed: 1n, weights: new Float32Array(8) }, "state.demo");
 * // description: { seed: { kind: "bigint", value: "1" }, weights: { kind: "typedarray", …, blob: "weights.npy" } }
 */
export function encodeValue(value: unknown, path: string): EncodedValue {
  const encoder = new ValueEncoder();
  const description = encoder.encode(value, path);
  return { description, blobs: encoder.blobs };
}

/**
 * JSON-only encoding for checkpoint metadata: the same description format, without blobs. A typed
 * array or n-d array of one element becomes its scalar (as earth2studio's `write` does); longer
 * ones are refused with `CheckpointSerializationError`, whose message points to binding the array as state.
 */
export function encodeMetadataValue(value: unknown, path: string): JsonValue {
  return new ValueEncoder({ inline: true }).encode(value, path);
}
