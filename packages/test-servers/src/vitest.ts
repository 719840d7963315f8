// For test files only: clients of the servers that the global setups ("@ckpt/test-servers/
// radosgw-setup", "@ckpt/test-servers/gcs-fixture-setup") started and handed over with inject().
import { randomBytes } from "node:crypto";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { StorageOptions } from "@google-cloud/storage";
import { inject } from "vitest";
import { FixtureClient } from "./fixture-client.js";
import { type RadosgwInfo, radosgwS3Config } from "./radosgw.js";

declare module "vitest" {
  export interface ProvidedContext {
    radosgw: RadosgwInfo;
    gcsServerUrl: string;
  }
}

/** The running gateway. */
export function radosgw(): RadosgwInfo {
  return inject("radosgw");
}

/** Client options for the gateway, optionally overriding some. */
export function radosgwClientConfig(overrides: S3ClientConfig = {}): S3ClientConfig {
  return { ...radosgwS3Config(radosgw()), ...overrides };
}

/** A new client for the gateway; the caller destroys it. */
export function radosgwClient(overrides: S3ClientConfig = {}): S3Client {
  return new S3Client(radosgwClientConfig(overrides));
}

/** The shared Cloud Storage fixture server. */
export function fixture(): FixtureClient {
  return new FixtureClient(inject("gcsServerUrl"));
}

/** Client options for the fixture: its endpoint and short retry delays (the SDK's own retries). */
export function fixtureStorageOptions(): StorageOptions {
  return {
    apiEndpoint: inject("gcsServerUrl"),
    projectId: "test",
    retryOptions: { maxRetries: 3, retryDelayMultiplier: 1.5, maxRetryDelay: 1, totalTimeout: 60 },
  };
}

/** A fresh bucket name, created on the fixture. */
export async function freshBucket(label = "b"): Promise<string> {
  const name = `${label}-${randomBytes(6).toString("hex")}`;
  await fixture().createBucket(name);
  return name;
}
