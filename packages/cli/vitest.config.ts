import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: "cli",
      sequence: { groupOrder: 4 },
      // Every test runs the real bin in child processes; on a loaded 2-core CI machine that is slow.
      testTimeout: 240_000,
      // The S3 test server (Ceph radosgw), for test/s3.test.ts. (The same suite ran on
      // the Cloud Storage fixture too, all green, but cost a minute of CI for store-agnostic code.)
      globalSetup: ["@ckpt/test-servers/radosgw-setup"],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  }),
);
