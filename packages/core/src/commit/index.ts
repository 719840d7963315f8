export {
  CatalogClient,
  type CatalogOptions,
  type CommitRequest,
  type CopyOptions,
  type CopyResult,
} from "./catalog-client.js";
export {
  CATALOG_FORMAT,
  type CatalogFile,
  type CatalogRow,
  FORMAT_VERSION,
  type GcFence,
  type Labels,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  MAX_CATALOG_BYTES,
  MAX_MANIFEST_BYTES,
  type Manifest,
  type ManifestObject,
  type RowPolicy,
} from "./catalog-format.js";
export {
  CatalogReader,
  type CatalogReaderOptions,
  type CatalogView,
  type ReadOptions,
} from "./catalog-reader.js";
export { isCommitId, newCommitId } from "./commit-id.js";
export type { GcOptions, GcResult } from "./gc.js";
export type { CommitObject } from "./objects.js";
export type { RetryOptions } from "./retry.js";
