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

// Each project sets its own `sequence.groupOrder`: vitest then runs the projects one after another
// (core, store-fs, store-gcs, store-s3, cli, lorenz96, reliability), each with its own worker
// count, instead of crowding every child-process test onto the two cores at once.
