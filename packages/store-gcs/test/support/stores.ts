// Stores for the tests: the real @google-cloud/storage client against the fake Cloud Storage
// (TEST FIXTURE) started by globalSetup, each in its own bucket so parallel files do not meet.
import { fixtureStorageOptions, freshBucket } from "@ckpt/test-servers/vitest";
import { GcsStore, type GcsStoreOptions } from "../../src/index.js";

/** A store over a fresh bucket of the fixture, through the real SDK. */
export async function fixtureStore(options: Partial<GcsStoreOptions> = {}): Promise<GcsStore> {
  const bucket = options.bucket ?? (await freshBucket());
  return new GcsStore({ prefix: "prefix/", storageOptions: fixtureStorageOptions(), ...options, bucket });
}
