export { decodeMetadataValue, decodeValue, ValueDecoder } from "./decode.js";
export type { DtypeInfo, DtypeName, TypedArray, TypedArrayByDtype, TypedArrayName } from "./dtypes.js";
export {
  DTYPES,
  dtypeOfArray,
  dtypeOfDescr,
  dtypeOfJsType,
  dtypeOfName,
  dtypeOfPrototype,
} from "./dtypes.js";
export type { EncodedBlob, EncodedValue } from "./encode.js";
export {
  encodeMetadataValue,
  encodeValue,
  MAX_DEPTH,
  PACKED_ARRAY_BYTES,
  PACKED_TOTAL_BYTES,
  ValueEncoder,
} from "./encode.js";
export type { JsonValue } from "./json.js";
export { canonicalHash, canonicalJson, jsonBytes, jsonText, parseJsonBytes } from "./json.js";
export type { NpyArray, NpyHeader } from "./npy.js";
export { decodeNpy, encodeNpy, MAX_NDIM, npyHeader, readNpyHeader, VIEW_MIN_BYTES } from "./npy.js";
