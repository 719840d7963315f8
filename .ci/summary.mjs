// Prints "tests: N passed, N failed, N skipped" from vitest's JSON report.
import { readFileSync } from "node:fs";

const path = process.argv[2];
try {
  const report = JSON.parse(readFileSync(path, "utf8"));
  const passed = report.numPassedTests ?? 0;
  // A file that failed to load has no failing test of its own: count it once.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) =>
      file.status === "failed" && !(file.assertionResults ?? []).some((test) => test.status === "failed"),
  ).length;
  const failed = (report.numFailedTests ?? 0) + brokenFiles;
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
} catch (error) {
  console.log(`tests: no report at ${path} (${error instanceof Error ? error.message : String(error)})`);
  process.exitCode = 1;
}
