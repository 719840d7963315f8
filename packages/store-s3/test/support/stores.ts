/**
 * Stores and clients for the tests, pointed at the radosgw that the global setup started
 * (`@ckpt/test-servers/radosgw-setup`). Every store gets a unique prefix, so tests never see each other.
 */
import { randomUUID } from "node:crypto";
import { listAllArray } from "@ckpt/core";
import { radosgw, radosgwClientConfig } from "@ckpt/test-servers/vitest";
import { S3Store, type S3StoreOptions } from "../../src/index.js";

/** A unique prefix under `tests/` for one test or suite. */
export function uniquePrefix(label: string): string {
  return `tests/${label}/${randomUUID()}`;
}

/** An S3Store on the gateway under a fresh unique prefix (its own client, destroyed by close()). */
export function radosgwStore(label: string, options: Partial<S3StoreOptions> = {}): S3Store {
  const server = radosgw();
  return new S3Store({
    bucket: server.bucket,
    prefix: uniquePrefix(label),
    ...(options.client === undefined ? { clientConfig: radosgwClientConfig() } : {}),
    ...options,
  });
}

/** Removes everything under the store's prefix (memstore keeps objects in RAM). */
export async function emptyStore(store: S3Store): Promise<void> {
  const keys = (await listAllArray(store, "")).map((info) => info.key);
  await store.delete(keys);
}
