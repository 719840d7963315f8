import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ChildOutput, collectOutput } from "@ckpt/test-servers";
import { expect } from "vitest";

/**
 * Whether @ckpt/store-fs (file:// and memory://) is in the workspace yet. The folder and memory
 * tests are skipped, visibly, until it is.
 */
export const storeFsPresent = existsSync(
  fileURLToPath(new URL("../../../packages/store-fs/src/index.ts", import.meta.url)),
);

/** The repository root: child processes run from here so tsx and the workspace resolve. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const demoPath = fileURLToPath(new URL("../src/demo.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

/** What a demo run printed and how it exited. */
export type DemoRun = ChildOutput;

/** Runs the demo as the README's command does (tsx, the source condition), with `CKPT_STORE=store`. */
export function runDemo(
  store: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<DemoRun> {
  const child = spawn(process.execPath, ["--import", tsx, "--conditions=@ckpt/source", demoPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, CKPT_STORE: store },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collectOutput(child);
}

/**
 * The demo's SIGTERM case went as it must: the job exited 143 after committing the write it was
 * signalled at, the next run resumed from exactly that write, and the outputs (`files` of them)
 * equal the reference bit for bit.
 */
export function expectSigtermCaseResumedExactly(run: DemoRun, files: number): void {
  expect(run.stdout).toContain("and exited with 143");
  expect(run.stdout).toContain("0 step(s) recomputed");
  expect(run.stdout).toContain(`outputs after SIGTERM: identical, bit for bit (${files} files`);
  expect(run.stdout).not.toContain("FAIL");
}
