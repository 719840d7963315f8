export { formatDuration, parseDuration } from "./duration.js";
export { ExitCode, exitCodeFor, UsageError } from "./exit-codes.js";
export { createProgram, main } from "./program.js";
