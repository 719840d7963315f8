/**
 * Stores and clients for the tests, pointed at the radosgw that the global setup started
 * (see `global-setup.ts`). Every store gets a unique prefix, so tests never see each other.
 */
import { randomUUID } from "node:crypto";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { listAllArray } from "@ckpt/core";
import { inject } from "vitest";
import { S3Store, type S3StoreOptions } from "../../src/index.js";
import type { RadosgwInfo } from "./radosgw.js";

/** The running gateway. */
export function radosgw(): RadosgwInfo {
  return inject("radosgw");
}

/** Client options for the gateway, optionally overriding some. */
export function radosgwClientConfig(overrides: S3ClientConfig = {}): S3ClientConfig {
  const server = radosgw();
  return {
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...overrides,
  };
}

/** A new client for the gateway; the caller destroys it. */
export function radosgwClient(overrides: S3ClientConfig = {}): S3Client {
  return new S3Client(radosgwClientConfig(overrides));
}

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
