export { mapBounded } from "../commit/pool.js";
export { bodyChunks, concatChunks, isReplayableBody, knownBodySize, tooLargeError } from "./body.js";
export { ForwardingStore, type StoreCall, type StoreOp } from "./forwarding-store.js";
export { joinKey, MAX_KEY_BYTES, validateKey, validatePrefix } from "./keys.js";
export { listAll, listAllArray } from "./list.js";
export {
  defaultStoreUrl,
  openStore,
  parseStoreUrl,
  redactUrl,
  registerStoreOpener,
  type StoreOpener,
} from "./open.js";
export { normalizeStorePrefix, parseStoreOptions, validatePutOptions } from "./options.js";
export { redactSecrets } from "./redact.js";
export { raceAbort, sleep, throwIfAborted } from "./signal.js";
export type {
  Body,
  CallOptions,
  GetOptions,
  GetResult,
  GetStreamOptions,
  GetStreamResult,
  ListOptions,
  ListPage,
  ObjectInfo,
  PreparedPut,
  PutOptions,
  Store,
  SweepOptions,
  SweepResult,
} from "./types.js";
