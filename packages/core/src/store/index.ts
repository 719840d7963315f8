export {
  bodyChunks,
  concatChunks,
  isReplayableBody,
  knownBodySize,
  readBody,
  tooLargeError,
} from "./body.js";
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
export { throwIfAborted } from "./signal.js";
export type {
  Body,
  CallOptions,
  GetOptions,
  GetResult,
  GetStreamResult,
  ListOptions,
  ListPage,
  ObjectInfo,
  PutOptions,
  Store,
  SweepOptions,
  SweepResult,
} from "./types.js";
