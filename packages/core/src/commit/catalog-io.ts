import { CheckpointCatalogError, NotFoundError, TooLargeError } from "../errors.js";
import type { Store } from "../store/types.js";
import {
  CATALOG_FORMAT,
  type CatalogFile,
  catalogFileSchema,
  MAX_CATALOG_BYTES,
  parseDocument,
} from "./catalog-format.js";
import { type RetryPolicy, withRetry } from "./retry.js";

/**
 * What one read of catalog.json found. `version` is the store version to compare-and-swap
 * against (absent: no catalog, create with `ifNoneMatch: "*"`); `file` is absent when the catalog
 * is missing or damaged.
 */
export type CatalogSnapshot =
  | {
      readonly state: "ok";
      readonly version: string;
      readonly file: CatalogFile;
      /** The bytes as stored (absent once this process wrote the file itself). */
      readonly bytes?: Uint8Array | undefined;
    }
  | { readonly state: "missing"; readonly version?: undefined; readonly file?: undefined }
  | {
      readonly state: "damaged";
      readonly version: string;
      readonly file?: undefined;
      readonly detail: string;
    };

/**
 * Reads catalog.json. A missing object and a damaged one are results, not errors; a catalog
 * written by a newer ckpt, or larger than {@link MAX_CATALOG_BYTES}, is a CheckpointCatalogError
 * because rebuilding over it would destroy rows this version cannot read.
 */
export async function readCatalog(
  store: Store,
  key: string,
  checkpoint: string,
  options: { policy: RetryPolicy; signal: AbortSignal | undefined },
): Promise<CatalogSnapshot> {
  let result: { info: { version: string }; bytes: Uint8Array };
  try {
    result = await withRetry(options.policy, options.signal, () =>
      store.get(key, { maxBytes: MAX_CATALOG_BYTES, signal: options.signal }),
    );
  } catch (error) {
    if (error instanceof NotFoundError) return { state: "missing" };
    if (error instanceof TooLargeError)
      throw new CheckpointCatalogError(checkpoint, `"${key}" is larger than ${MAX_CATALOG_BYTES} bytes`, {
        cause: error,
      });
    throw error;
  }
  const parsed = parseDocument(result.bytes, catalogFileSchema, CATALOG_FORMAT);
  if (parsed.ok)
    return {
      state: "ok",
      version: result.info.version,
      file: parsed.value as CatalogFile,
      bytes: result.bytes,
    };
  if (parsed.problem.kind === "newer")
    throw new CheckpointCatalogError(checkpoint, `"${key}": ${parsed.problem.detail}`);
  return { state: "damaged", version: result.info.version, detail: parsed.problem.detail };
}
