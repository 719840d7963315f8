import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: "lorenz96",
      sequence: { groupOrder: 5 },
      // Each demo run is three child processes with a few hundred commits.
      testTimeout: 240_000,
      // The S3 test server (Ceph radosgw) and the Cloud Storage test fixture, for test/cloud.test.ts.
      globalSetup: ["@ckpt/test-servers/radosgw-setup", "@ckpt/test-servers/gcs-fixture-setup"],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  }),
);
