// Every command against the S3 test server (the Ceph RADOS Gateway that store-s3's global setup
// starts on 127.0.0.1), through the real AWS SDK, in child processes.
import { randomUUID } from "node:crypto";
import { beforeAll, inject } from "vitest";
import { describeCliCommands } from "./support/suite.js";

const server = inject("radosgw");
const env = {
  AWS_ACCESS_KEY_ID: server.accessKeyId,
  AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

beforeAll(() => {
  // The test process writes fixtures and reads results through the same URLs.
  Object.assign(process.env, env);
});

describeCliCommands({
  name: "the S3 test server",
  fresh: async (label) =>
    `s3://${server.bucket}/cli/${label}-${randomUUID()}?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}&forcePathStyle=true`,
  env: () => env,
});
