// The shared store conformance suite, through the real @google-cloud/storage client against the
// fake Cloud Storage (TEST FIXTURE). 64 MiB bodies go as chunked resumable uploads (4 MiB chunks).
import { randomBytes } from "node:crypto";
import { describeStoreConformance } from "@ckpt/core/testing";
import { fixtureStorageOptions, freshBucket } from "@ckpt/test-servers/vitest";
import { beforeAll } from "vitest";
import { GcsStore } from "../src/index.js";

let bucket: string;
beforeAll(async () => {
  bucket = await freshBucket("conformance");
});

describeStoreConformance({
  name: "GcsStore (fake Cloud Storage)",
  create: async () =>
    new GcsStore({
      bucket,
      prefix: `t-${randomBytes(6).toString("hex")}/`,
      storageOptions: fixtureStorageOptions(),
      resumableThreshold: 1024 * 1024,
      chunkSize: 4 * 1024 * 1024,
    }),
  // Nothing to sweep: an abandoned resumable session stores no object and expires on the server.
  skip: { sweep: true },
});
