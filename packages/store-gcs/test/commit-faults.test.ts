// The commit protocol with a fault injected at every store call (before / after / lost response),
// over GcsStore through the real @google-cloud/storage client and the fake Cloud Storage (TEST FIXTURE).
import { randomBytes } from "node:crypto";
import { describeCommitProtocolFaults } from "@ckpt/core/testing";
import { fixtureStorageOptions, freshBucket } from "@ckpt/test-servers/vitest";
import { beforeAll } from "vitest";
import { GcsStore } from "../src/index.js";

let bucket: string;
beforeAll(async () => {
  bucket = await freshBucket("commit-faults");
});

describeCommitProtocolFaults({
  name: "GcsStore (fake Cloud Storage)",
  create: async () =>
    new GcsStore({
      bucket,
      prefix: `t-${randomBytes(6).toString("hex")}/`,
      storageOptions: fixtureStorageOptions(),
    }),
});
