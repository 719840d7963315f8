/**
 * Peak memory of committing and restoring a state, each case in a fresh child process (see
 * memory-child.ts, run as compiled JavaScript with no TypeScript loader: see compiled-child.ts), so
 * one case's heap and freed-but-kept memory cannot inflate the next.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectOutput } from "@ckpt/test-servers";
import { compiledMemoryChild } from "./compiled-child.js";
import type { MemoryCaseInput, MemoryCaseOutput } from "./memory-child.js";
import { MiB } from "./stats.js";
import { emptyStore, openBenchStore, type StoreEnv, type StoreSpec, uniquePrefix } from "./stores.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The memory target: committing may take at most the state plus this much (BENCHMARKS.md, targets). */
export const COMMIT_HEADROOM = 128 * MiB;

export interface MemoryResult {
  readonly store: StoreSpec["kind"];
  readonly bytes: number;
  readonly phase: "commit" | "restore";
  /** RSS of the process with its modules loaded and the store open, before any state, bytes. */
  readonly base: number;
  /** RSS before the phase, bytes. */
  readonly before: number;
  /** Peak RSS during the phase, bytes. */
  readonly peak: number;
  readonly ms: number;
}

async function runChild(input: MemoryCaseInput): Promise<MemoryCaseOutput> {
  // Compiled JavaScript with no loader, as a production job runs (see compiled-child.ts).
  const script = await compiledMemoryChild();
  const child = spawn(process.execPath, ["--expose-gc", script, JSON.stringify(input)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { code, stdout, stderr } = await collectOutput(child);
  const line = stdout.trim().split("\n").at(-1);
  if (code === 0 && line !== undefined && line.startsWith("{")) return JSON.parse(line) as MemoryCaseOutput;
  throw new Error(
    `memory case ${input.phase} ${input.bytes} B on ${input.spec.kind} failed (${code}): ${stderr.slice(-2000)}`,
  );
}

/** Commit, then restore (from what the commit wrote), of a `bytes` state on one store. */
export async function measureMemory(env: StoreEnv, bytes: number): Promise<MemoryResult[]> {
  const { spec } = env;
  const prefix = uniquePrefix(`memory-${bytes}`);
  const name = "memory-case";
  const results: MemoryResult[] = [];
  try {
    const commit = await runChild({ spec, prefix, name, phase: "commit", bytes });
    const restore = await runChild({
      spec,
      prefix,
      name,
      phase: "restore",
      bytes,
      expected: commit.checksums,
    });
    for (const [phase, output] of [
      ["commit", commit],
      ["restore", restore],
    ] as const)
      results.push({
        store: spec.kind,
        bytes,
        phase,
        base: output.base,
        before: output.before,
        peak: output.peak,
        ms: output.ms,
      });
  } finally {
    if (spec.kind !== "memory") {
      const store = await openBenchStore(spec, prefix);
      await emptyStore(store);
      await store.close?.();
      await env.reclaim();
    }
  }
  return results;
}
