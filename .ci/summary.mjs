// Prints "tests: N passed, N failed, N skipped" from vitest's JSON report.
import { readFileSync } from "node:fs";

const path = process.argv[2];
try {
  const report = JSON.parse(readFileSync(path, "utf8"));
  const passed = report.numPassedTests ?? 0;
  const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
} catch (error) {
  console.log(`tests: no report at ${path} (${error instanceof Error ? error.message : String(error)})`);
  process.exitCode = 1;
}
