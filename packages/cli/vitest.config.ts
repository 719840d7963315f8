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
      // The S3 test server (Ceph radosgw), for test/s3.test.ts. The CLI is store-agnostic, so its
      // suite runs on one cloud store only (BENCHMARKS.md says what the second one cost).
      globalSetup: ["@ckpt/test-servers/radosgw-setup"],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  }),
);
