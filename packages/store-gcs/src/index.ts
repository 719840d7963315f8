/**
 * `@ckpt/store-gcs`: the ckpt {@link Store} over Google Cloud Storage. Importing it registers the
 * `gs:` scheme with `openStore`.
 *
 * @example
 * import { openStore } from "@ckpt/core";
 * import "@ckpt/store-gcs";
 * const store = await openStore("gs://my-bucket/runs");
 *
 * @packageDocumentation
 */
import { registerStoreOpener } from "@ckpt/core";
import { GcsStore } from "./gcs-store.js";

export { GCS_RETRY_DEFAULTS, GcsStore, WRITE_ID_METADATA_KEY } from "./gcs-store.js";
export { type GcsStoreOptions, RESUMABLE_CHUNK_QUANTUM } from "./options.js";
export { parseGcsUrl } from "./url.js";

registerStoreOpener("gs:", (url) => GcsStore.fromUrl(url));
