// Stores for the tests: the real @google-cloud/storage client against the fake Cloud Storage
// (TEST FIXTURE) started by globalSetup, each in its own bucket so parallel files do not meet.
import { randomBytes } from "node:crypto";
import type { StorageOptions } from "@google-cloud/storage";
import { inject } from "vitest";
import { GcsStore, type GcsStoreOptions } from "../../src/index.js";
import { FixtureClient } from "./fixture-client.js";

/** The shared fixture server. */
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

/** A store over a fresh bucket of the fixture, through the real SDK. */
export async function fixtureStore(options: Partial<GcsStoreOptions> = {}): Promise<GcsStore> {
  const bucket = options.bucket ?? (await freshBucket());
  return new GcsStore({ prefix: "prefix/", storageOptions: fixtureStorageOptions(), ...options, bucket });
}
