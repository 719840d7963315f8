import { defineConfig } from "vitest/config";

// CI asks for a JSON report beside the console output (see .ci/run); locally only the console.
const reportFile = process.env.CKPT_TEST_REPORT;

export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts"],
    reporters: reportFile ? ["default", "json"] : ["default"],
    ...(reportFile ? { outputFile: { json: reportFile } } : {}),
  },
});
