import { spawnSync } from "node:child_process";

const INSTALL =
  "numpy is required for the numpy interop tests: install it with `pip install numpy` or `apt-get install python3-numpy`";

/** Runs `python3 args…`; throws with stderr on failure. */
export function python(args: readonly string[], options: { input?: string } = {}): string {
  const result = spawnSync("python3", args, {
    encoding: "utf8",
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined)
    throw new Error(`python3 could not be started (${result.error.message}). ${INSTALL}`);
  if (result.status !== 0)
    throw new Error(
      `python3 ${args.join(" ")} exited with ${result.status}:\n${result.stderr}\n${result.stdout}`,
    );
  return result.stdout;
}

/** Fails (never skips) with install instructions when python3 or numpy is missing. */
export function requireNumpy(): string {
  const result = spawnSync("python3", ["-c", "import numpy; print(numpy.__version__)"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0)
    throw new Error(`${INSTALL}. python3 said: ${result.error?.message ?? result.stderr.trim()}`);
  return result.stdout.trim();
}
