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
    },
  }),
);
