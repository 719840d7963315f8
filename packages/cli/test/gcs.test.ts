// Every command against the Cloud Storage test fixture (an in-memory JSON API server on 127.0.0.1
// started by store-gcs's global setup), through the real @google-cloud/storage SDK, in child processes.
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { FixtureClient } from "../../store-gcs/test/support/fixture-client.js";
import { describeCliCommands } from "./support/suite.js";

const endpoint = inject("gcsServerUrl");

describeCliCommands({
  name: "the Cloud Storage test fixture",
  fresh: async (label) => {
    const bucket = `cli-${randomUUID().slice(0, 12)}`;
    await new FixtureClient(endpoint).createBucket(bucket);
    return `gs://${bucket}/${label}?apiEndpoint=${encodeURIComponent(endpoint)}&projectId=test`;
  },
});
