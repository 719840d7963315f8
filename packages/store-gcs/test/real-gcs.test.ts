// Opt-in: the conformance and commit-fault suites against real Google Cloud Storage. Runs only when
// CKPT_TEST_GCS_URL (gs://bucket/prefix) is set and the SDK can find credentials (Application
// Default Credentials, e.g. GOOGLE_APPLICATION_CREDENTIALS); otherwise every test shows as skipped.
// Each store gets a unique folder under the prefix, deleted after its test.
import { randomBytes } from "node:crypto";
import { listAllArray, type Store } from "@ckpt/core";
import { describeCommitProtocolFaults, describeStoreConformance } from "@ckpt/core/testing";
import { describe } from "vitest";
import { GcsStore } from "../src/index.js";

const url = process.env.CKPT_TEST_GCS_URL;
const title = url
  ? `real Cloud Storage at ${url}`
  : "real Cloud Storage (skipped: set CKPT_TEST_GCS_URL=gs://bucket/prefix and Google credentials)";

function create(): Promise<Store> {
  const base = GcsStore.fromUrl(url!);
  return Promise.resolve(
    new GcsStore({
      bucket: base.bucketName,
      prefix: [base.prefix, `ckpt-test-${Date.now()}-${randomBytes(4).toString("hex")}`]
        .filter(Boolean)
        .join("/"),
      storage: base.storage,
    }),
  );
}

async function destroy(store: Store): Promise<void> {
  const keys = (await listAllArray(store, "")).map((info) => info.key);
  await store.delete(keys);
}

describe.skipIf(!url)(title, () => {
  describeStoreConformance({ name: "GcsStore (real Cloud Storage)", create, destroy, skip: { sweep: true } });
  describeCommitProtocolFaults({ name: "GcsStore (real Cloud Storage)", create, destroy });
});
