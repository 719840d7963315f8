/**
 * Async against sync commits: how long `write()` blocks the caller, and how much of the commit a
 * 20-step loop hides when each compute step takes about one commit time; plus the peak RSS of async
 * commits (fresh child process per case, disk only: memfs would hold the stored copy in RAM too).
 *
 *   npx tsx --conditions=@ckpt/source bench/async-commits.ts --stores fs,memory --sizes 64MiB \
 *     [--runs 5] [--steps 20] [--memory-sizes 256MiB] [--cleanup await] [--max-in-flight 2] [--timeline]
 *
 * `--max-in-flight` sets the loops' `maxInFlight` (the library's default otherwise). `--timeline`
 * records every store call of the loops and prints each step's write() and calls in
 * time, with the main thread's busy time over the loop.
 *
 * The compute step is an `await` of a timer: the job's main thread is free meanwhile, as it is while
 * it waits for a GPU, a worker thread or a subprocess. A step that keeps the main thread busy in
 * JavaScript also delays the upload's event-loop turns (the file system's writes still proceed in
 * libuv's thread pool).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Checkpoint } from "@ckpt/core";
import { collectOutput } from "@ckpt/test-servers";
import { CallTimelineStore, type RecordedCall } from "./call-timeline.js";
import { BenchState, changeEveryArray, makeState } from "./state.js";
import { formatSize, MiB, parseSize, summarize } from "./stats.js";
import { openBenchStore, type StoreKind, type StoreSpec, startStore, uniquePrefix } from "./stores.js";

/** One store and state size, async against sync. */
export interface AsyncCommitResult {
  readonly store: StoreKind;
  readonly bytes: number;
  /** Median ms a sync `write()` blocks: the whole commit. */
  readonly syncWriteMs: number;
  /** Median ms an async `write()` blocks: the capture. */
  readonly asyncWriteMs: number;
  /**
   * The 20-step loop: the async loop's compute per step (the sync loop's median commit, the
   * commit time the target is measured against), and the loop's wall time sync and async.
   */
  readonly steps: number;
  readonly computeMs: number;
  /**
   * The sync loop's compute per step: the median sync `write()` measured before the loops. Absent
   * in older results, whose async loop computed this long too.
   */
  readonly syncComputeMs?: number | undefined;
  readonly syncLoopMs: number;
  readonly asyncLoopMs: number;
  /**
   * The commit time the loop's target is measured against: the median sync `write()` inside the
   * sync loop (the same conditions as the loops). Absent in older results: `syncWriteMs` then.
   */
  readonly loopCommitMs?: number | undefined;
  /**
   * How late the compute timers fired, summed over the loop: the main thread was busy when they
   * were due (other work on the machine in both loops; the background upload's JavaScript in the
   * async one). Absent in older results.
   */
  readonly syncTimersLateMs?: number | undefined;
  readonly asyncTimersLateMs?: number | undefined;
}

/** The loop's target: loop time ≤ compute + this share of the commit time (≥ 80 % hidden). */
export const EXPOSED_SHARE_TARGET = 0.2;
/** The blocking target: an async 64 MiB `write()` on disk blocks ≤ this share of the sync commit. */
export const ASYNC_BLOCKING_TARGET = 0.25;

/** Peak RSS of async commits of one state size, over the process's RSS before the state existed. */
export interface AsyncMemoryResult {
  readonly bytes: number;
  readonly commits: number;
  readonly baseMiB: number;
  readonly peakOverBaseMiB: number;
  /** The target: 2 × state + 128 MiB. */
  readonly limitMiB: number;
}

const median = (values: readonly number[]) => summarize(values).median;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When commits delete the commits they retired (the checkpoint option); the default is the library's. */
type Cleanup = "await" | "background" | undefined;

async function timedWrites(
  spec: StoreSpec,
  bytes: number,
  runs: number,
  async: boolean,
  cleanup: Cleanup,
): Promise<number[]> {
  const store = await openBenchStore(spec, uniquePrefix(`async-${async}-${bytes}`));
  const checkpoint = new Checkpoint("async-bench", { store, async, cleanup, warn: () => {}, env: {} });
  const times: number[] = [];
  await checkpoint.run(async (session) => {
    const state = session.bind(BenchState, makeState(bytes)).value;
    // One warm-up commit: the store's folders, the catalog and (async) the buffer pool exist after it.
    await session.write();
    await session.drain();
    for (let run = 0; run < runs; run++) {
      changeEveryArray(state, state.step + 1);
      const started = performance.now();
      await session.write();
      times.push(performance.now() - started);
      // Each sample starts with nothing in flight.
      await session.drain();
    }
  });
  await checkpoint.close();
  await store.close?.();
  return times;
}

/** How the loops' checkpoints are set up beyond the defaults, and whether to print a timeline. */
interface LoopSettings {
  readonly cleanup?: Cleanup;
  readonly maxInFlight?: number | undefined;
  readonly timeline?: boolean | undefined;
}

async function loop(
  spec: StoreSpec,
  bytes: number,
  steps: number,
  computeMs: number,
  async: boolean,
  settings: LoopSettings,
) {
  const { cleanup, timeline, maxInFlight } = settings;
  const opened = await openBenchStore(spec, uniquePrefix(`async-loop-${async}-${bytes}`));
  const recorder = timeline === true ? new CallTimelineStore(opened) : undefined;
  const store = recorder ?? opened;
  const checkpoint = new Checkpoint("async-loop", {
    store,
    async,
    cleanup,
    maxInFlight,
    warn: () => {},
    env: {},
  });
  let ms = 0;
  let timersLateMs = 0;
  let started = 0;
  let mainBusyMs = 0;
  const writeMs: number[] = [];
  const writes: { start: number; end: number }[] = [];
  await checkpoint.run(async (session) => {
    const state = session.bind(BenchState, makeState(bytes)).value;
    await session.write();
    await session.drain();
    recorder?.reset();
    const utilization = performance.eventLoopUtilization();
    started = performance.now();
    for (let step = 0; step < steps; step++) {
      const computing = performance.now();
      await sleep(computeMs);
      timersLateMs += Math.max(0, performance.now() - computing - computeMs);
      changeEveryArray(state, state.step + 1);
      const writing = performance.now();
      await session.write();
      writeMs.push(performance.now() - writing);
      writes.push({ start: writing, end: performance.now() });
    }
    await session.drain();
    ms = performance.now() - started;
    mainBusyMs = performance.eventLoopUtilization(utilization).active;
  });
  await checkpoint.close();
  await store.close?.();
  if (recorder !== undefined) printTimeline(async, started, computeMs, writes, recorder, mainBusyMs, ms);
  return { ms, timersLateMs, writeMs };
}

// The loop in time, one line per step (ms since the loop started): when write() was called and
// returned, and the store calls that started during the step. Run with --timeline.
function printTimeline(
  async: boolean,
  started: number,
  computeMs: number,
  writes: readonly { start: number; end: number }[],
  recorder: CallTimelineStore,
  mainBusyMs: number,
  loopMs: number,
): void {
  const at = (ms: number | undefined) => (ms === undefined ? "…" : (ms - started).toFixed(0));
  const name = (key: string) => key.split("/").at(-1) ?? key;
  console.error(
    `${async ? "async" : "sync"} loop: ${(loopMs / 1000).toFixed(2)} s, compute ${computeMs} ms a step, main thread busy ${mainBusyMs.toFixed(0)} ms`,
  );
  let from = started;
  for (const [step, write] of writes.entries()) {
    const until = writes[step + 1]?.start ?? Number.POSITIVE_INFINITY;
    const calls = recorder.calls
      .filter((call) => call.startMs >= from && call.startMs < until)
      .map((call) => `${call.op}(${name(call.key)}) ${at(call.startMs)}–${at(call.endMs)}`);
    console.error(
      `  step ${step}: write ${at(write.start)}–${at(write.end)} (${(write.end - write.start).toFixed(1)} ms); ${calls.join(", ")}`,
    );
    from = until;
  }
  console.error(`  ${summarizeTimeline(writes, recorder.calls)}`);
}

/**
 * What a loop's timeline adds up to: each commit's upload (its first put to the end of its catalog
 * put) and deletions (the retired commit's, summed), the capture (the shortest write()), and the
 * steps whose write() was called before the previous commit was durable (commit-bound steps).
 */
export function summarizeTimeline(
  writes: readonly { start: number; end: number }[],
  calls: readonly RecordedCall[],
): string {
  const uploads: number[] = [];
  const swaps: number[] = [];
  const deletions: number[] = [];
  let first: number | undefined;
  let deleting = 0;
  for (const call of calls) {
    if (call.endMs === undefined) continue;
    if (call.op === "delete") deleting += call.endMs - call.startMs;
    if (call.op !== "put") continue;
    first ??= call.startMs;
    if (!call.key.endsWith("catalog.json")) continue;
    uploads.push(call.endMs - first);
    swaps.push(call.endMs);
    if (uploads.length > 1) deletions.push(deleting);
    deleting = 0;
    first = undefined;
  }
  if (uploads.length > 1) deletions.push(deleting);
  const bound = writes.filter((write, step) => step > 0 && (swaps[step - 1] ?? 0) > write.start).length;
  const ms = (values: readonly number[]) => (values.length === 0 ? "–" : `${median(values).toFixed(0)} ms`);
  return `medians: upload ${ms(uploads)}, deletions ${ms(deletions)}, write() ${ms(writes.map((write) => write.end - write.start))} (shortest ${Math.min(...writes.map((write) => write.end - write.start)).toFixed(1)} ms); write() called before the previous commit was durable: ${bound} of ${writes.length - 1} steps`;
}

/** Blocking time of `write()` and the loop, async against sync, on one store. */
export async function measureAsyncCommits(
  spec: StoreSpec,
  bytes: number,
  options: { runs: number; steps: number } & LoopSettings,
): Promise<AsyncCommitResult> {
  const { cleanup } = options;
  const syncWriteMs = median(await timedWrites(spec, bytes, options.runs, false, cleanup));
  const asyncWriteMs = median(await timedWrites(spec, bytes, options.runs, true, cleanup));
  const syncComputeMs = Math.max(1, Math.round(syncWriteMs));
  const sync = await loop(spec, bytes, options.steps, syncComputeMs, false, options);
  // The async loop computes for one commit time as the target counts it (the sync loop's median
  // commit): a compute step set from the separate sync writes drifted to 0.9-1.45 × that commit on
  // a loaded machine, and the hidden share followed the ratio more than the library.
  const computeMs = Math.max(1, Math.round(median(sync.writeMs)));
  const async = await loop(spec, bytes, options.steps, computeMs, true, options);
  return {
    store: spec.kind,
    bytes,
    syncWriteMs,
    asyncWriteMs,
    steps: options.steps,
    computeMs,
    syncComputeMs,
    syncLoopMs: sync.ms,
    asyncLoopMs: async.ms,
    loopCommitMs: median(sync.writeMs),
    syncTimersLateMs: sync.timersLateMs,
    asyncTimersLateMs: async.timersLateMs,
  };
}

/** The commit time of one step that the loop's target counts (see {@link AsyncCommitResult.loopCommitMs}). */
function commitMs(result: AsyncCommitResult): number {
  return result.loopCommitMs ?? result.syncWriteMs;
}

/**
 * The loop's limit, the target "loop time ≤ compute + 0.2 × commit time" summed over the steps:
 * steps × (compute + 0.2 × commit).
 */
export function loopLimitMs(result: AsyncCommitResult): number {
  return result.steps * (result.computeMs + EXPOSED_SHARE_TARGET * commitMs(result));
}

/**
 * The share of the commit time the async loop hides: 1 − (loop − steps × compute) / (steps ×
 * commit). ≥ 80 % exactly when the loop is within {@link loopLimitMs}. The loop's last commit has
 * no compute after it to hide behind: it alone exposes 1 / steps (5 % of 20 steps).
 */
export function hiddenShare(result: AsyncCommitResult): number {
  const exposed = result.asyncLoopMs - result.steps * result.computeMs;
  return 1 - exposed / (result.steps * commitMs(result));
}

/** Whether the async loop met its target. */
export function loopMet(result: AsyncCommitResult): boolean {
  return result.asyncLoopMs <= loopLimitMs(result);
}

/** Whether an async `write()` blocks ≤ 0.25 × the sync one: a target for 64 MiB on disk only. */
function blockingTarget(result: AsyncCommitResult): boolean | undefined {
  if (result.store !== "fs" || result.bytes !== 64 * MiB) return undefined;
  return result.asyncWriteMs <= ASYNC_BLOCKING_TARGET * result.syncWriteMs;
}

const mark = (met: boolean | undefined) => (met === undefined ? "" : met ? " ✓" : " ✗");

/** The async targets for the headline table of `bench/run.ts`. */
export function asyncCommitHeadlines(
  results: readonly AsyncCommitResult[],
  memory: readonly AsyncMemoryResult[] = [],
): { target: string; measured: string; met: boolean }[] {
  const rows: { target: string; measured: string; met: boolean }[] = [];
  for (const result of results) {
    const blocking = blockingTarget(result);
    if (blocking !== undefined)
      rows.push({
        target: `Async ${formatSize(result.bytes)} write() on ${result.store} blocks ≤ ${ASYNC_BLOCKING_TARGET} × the sync commit`,
        measured: `${(result.asyncWriteMs / result.syncWriteMs).toFixed(2)} × (${result.asyncWriteMs.toFixed(1)} vs ${result.syncWriteMs.toFixed(1)} ms)`,
        met: blocking,
      });
  }
  for (const result of memory)
    rows.push({
      target: `Peak RSS of async ${formatSize(result.bytes)} commits on disk ≤ 2 × state + 128 MiB`,
      measured: `${result.peakOverBaseMiB} MiB over the process before the state (limit ${result.limitMiB} MiB; ${result.commits} commits)`,
      met: result.peakOverBaseMiB <= result.limitMiB,
    });
  for (const result of results)
    rows.push({
      target: `Async ${formatSize(result.bytes)} on ${result.store}: ${result.steps}-step loop ≤ compute + ${EXPOSED_SHARE_TARGET} × commit time (≥ ${100 * (1 - EXPOSED_SHARE_TARGET)} % hidden)`,
      measured: `${(result.asyncLoopMs / 1000).toFixed(2)} s vs limit ${(loopLimitMs(result) / 1000).toFixed(2)} s: ${(100 * hiddenShare(result)).toFixed(0)} % hidden`,
      met: loopMet(result),
    });
  return rows;
}

/** Rows for a headline table: one per store and size. */
export function asyncCommitRows(results: readonly AsyncCommitResult[]): string[] {
  const rows = [
    "| store | state | sync `write()` blocks | async `write()` blocks | ratio | steps × compute | sync commit in loop | loop, sync | loop, async | limit: compute + 0.2 × commit | commit time hidden | timers late, sync / async |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const late = (ms: number | undefined) => (ms === undefined ? "–" : `${ms.toFixed(0)} ms`);
  for (const result of results)
    rows.push(
      `| ${result.store} | ${formatSize(result.bytes)} | ${result.syncWriteMs.toFixed(1)} ms | ${result.asyncWriteMs.toFixed(1)} ms | ${(result.asyncWriteMs / result.syncWriteMs).toFixed(2)}${mark(blockingTarget(result))} | ${result.steps} × ${result.computeMs} ms${result.syncComputeMs !== undefined && result.syncComputeMs !== result.computeMs ? ` (${result.syncComputeMs} ms)` : ""} | ${commitMs(result).toFixed(0)} ms | ${seconds(result.syncLoopMs)} | ${seconds(result.asyncLoopMs)} | ${seconds(loopLimitMs(result))} | ${(100 * hiddenShare(result)).toFixed(0)} %${mark(loopMet(result))} | ${late(result.syncTimersLateMs)} / ${late(result.asyncTimersLateMs)} |`,
    );
  return rows;
}

/** The BENCHMARKS.md section of the async measurements. */
export function asyncCommitSection(results: readonly AsyncCommitResult[]): string {
  return [
    "## Async commits",
    "",
    "How long `write()` blocks the caller with `async: true` against sync commits (median), and a",
    "loop whose compute step (an awaited timer) lasts one sync commit. Targets: the async loop",
    "hides ≥ 80 % of the commit time, i.e. loop time ≤ steps × (compute + 0.2 × commit time), the",
    "commit time being the median sync `write()` in the sync loop, which is also the async loop's",
    "compute step (the sync loop computes for the median sync `write()` measured before it, in",
    "brackets when it differs); an async 64 MiB `write()` blocks ≤ 0.25 × the sync commit on disk.",
    "✓/✗ mark both.",
    "",
    ...asyncCommitRows(results),
    "",
  ].join("\n");
}

// The memory case, in its own process: RSS before the state exists, then three async commits of it
// (the second and third reuse the first one's pooled buffers), then the process's peak RSS.
async function memoryCase(spec: StoreSpec, bytes: number, commits: number): Promise<AsyncMemoryResult> {
  const store = await openBenchStore(spec, uniquePrefix(`async-memory-${bytes}`));
  const checkpoint = new Checkpoint("async-memory", { store, async: true, warn: () => {}, env: {} });
  const session = await checkpoint.open();
  const base = process.memoryUsage.rss();
  const state = session.bind(BenchState, makeState(bytes)).value;
  for (let commit = 0; commit < commits; commit++) {
    changeEveryArray(state, state.step + 1);
    await session.write();
  }
  await session.drain();
  await checkpoint.close();
  const peak = process.resourceUsage().maxRSS * 1024;
  return {
    bytes,
    commits,
    baseMiB: Math.round(base / MiB),
    peakOverBaseMiB: Math.round((peak - base) / MiB),
    limitMiB: Math.round((2 * bytes + 128 * MiB) / MiB),
  };
}

/** Peak RSS of three async commits of a `bytes` state, measured in a fresh child process. */
export async function measureAsyncMemory(spec: StoreSpec, bytes: number): Promise<AsyncMemoryResult> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [...process.execArgv, script, "--memory-case", JSON.stringify({ spec, bytes })],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const { code, stdout, stderr } = await collectOutput(child);
  const line = stdout.trim().split("\n").at(-1);
  if (code !== 0 || line === undefined)
    throw new Error(`memory case failed (${code}): ${stderr.slice(-2000)}`);
  return JSON.parse(line) as AsyncMemoryResult;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stores: { type: "string", default: "fs,memory" },
      sizes: { type: "string", default: "64MiB" },
      runs: { type: "string", default: "5" },
      steps: { type: "string", default: "20" },
      "memory-sizes": { type: "string", default: "" },
      "memory-case": { type: "string" },
      cleanup: { type: "string" },
      timeline: { type: "boolean", default: false },
      "max-in-flight": { type: "string" },
    },
  });
  if (values["memory-case"] !== undefined) {
    const { spec, bytes } = JSON.parse(values["memory-case"]) as { spec: StoreSpec; bytes: number };
    console.log(JSON.stringify(await memoryCase(spec, bytes, 3)));
    process.exit(0);
  }
  const results: AsyncCommitResult[] = [];
  const memory: AsyncMemoryResult[] = [];
  for (const kind of values.stores.split(",") as StoreKind[]) {
    const env = await startStore(kind, (line) => console.error(line));
    try {
      for (const size of values.sizes.split(",")) {
        const result = await measureAsyncCommits(env.spec, parseSize(size), {
          runs: Number(values.runs),
          steps: Number(values.steps),
          cleanup: values.cleanup as Cleanup,
          timeline: values.timeline,
          maxInFlight: values["max-in-flight"] === undefined ? undefined : Number(values["max-in-flight"]),
        });
        console.error(JSON.stringify(result));
        results.push(result);
      }
      if (kind === "fs")
        for (const size of values["memory-sizes"].split(",").filter((item) => item !== "")) {
          const result = await measureAsyncMemory(env.spec, parseSize(size));
          console.error(JSON.stringify(result));
          memory.push(result);
        }
    } finally {
      await env.stop();
    }
  }
  console.log(asyncCommitRows(results).join("\n"));
  if (memory.length > 0) {
    console.log(
      "\n| state | async commits | peak RSS over base | limit (2 × state + 128 MiB) |\n|---|---|---|---|",
    );
    for (const item of memory)
      console.log(
        `| ${formatSize(item.bytes)} | ${item.commits} | ${item.peakOverBaseMiB} MiB | ${item.limitMiB} MiB |`,
      );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
