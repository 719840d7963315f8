/**
 * NumPy `.npy` files, format version 1.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * the magic `\x93NUMPY`, the version, a little-endian uint16 header length, an ASCII Python-literal
 * header dict padded with spaces and a newline so the data starts on a 64-byte boundary, then the
 * data in C order. Writing never copies the array: the body is the header plus a view of the
 * array's own buffer. Reading parses the header with a small grammar (no evaluation), checks it
 * against what the caller expects before touching the data, and refuses Fortran order, object and
 * structured dtypes and big-endian data.
 */
import { CheckpointDecodeError, CheckpointSerializationError } from "../errors.js";
import { type DtypeInfo, dtypeOfArray, dtypeOfDescr, LITTLE_ENDIAN_HOST, type TypedArray } from "./dtypes.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Data offset alignment; NumPy 1.x and 2.x both write 64. */
const ALIGN = 64;
/** NumPy's own limit on the number of dimensions (NPY_MAXDIMS in NumPy 2). */
export const MAX_NDIM = 64;

/** Data at least this large is decoded as a view of the object's bytes (when aligned), smaller data is copied. */
export const VIEW_MIN_BYTES = 64 * 1024;

/** A parsed `.npy` header. */
export interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Byte offset of the data: magic, version, length field and header dict. */
  readonly dataOffset: number;
}

/** A `.npy` file read back. `data` is a view of the input bytes when alignment allows. */
export interface NpyArray {
  readonly descr: string;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

/** The elements a shape holds, or undefined when the product is not a safe integer. */
export function shapeSize(shape: readonly number[]): number | undefined {
  let size = 1;
  for (const n of shape) {
    size *= n;
    if (!Number.isSafeInteger(size)) return undefined;
  }
  return size;
}

/** True for an array of at most {@link MAX_NDIM} non-negative safe integers. */
export function isShape(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_NDIM &&
    value.every((n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0)
  );
}

function pythonShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/** The header bytes (magic to the newline before the data) of a C-order array. */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pythonShape(shape)}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  const padding = (ALIGN - (unpadded % ALIGN)) % ALIGN;
  const text = `${dict}${" ".repeat(padding)}\n`;
  if (text.length > 0xffff) throw new RangeError(`npy header of ${text.length} bytes exceeds format 1.0`);
  const header = new Uint8Array(MAGIC.length + 4 + text.length);
  header.set(MAGIC, 0);
  header[6] = 1; // major
  header[7] = 0; // minor
  header[8] = text.length & 0xff;
  header[9] = text.length >>> 8;
  for (let i = 0; i < text.length; i++) header[10 + i] = text.charCodeAt(i);
  return header;
}

/**
 * The chunks of a `.npy` file for `data` with `shape` (default: one dimension): the header and a
 * view of `data`'s own bytes. Nothing is copied, so the chunks show later changes to `data`; write
 * them out before mutating the array again.
 *
 * @example
 * const { chunks, size } = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * await store.put("x.npy", chunks);
 */
export function encodeNpy(
  data: TypedArray,
  shape: readonly number[] = [data.length],
  path = "array",
): { readonly chunks: readonly [Uint8Array, Uint8Array]; readonly size: number } {
  const dtype = dtypeOfArray(data);
  if (dtype === undefined) throw new CheckpointSerializationError(path, "not a supported typed array");
  if (!LITTLE_ENDIAN_HOST)
    throw new CheckpointSerializationError(path, "arrays are stored little-endian; this host is big-endian");
  if (!isShape(shape) || shapeSize(shape) !== data.length)
    throw new CheckpointSerializationError(
      path,
      `shape ${JSON.stringify(shape)} does not describe the ${data.length} elements of the array`,
    );
  const header = npyHeader(dtype.descr, shape);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { chunks: [header, body], size: header.byteLength + body.byteLength };
}

/** A tokenizer for the header dict: Python string literals, True/False, integers, ( ) { } : , */
function parseHeaderDict(text: string, path: string): Map<string, string | boolean | number[]> {
  let i = 0;
  const fail = (what: string): never => {
    throw new CheckpointDecodeError(
      path,
      `malformed .npy header (${what} at offset ${i}): ${JSON.stringify(text)}`,
    );
  };
  const skip = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n")) i++;
  };
  const expect = (ch: string) => {
    skip();
    if (text[i] !== ch) fail(`expected '${ch}'`);
    i++;
  };
  const string = (): string => {
    skip();
    const quote = text[i];
    if (quote !== "'" && quote !== '"') return fail("expected a string");
    const end = text.indexOf(quote, i + 1);
    if (end < 0) return fail("unterminated string");
    const value = text.slice(i + 1, end);
    if (value.includes("\\")) return fail("escape sequence in string");
    i = end + 1;
    return value;
  };
  const integer = (): number => {
    skip();
    const match = /^[0-9]+L?/.exec(text.slice(i, i + 40));
    if (match === null) return fail("expected an integer");
    i += match[0].length;
    const n = Number(match[0].replace("L", ""));
    if (!Number.isSafeInteger(n)) return fail("dimension too large");
    return n;
  };
  const value = (): string | boolean | number[] => {
    skip();
    if (text.startsWith("True", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("False", i)) {
      i += 5;
      return false;
    }
    if (text[i] === "'" || text[i] === '"') return string();
    if (text[i] === "(") {
      i++;
      const dims: number[] = [];
      for (;;) {
        skip();
        if (text[i] === ")") break;
        if (dims.length >= MAX_NDIM) fail(`more than ${MAX_NDIM} dimensions`);
        dims.push(integer());
        skip();
        if (text[i] === ",") i++;
        else if (text[i] !== ")") fail("expected ',' or ')'");
      }
      i++;
      return dims;
    }
    return fail("unsupported value (structured dtypes are not read)");
  };
  const dict = new Map<string, string | boolean | number[]>();
  expect("{");
  for (;;) {
    skip();
    if (text[i] === "}") break;
    const key = string();
    expect(":");
    if (dict.has(key)) fail(`duplicate key '${key}'`);
    dict.set(key, value());
    skip();
    if (text[i] === ",") i++;
    else if (text[i] !== "}") fail("expected ',' or '}'");
  }
  i++;
  skip();
  if (i !== text.length) fail("trailing characters");
  return dict;
}

/** Parses and checks the header of a `.npy` file; `path` names the value in errors. */
export function readNpyHeader(bytes: Uint8Array, path = "array"): NpyHeader {
  if (bytes.byteLength < 10 || MAGIC.some((b, k) => bytes[k] !== b))
    throw new CheckpointDecodeError(path, "not a .npy file (bad magic)");
  const major = bytes[6]!;
  const minor = bytes[7]!;
  // 2.0 differs from 1.0 only in a 4-byte header length; 3.0 (UTF-8 field names) is not read.
  let textStart: number;
  let textLength: number;
  if (major === 1 && minor === 0) {
    textStart = 10;
    textLength = bytes[8]! | (bytes[9]! << 8);
  } else if (major === 2 && minor === 0 && bytes.byteLength >= 12) {
    textStart = 12;
    textLength = (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16)) + bytes[11]! * 2 ** 24;
  } else {
    throw new CheckpointDecodeError(
      path,
      `unsupported .npy format version ${major}.${minor} (reads 1.0 and 2.0)`,
    );
  }
  const dataOffset = textStart + textLength;
  if (dataOffset > bytes.byteLength)
    throw new CheckpointDecodeError(path, `.npy header claims ${textLength} bytes but the object is shorter`);
  let text = "";
  for (let k = textStart; k < dataOffset; k++) {
    const c = bytes[k]!;
    if (c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x09))
      throw new CheckpointDecodeError(path, ".npy header is not printable ASCII");
    text += String.fromCharCode(c);
  }
  const dict = parseHeaderDict(text, path);
  const keys = [...dict.keys()].sort().join(",");
  if (keys !== "descr,fortran_order,shape")
    throw new CheckpointDecodeError(
      path,
      `.npy header must have exactly descr, fortran_order and shape; has ${keys}`,
    );
  const descr = dict.get("descr");
  const fortranOrder = dict.get("fortran_order");
  const shape = dict.get("shape");
  if (typeof descr !== "string") throw new CheckpointDecodeError(path, ".npy descr is not a string");
  if (typeof fortranOrder !== "boolean")
    throw new CheckpointDecodeError(path, ".npy fortran_order is not True or False");
  if (!Array.isArray(shape)) throw new CheckpointDecodeError(path, ".npy shape is not a tuple");
  return { descr, fortranOrder, shape, dataOffset };
}

/**
 * Reads a `.npy` file. `expect` (from a description) must match the header exactly; without it,
 * the dtype picks the natural JavaScript type. Every check runs before any array is built, so a
 * header claiming an absurd shape fails on the byte count instead of allocating. The result is a
 * view of `bytes` when the data is aligned for its type and at least {@link VIEW_MIN_BYTES} long (no
 * second copy of a big array), a copy with a buffer of its own otherwise.
 */
export function decodeNpy(
  bytes: Uint8Array,
  options: {
    readonly expect?: { readonly dtype: DtypeInfo; readonly shape: readonly number[] };
    readonly path?: string;
  } = {},
): NpyArray {
  const path = options.path ?? "array";
  if (!LITTLE_ENDIAN_HOST)
    throw new CheckpointDecodeError(path, "arrays are stored little-endian; this host is big-endian");
  const header = readNpyHeader(bytes, path);
  if (header.fortranOrder)
    throw new CheckpointDecodeError(path, ".npy data in Fortran order is not read (C order only)");
  const expected = options.expect;
  let dtype: DtypeInfo;
  if (expected !== undefined) {
    if (header.descr !== expected.dtype.descr)
      throw new CheckpointDecodeError(
        path,
        `checkpoint array metadata does not match stored data: dtype ${header.descr} in the .npy file, ${expected.dtype.descr} in the description`,
      );
    if (header.shape.length !== expected.shape.length || header.shape.some((n, k) => n !== expected.shape[k]))
      throw new CheckpointDecodeError(
        path,
        `checkpoint array metadata does not match stored data: shape ${JSON.stringify(header.shape)} in the .npy file, ${JSON.stringify(expected.shape)} in the description`,
      );
    dtype = expected.dtype;
  } else {
    const natural = dtypeOfDescr(header.descr);
    if (natural === undefined)
      throw new CheckpointDecodeError(
        path,
        `unsupported .npy dtype ${JSON.stringify(header.descr)} (object, structured, boolean and big-endian dtypes are not read)`,
      );
    dtype = natural;
  }
  const count = shapeSize(header.shape);
  const dataBytes = bytes.byteLength - header.dataOffset;
  if (count === undefined || count * dtype.itemSize !== dataBytes)
    throw new CheckpointDecodeError(
      path,
      `.npy shape ${JSON.stringify(header.shape)} of ${header.descr} needs ${count === undefined ? "too many" : count * dtype.itemSize} bytes of data, the object holds ${dataBytes}`,
    );
  const start = bytes.byteOffset + header.dataOffset;
  // Large aligned data is used in place: restoring a big array costs no second copy. Small arrays
  // are copied into a buffer of their own, so a decoded array never keeps a pooled Buffer slab
  // alive or exposes its neighbours' bytes through `.buffer`.
  const data =
    start % dtype.itemSize === 0 && dataBytes >= VIEW_MIN_BYTES
      ? dtype.view(bytes.buffer, start, count)
      : // Not `bytes.slice()`: on a Node Buffer (what HTTP clients return) that is a view, not a copy.
        dtype.view(new Uint8Array(bytes.subarray(header.dataOffset)).buffer, 0, count);
  return { descr: header.descr, shape: [...header.shape], data };
}
