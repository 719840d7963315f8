import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: "store-s3",
      sequence: { groupOrder: 3 },
      // One Ceph RADOS Gateway for the whole run (installed with apt-get first when missing and root).
      globalSetup: ["@ckpt/test-servers/radosgw-setup"],
      // The files mostly wait on the gateway, so they overlap well even on 2 cores.
      maxWorkers: 3,
      // The SDK warns on every Node 20 process that future releases need Node 22.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  }),
);
