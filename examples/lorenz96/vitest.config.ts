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
      // The S3 test server (Ceph radosgw) of store-s3 and the Cloud Storage test fixture of
      // store-gcs, for test/cloud.test.ts.
      globalSetup: [
        "../../packages/store-s3/test/support/global-setup.ts",
        "../../packages/store-gcs/test/support/global-setup.ts",
      ],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  }),
);
