import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: "store-gcs",
      sequence: { groupOrder: 2 },
      // One in-memory fake Cloud Storage (a test fixture) for every test file of the package.
      globalSetup: ["@ckpt/test-servers/gcs-fixture-setup"],
    },
  }),
);
