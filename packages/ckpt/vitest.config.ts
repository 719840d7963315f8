import { defineProject, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: "packaging",
      // Last: packing builds dist/ in every package, which bin/ckpt.js would then run instead of
      // the sources, so no other project may run beside it.
      sequence: { groupOrder: 7 },
      // Packing six packages and two npm installs from the registry.
      hookTimeout: 300_000,
      testTimeout: 120_000,
    },
  }),
);
