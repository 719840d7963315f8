/**
 * `@ckpt/store-s3`: the ckpt store over Amazon S3 and S3-compatible servers. Importing the package
 * registers the `s3:` scheme, so `openStore("s3://bucket/prefix")` and
 * `new Checkpoint(name, { store: "s3://…" })` work.
 *
 * @example
 * import { S3Store } from "@ckpt/store-s3";
 * const store = S3Store.fromUrl("s3://my-bucket/runs?region=eu-west-1");
 */
import { registerStoreOpener } from "@ckpt/core";
import { S3Store } from "./store.js";

export {
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_CONCURRENCY,
  DEFAULT_PART_SIZE,
  type IfMatchQuoting,
  type S3StoreOptions,
} from "./options.js";
export { S3Store } from "./store.js";
export { parseS3Url } from "./url.js";

registerStoreOpener("s3:", (url) => S3Store.fromUrl(url));
