/**
 * One memory case in a fresh process (spawned by memory.ts): commit or restore a state of the given
 * size through the public API and report the peak resident set size of that phase.
 *
 * The peak is the kernel's VmHWM, reset (write "5" to /proc/self/clear_refs) right before the phase
 * so that filling the state or, for a restore from memfs, committing it first, does not count. The
 * state's own arrays are resident before the phase starts and are part of the peak.
 *
 * Input: one JSON argument {@link MemoryCaseInput}. Output: one JSON line {@link MemoryCaseOutput}.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { timeCommit } from "./commit-throughput.js";
import { timeRestore } from "./restore.js";
import { makeState, stateChecksums } from "./state.js";
import { collectGarbage } from "./stats.js";
import { openBenchStore, type StoreSpec } from "./stores.js";

export interface MemoryCaseInput {
  readonly spec: StoreSpec;
  readonly prefix: string;
  readonly name: string;
  readonly phase: "commit" | "restore";
  readonly bytes: number;
  /** CRC-32 of each array of the committed state (restore of a store outside this process). */
  readonly expected?: readonly number[] | undefined;
}

export interface MemoryCaseOutput {
  /** Resident set size after loading the modules and opening the store, before any state, bytes. */
  readonly base: number;
  /** Resident set size right before the phase (process + state for a commit), bytes. */
  readonly before: number;
  /** Peak resident set size during the phase, bytes. */
  readonly peak: number;
  /** Milliseconds of the phase. */
  readonly ms: number;
  /** CRC-32 of each array of the state (after a commit). */
  readonly checksums?: readonly number[] | undefined;
}

function statusBytes(field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  if (match === null) throw new Error(`${field} missing from /proc/self/status`);
  return Number(match[1]) * 1024;
}

function resetPeak(): void {
  collectGarbage();
  writeFileSync("/proc/self/clear_refs", "5");
}

const input = JSON.parse(process.argv[2]!) as MemoryCaseInput;
const store = await openBenchStore(input.spec, input.prefix);
collectGarbage();
const base = statusBytes("VmRSS");
let output: MemoryCaseOutput;
if (input.phase === "commit") {
  const state = makeState(input.bytes);
  resetPeak();
  const before = statusBytes("VmRSS");
  const ms = await timeCommit(store, input.name, state);
  output = { base, before, peak: statusBytes("VmHWM"), ms, checksums: stateChecksums(state) };
} else {
  // memfs lives in this process: the committed bytes must be put there first (and stay resident).
  let expected = input.expected;
  if (input.spec.kind === "memory") {
    const state = makeState(input.bytes);
    expected = stateChecksums(state);
    await timeCommit(store, input.name, state);
  }
  if (expected === undefined) throw new Error("a restore case needs the committed state's checksums");
  resetPeak();
  const before = statusBytes("VmRSS");
  const { ms } = await timeRestore(store, input.name, expected);
  output = { base, before, peak: statusBytes("VmHWM"), ms };
}
await store.close?.();
process.stdout.write(`${JSON.stringify(output)}\n`);
