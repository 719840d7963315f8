import { defineConfig } from "vitest/config";

/** Tests import workspace packages from their TypeScript sources, not from dist. */
export const sourceConditions = ["@ckpt/source", "import", "node", "default"];

export const sharedConfig = defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
