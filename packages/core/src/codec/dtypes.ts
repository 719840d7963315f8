/**
 * The typed arrays the codec stores and their NumPy dtypes. Every dtype is little-endian (`|` for
 * one-byte types, which have no byte order); `Uint8ClampedArray` shares `|u1` with `Uint8Array`,
 * so descriptions record the JavaScript type beside the dtype.
 */

/** Every typed array the codec accepts. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** The element-type names accepted by {@link typedArray} and {@link ndArray}. */
export type DtypeName =
  | "int8"
  | "uint8"
  | "uint8clamped"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64"
  | "int64"
  | "uint64";

/** The typed array class for each {@link DtypeName}. */
export interface TypedArrayByDtype {
  int8: Int8Array;
  uint8: Uint8Array;
  uint8clamped: Uint8ClampedArray;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
}

/** The JavaScript class name of each typed array, as recorded in descriptions. */
export type TypedArrayName =
  | "Int8Array"
  | "Uint8Array"
  | "Uint8ClampedArray"
  | "Int16Array"
  | "Uint16Array"
  | "Int32Array"
  | "Uint32Array"
  | "Float32Array"
  | "Float64Array"
  | "BigInt64Array"
  | "BigUint64Array";

/** One row of the dtype table. */
export interface DtypeInfo {
  readonly name: DtypeName;
  readonly jsType: TypedArrayName;
  /** The NumPy `descr`, e.g. `"<f4"`. */
  readonly descr: string;
  readonly itemSize: number;
  /** A view of `length` elements over `buffer` from `byteOffset` (which must be aligned). */
  readonly view: (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray;
  readonly prototype: object;
}

function info<T extends TypedArray>(
  name: DtypeName,
  jsType: TypedArrayName,
  descr: string,
  ctor: {
    new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
    readonly BYTES_PER_ELEMENT: number;
    readonly prototype: T;
  },
): DtypeInfo {
  return Object.freeze({
    name,
    jsType,
    descr,
    itemSize: ctor.BYTES_PER_ELEMENT,
    view: (buffer: ArrayBufferLike, byteOffset: number, length: number) =>
      new ctor(buffer, byteOffset, length),
    prototype: ctor.prototype,
  });
}

/** The dtype table, in a fixed order. */
export const DTYPES: readonly DtypeInfo[] = Object.freeze([
  info("int8", "Int8Array", "|i1", Int8Array),
  info("uint8", "Uint8Array", "|u1", Uint8Array),
  info("uint8clamped", "Uint8ClampedArray", "|u1", Uint8ClampedArray),
  info("int16", "Int16Array", "<i2", Int16Array),
  info("uint16", "Uint16Array", "<u2", Uint16Array),
  info("int32", "Int32Array", "<i4", Int32Array),
  info("uint32", "Uint32Array", "<u4", Uint32Array),
  info("float32", "Float32Array", "<f4", Float32Array),
  info("float64", "Float64Array", "<f8", Float64Array),
  info("int64", "BigInt64Array", "<i8", BigInt64Array),
  info("uint64", "BigUint64Array", "<u8", BigUint64Array),
]);

// Lookups go through Maps, never through globalThis[name]: a description can name only these.
const byPrototype = new Map<object, DtypeInfo>(DTYPES.map((d) => [d.prototype, d]));
const byJsType = new Map<string, DtypeInfo>(DTYPES.map((d) => [d.jsType, d]));
const byName = new Map<string, DtypeInfo>(DTYPES.map((d) => [d.name, d]));
// For a bare .npy file (no description), each dtype reads as its natural JavaScript type.
const byDescr = new Map<string, DtypeInfo>(
  DTYPES.filter((d) => d.name !== "uint8clamped").map((d) => [d.descr, d]),
);

/** The dtype of a typed array whose class is exactly one of {@link DTYPES} (no subclasses). */
export function dtypeOfArray(value: unknown): DtypeInfo | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const info = byPrototype.get(Object.getPrototypeOf(value) as object);
  return info !== undefined && ArrayBuffer.isView(value) ? info : undefined;
}

/** The dtype row of a typed array class's prototype (e.g. `Float32Array.prototype`). */
export function dtypeOfPrototype(prototype: unknown): DtypeInfo | undefined {
  return typeof prototype === "object" && prototype !== null ? byPrototype.get(prototype) : undefined;
}

/** The dtype row of a JavaScript class name such as `"Float32Array"`. */
export function dtypeOfJsType(jsType: string): DtypeInfo | undefined {
  return byJsType.get(jsType);
}

/** The dtype row of a name such as `"float32"`. */
export function dtypeOfName(name: string): DtypeInfo | undefined {
  return byName.get(name);
}

/** The natural JavaScript type of a NumPy `descr` such as `"<f4"` (`|u1` reads as `Uint8Array`). */
export function dtypeOfDescr(descr: string): DtypeInfo | undefined {
  return byDescr.get(descr);
}

/** True on little-endian hosts, the only ones the codec reads and writes arrays on. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
