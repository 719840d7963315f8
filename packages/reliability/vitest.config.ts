import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: "reliability",
      sequence: { groupOrder: 6 },
      // Both test servers of @ckpt/test-servers: one radosgw (S3) and one
      // fake Cloud Storage (a test fixture) for every test file of this package.
      globalSetup: ["@ckpt/test-servers/radosgw-setup", "@ckpt/test-servers/gcs-fixture-setup"],
      // The files mostly wait on child processes and servers.
      maxWorkers: 2,
      // A SIGKILL loop runs for minutes; each test sets its own timeout too.
      testTimeout: 300_000,
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  }),
);
