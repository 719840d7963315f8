/**
 * Async against sync commits: how long `write()` blocks the caller, and how much of the commit a
 * 20-step loop hides when each compute step takes about one commit time; plus the peak RSS of async
 * commits (fresh child process per case, disk only: memfs would hold the stored copy in RAM too).
 *
 *   npx tsx --conditions=@ckpt/source bench/async-commits.ts --stores fs,memory --sizes 64MiB \
 *     [--runs 5] [--steps 20] [--memory-sizes 256MiB] [--cleanup await]
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
import { BenchState, makeState } from "./state.js";
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
  /** The 20-step loop: compute per step, and the loop's wall time sync and async. */
  readonly steps: number;
  readonly computeMs: number;
  readonly syncLoopMs: number;
  readonly asyncLoopMs: number;
}

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
      state.step += 1;
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

async function loop(
  spec: StoreSpec,
  bytes: number,
  steps: number,
  computeMs: number,
  async: boolean,
  cleanup: Cleanup,
) {
  const store = await openBenchStore(spec, uniquePrefix(`async-loop-${async}-${bytes}`));
  const checkpoint = new Checkpoint("async-loop", { store, async, cleanup, warn: () => {}, env: {} });
  let ms = 0;
  await checkpoint.run(async (session) => {
    const state = session.bind(BenchState, makeState(bytes)).value;
    await session.write();
    await session.drain();
    const started = performance.now();
    for (let step = 0; step < steps; step++) {
      await sleep(computeMs);
      state.step += 1;
      state.mask[0] = step & 0xff;
      await session.write();
    }
    await session.drain();
    ms = performance.now() - started;
  });
  await checkpoint.close();
  await store.close?.();
  return ms;
}

/** Blocking time of `write()` and the loop, async against sync, on one store. */
export async function measureAsyncCommits(
  spec: StoreSpec,
  bytes: number,
  options: { runs: number; steps: number; cleanup?: Cleanup },
): Promise<AsyncCommitResult> {
  const { cleanup } = options;
  const syncWriteMs = median(await timedWrites(spec, bytes, options.runs, false, cleanup));
  const asyncWriteMs = median(await timedWrites(spec, bytes, options.runs, true, cleanup));
  const computeMs = Math.max(1, Math.round(syncWriteMs));
  const syncLoopMs = await loop(spec, bytes, options.steps, computeMs, false, cleanup);
  const asyncLoopMs = await loop(spec, bytes, options.steps, computeMs, true, cleanup);
  return {
    store: spec.kind,
    bytes,
    syncWriteMs,
    asyncWriteMs,
    steps: options.steps,
    computeMs,
    syncLoopMs,
    asyncLoopMs,
  };
}

/** The share of the commit time the async loop hides: 1 − (loop − compute) / (steps × commit). */
export function hiddenShare(result: AsyncCommitResult): number {
  const exposed = result.asyncLoopMs - result.steps * result.computeMs;
  return 1 - exposed / (result.steps * result.syncWriteMs);
}

/** Rows for a headline table: one per store and size. */
export function asyncCommitRows(results: readonly AsyncCommitResult[]): string[] {
  const rows = [
    "| store | state | sync `write()` blocks | async `write()` blocks | ratio | loop steps | loop, sync | loop, async | commit time hidden |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const result of results)
    rows.push(
      `| ${result.store} | ${formatSize(result.bytes)} | ${result.syncWriteMs.toFixed(1)} ms | ${result.asyncWriteMs.toFixed(1)} ms | ${(result.asyncWriteMs / result.syncWriteMs).toFixed(2)} | ${result.steps} | ${(result.syncLoopMs / 1000).toFixed(2)} s | ${(result.asyncLoopMs / 1000).toFixed(2)} s | ${(100 * hiddenShare(result)).toFixed(0)} % |`,
    );
  return rows;
}

/** The BENCHMARKS.md section of the async measurements. */
export function asyncCommitSection(results: readonly AsyncCommitResult[]): string {
  return [
    "## Async commits",
    "",
    "How long `write()` blocks the caller with `async: true` against sync commits (median), and a",
    "loop whose compute step (an awaited timer) lasts one sync commit. Targets: the async",
    "loop hides ≥ 80 % of the commit time; an async 64 MiB `write()` blocks ≤ 0.25 × the sync commit on disk.",
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
    state.step += 1;
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

async function memoryInChild(spec: StoreSpec, bytes: number): Promise<AsyncMemoryResult> {
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
        });
        console.error(JSON.stringify(result));
        results.push(result);
      }
      if (kind === "fs")
        for (const size of values["memory-sizes"].split(",").filter((item) => item !== "")) {
          const result = await memoryInChild(env.spec, parseSize(size));
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
