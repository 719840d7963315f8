import { openStore, parseStoreUrl, type Store } from "@ckpt/core";

/** The store package serving each URL scheme, imported from this package's own dependencies. */
const storePackages: Readonly<Record<string, string>> = {
  "file:": "@ckpt/store-fs",
  "memory:": "@ckpt/store-fs",
  "s3:": "@ckpt/store-s3",
  "gs:": "@ckpt/store-gcs",
};

/**
 * Loads the store package that serves `location`'s scheme (so every scheme works however the
 * workspace is laid out: core's own on-demand import cannot see packages it does not depend on),
 * then opens the store. Schemes registered by someone else (a preloaded module) are left to
 * `openStore`.
 */
export async function openStoreUrl(location: string): Promise<Store> {
  const url = parseStoreUrl(location);
  const pkg = storePackages[url.protocol];
  if (pkg !== undefined) await import(pkg);
  return openStore(url.href);
}
