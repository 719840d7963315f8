/**
 * zod schemas for typed array and n-d array fields. The dtype travels with the schema (keyed by its
 * validator function, which zod keeps when a schema is refined, described or wrapped), so the
 * schema hash sees it: changing `typedArray("float32")` to `typedArray("float64")` changes the hash.
 */
import { z } from "zod";
import {
  DTYPES,
  type DtypeInfo,
  type DtypeName,
  dtypeOfArray,
  dtypeOfName,
  dtypeOfPrototype,
  type TypedArrayByDtype,
} from "../codec/dtypes.js";
import { isShape, shapeSize } from "../codec/npy.js";

/** An n-dimensional array in C order: `data.length` equals the product of `shape`. */
export interface NdArray<T = TypedArrayByDtype[DtypeName]> {
  data: T;
  shape: number[];
}

/** What the schema walker learns from a typed array schema. */
export interface ArraySchemaInfo {
  readonly kind: "typedarray" | "ndarray";
  readonly dtype: DtypeInfo;
  /** For n-d arrays: the required number of dimensions, or null for any. */
  readonly ndim: number | null;
}

const arraySchemas = new WeakMap<object, ArraySchemaInfo>();

/** The array info of a custom schema made by {@link typedArray} or {@link ndArray}. */
export function arraySchemaInfo(validator: unknown): ArraySchemaInfo | undefined {
  return typeof validator === "function" ? arraySchemas.get(validator) : undefined;
}

function dtypeOf(name: DtypeName): DtypeInfo {
  const dtype = typeof name === "string" ? dtypeOfName(name) : undefined;
  if (dtype !== undefined) return dtype;
  const names = DTYPES.map((known) => `"${known.name}"`).join(", ");
  // A JavaScript caller may pass the array class: name the dtype that would have matched.
  const byClass =
    typeof name === "function" ? dtypeOfPrototype((name as { prototype?: unknown }).prototype) : undefined;
  const given =
    typeof name === "function" ? (name as { name: string }).name : (JSON.stringify(name) ?? String(name));
  throw new TypeError(
    byClass !== undefined
      ? `Unknown dtype ${given}: pass the dtype's name, "${byClass.name}", not the array class`
      : `Unknown dtype ${given}: expected one of ${names}`,
  );
}

/**
 * A zod schema for a typed array of one element type (exactly that class: a `Uint8Array` is not
 * a `Uint8ClampedArray`). Stored as a one-dimensional `.npy`.
 *
 * @example
 * const Rng = checkpointState("demo.Rng", z.object({ state: typedArray("uint32") }));
 */
export function typedArray<N extends DtypeName>(
  dtype: N,
): z.ZodCustom<TypedArrayByDtype[N], TypedArrayByDtype[N]> {
  const info = dtypeOf(dtype);
  const validator = (value: unknown): boolean => dtypeOfArray(value) === info;
  arraySchemas.set(validator, { kind: "typedarray", dtype: info, ndim: null });
  return z.custom<TypedArrayByDtype[N]>(validator, `Expected a ${info.jsType}`);
}

/**
 * A zod schema for an n-d array `{ data, shape }` (C order) of one element type, optionally with a
 * fixed number of dimensions. Stored as an n-dimensional `.npy` that NumPy loads with its shape.
 *
 * @example
 * const Grid = checkpointState("demo.Grid", z.object({ field: ndArray("float32", { ndim: 2 }) }));
 * bindCheckpointState(Grid, { field: { data: new Float32Array(6), shape: [2, 3] } });
 */
export function ndArray<N extends DtypeName>(
  dtype: N,
  options: { readonly ndim?: number } = {},
): z.ZodCustom<NdArray<TypedArrayByDtype[N]>, NdArray<TypedArrayByDtype[N]>> {
  const info = dtypeOf(dtype);
  const ndim = options.ndim ?? null;
  if (ndim !== null && !(Number.isInteger(ndim) && ndim >= 0 && ndim <= 64))
    throw new TypeError(`ndArray ndim must be an integer from 0 to 64, got ${ndim}`);
  const validator = (value: unknown): boolean => {
    if (typeof value !== "object" || value === null) return false;
    const { data, shape } = value as { data?: unknown; shape?: unknown };
    return (
      dtypeOfArray(data) === info &&
      isShape(shape) &&
      (ndim === null || shape.length === ndim) &&
      shapeSize(shape) === (data as { length: number }).length
    );
  };
  arraySchemas.set(validator, { kind: "ndarray", dtype: info, ndim });
  return z.custom<NdArray<TypedArrayByDtype[N]>>(
    validator,
    `Expected an n-d array { data: ${info.jsType}, shape }${ndim === null ? "" : ` of ${ndim} dimensions`} whose shape matches its data`,
  );
}
