import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: "world",
      sequence: { groupOrder: 5 },
      // Each life is four child processes.
      testTimeout: 240_000,
      // The S3 test server (Ceph radosgw), for test/s3.test.ts.
      globalSetup: ["@ckpt/test-servers/radosgw-setup"],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  }),
);
