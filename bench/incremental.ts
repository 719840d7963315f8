/**
 * Incremental commits: a state of `arrays` float64 arrays (default 16 × 64 MiB = 1 GiB) of which
 * one changes per commit, committed synchronously. Measures, in one run per store:
 * - full: a commit with `incremental: false` (every byte uploaded), the reference, in overwrite
 *   mode (each commit retires the row before it, as a running job's commits do);
 * - changed: commits where one array changed, with incremental commits on (the default): time
 *   against the full commit, in overwrite mode as the full ones; bytes uploaded per commit against
 *   the changed bytes, and the time again, in append mode (the growth loop below);
 * - growth: the store's bytes after `commits` such commits in append mode (every row kept)
 *   against state + commits × changed bytes;
 * - all changed: every array changes, incremental on against off (the digest's cost when
 *   nothing can be reused), on and off alternating run by run, each in a folder of its own;
 * - raw: after each changed commit, a raw write (durable on disk) of the changed array's bytes as
 *   one new object in a new folder, the least the commit could cost on the medium at that moment.
 *
 * Run alone: `node --import tsx --conditions=@ckpt/source bench/incremental.ts --stores fs
 * --size 64MiB --arrays 16 --commits 5` (or `pnpm bench --only incremental`).
 */
import { randomFillSync } from "node:crypto";
import { parseArgs } from "node:util";
import {
  Checkpoint,
  checkpointState,
  ForwardingStore,
  listAllArray,
  type Store,
  type StoreCall,
  typedArray,
} from "@ckpt/core";
import { z } from "zod";
import { coreDigester } from "./content-digest.js";
import { formatSize, parseSize } from "./stats.js";
import {
  openBenchStore,
  openRaw,
  type StoreKind,
  type StoreSpec,
  settleDisk,
  startStore,
  uniquePrefix,
} from "./stores.js";

/** What one store's incremental run measured. */
export interface IncrementalResult {
  readonly store: StoreKind;
  readonly stateBytes: number;
  readonly arrays: number;
  readonly commits: number;
  /** Median ms of a full commit (incremental off, one array changed; overwrite mode). */
  readonly fullMs: number;
  /**
   * Median ms of a commit with one array changed, incremental on, in overwrite mode as the full
   * commits (each retires the row before it, as a running job's commits do). Older results: append.
   */
  readonly changedMs: number;
  /**
   * The same in append mode (every row kept, so every changed array is a new object and nothing
   * is retired), from the loop that measures the bytes and the growth. Absent in older results.
   */
  readonly changedAppendMs?: number | undefined;
  /** Median bytes put per changed commit (objects, manifest and catalog). */
  readonly uploadedBytes: number;
  /** Bytes of the one changed array. */
  readonly changedBytes: number;
  /** Bytes under the checkpoint after the first commit and `commits` changed ones (append mode). */
  readonly storedBytes: number;
  /** Median ms to digest the whole state once (XXH3-128 by core's implementation, as a commit does), in the same run. */
  readonly digestMs: number;
  /** Median ms of a commit where every array changed: incremental on, and off. */
  readonly allChangedMs: { readonly incremental: number; readonly full: number };
  /**
   * Median ms of a raw write (durable on disk) of the changed array's bytes as one new object,
   * taken after each changed commit, in the same loop: the least a changed commit can cost on this
   * medium at that moment. Absent in older results.
   */
  readonly rawChangedMs?: number | undefined;
}

/** Counts the bytes of every put that reaches the store. */
class PutMeter extends ForwardingStore {
  bytes = 0;
  protected override around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (call.op === "put") {
      const { body } = call;
      if (body instanceof Uint8Array) this.bytes += body.byteLength;
      else if (Array.isArray(body)) for (const chunk of body as Uint8Array[]) this.bytes += chunk.byteLength;
      else this.bytes += call.options?.size ?? 0;
    }
    return run();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function stateType(arrays: number) {
  return checkpointState(
    "bench.Incremental",
    z.object(Object.fromEntries(Array.from({ length: arrays }, (_, i) => [`a${i}`, typedArray("float64")]))),
  );
}

/**
 * Commits `steps` times with `change(step)` applied to the state before each write, and resolves
 * to each commit's ms and bytes put (the first commit, which creates the checkpoint, is left out).
 */
async function commitLoop(
  store: Store,
  spec: StoreSpec,
  state: Record<string, Float64Array>,
  options: {
    incremental: boolean;
    mode: "append" | "overwrite";
    steps: number;
    change: (state: Record<string, Float64Array>, step: number) => void;
    /** After each commit (untimed in `ms`): a raw write of what changed, its ms in `rawMs`. */
    rawAfter?: ((state: Record<string, Float64Array>, step: number) => Promise<number>) | undefined;
  },
): Promise<{ ms: number[]; bytes: number[]; rawMs: number[] }> {
  const meter = new PutMeter(store);
  const type = stateType(Object.keys(state).length);
  const checkpoint = new Checkpoint("incremental", {
    store: meter,
    mode: options.mode,
    incremental: options.incremental,
    cleanup: "await",
    env: {},
  });
  const ms: number[] = [];
  const bytes: number[] = [];
  const rawMs: number[] = [];
  await checkpoint.run(async (session) => {
    const bound = session.bind(type, state);
    await session.write({ step: 0 });
    for (let step = 1; step <= options.steps; step++) {
      options.change(bound.value as Record<string, Float64Array>, step);
      if (spec.kind === "fs") settleDisk();
      meter.bytes = 0;
      const start = performance.now();
      await session.write({ step });
      ms.push(performance.now() - start);
      bytes.push(meter.bytes);
      if (options.rawAfter !== undefined) {
        if (spec.kind === "fs") settleDisk();
        rawMs.push(await options.rawAfter(bound.value as Record<string, Float64Array>, step));
      }
    }
  });
  await checkpoint.close();
  return { ms, bytes, rawMs };
}

/** Measures one store; `state` is allocated here (random bytes, so no two arrays are equal). */
export async function measureIncremental(
  spec: StoreSpec,
  options: { stateBytes: number; arrays: number; commits: number; runs: number },
  log: (line: string) => void = () => {},
): Promise<IncrementalResult> {
  const length = Math.floor(options.stateBytes / options.arrays / 8);
  const state: Record<string, Float64Array> = {};
  for (let i = 0; i < options.arrays; i++) state[`a${i}`] = randomFillSync(new Float64Array(length));
  // Every change writes a value never written before: the runs share the arrays.
  let edits = 0;
  const changeOne = (value: Record<string, Float64Array>, step: number) => {
    value[`a${step % options.arrays}`]![step] = ++edits;
  };
  const changeAll = (value: Record<string, Float64Array>, step: number) => {
    for (const array of Object.values(value)) array[step] = ++edits;
  };
  const inFolder = async <T>(label: string, run: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openBenchStore(spec, uniquePrefix(label));
    try {
      return await run(store);
    } finally {
      const keys = (await listAllArray(store, "")).map((info) => info.key);
      for (let start = 0; start < keys.length; start += 1000)
        await store.delete(keys.slice(start, start + 1000));
      await store.close?.();
    }
  };
  const digest = await coreDigester();
  const digestMs: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const start = performance.now();
    for (const array of Object.values(state)) digest([new Uint8Array(array.buffer)]);
    digestMs.push(performance.now() - start);
  }
  // Overwrite-mode commits of `change`, `options.runs` of them, in a folder of their own.
  const overwriteRuns = (
    label: string,
    incremental: boolean,
    change: typeof changeOne,
    steps = options.runs,
  ) =>
    inFolder(label, (store) =>
      commitLoop(store, spec, state, { incremental, mode: "overwrite", steps, change }),
    );
  log(`${spec.kind}: full commits (incremental off), ${options.runs} runs`);
  const full = await overwriteRuns("inc-full", false, changeOne);
  log(`${spec.kind}: ${options.commits} commits with one array changed (incremental on, overwrite)`);
  const changedOverwrite = await overwriteRuns("inc-changed-overwrite", true, changeOne, options.commits);
  log(`${spec.kind}: ${options.commits} commits with one array changed (incremental on, append)`);
  const raw = await openRaw(spec, uniquePrefix("inc-raw"));
  const changed = await inFolder("inc-changed", async (store) => {
    try {
      const loop = await commitLoop(store, spec, state, {
        incremental: true,
        mode: "append",
        steps: options.commits,
        change: changeOne,
        rawAfter: async (value, step) => {
          const array = value[`a${step % options.arrays}`]!;
          // A new object in a new folder each time, as the commit writes: on this disk, writing a
          // new file slows down after a few GiB of writes while rewriting one file does not.
          const start = performance.now();
          await raw.write(
            `step-${step}/changed`,
            new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
          );
          return performance.now() - start;
        },
      });
      const stored = (await listAllArray(store, "")).reduce((sum, info) => sum + info.size, 0);
      return { ...loop, stored };
    } finally {
      await raw.clear();
      await raw.close();
    }
  });
  log(`${spec.kind}: every array changed, incremental on and off, ${options.runs} runs each, alternating`);
  // On and off alternate, each run in a folder of its own, so that neither always meets the
  // disk after the other's writes (this disk slows down after sustained writes).
  const allOn: number[] = [];
  const allOff: number[] = [];
  for (let run = 0; run < options.runs; run++)
    for (const incremental of run % 2 === 0 ? [true, false] : [false, true]) {
      const loop = await inFolder(incremental ? "inc-all-on" : "inc-all-off", (store) =>
        commitLoop(store, spec, state, { incremental, mode: "overwrite", steps: 1, change: changeAll }),
      );
      (incremental ? allOn : allOff).push(...loop.ms);
    }
  return {
    store: spec.kind,
    stateBytes: length * 8 * options.arrays,
    arrays: options.arrays,
    commits: options.commits,
    fullMs: median(full.ms),
    changedMs: median(changedOverwrite.ms),
    changedAppendMs: median(changed.ms),
    uploadedBytes: median(changed.bytes),
    changedBytes: length * 8,
    storedBytes: changed.stored,
    digestMs: median(digestMs),
    allChangedMs: { incremental: median(allOn), full: median(allOff) },
    rawChangedMs: median(changed.rawMs),
  };
}

/** The issue's targets: changed commit ≤ 0.15 × full, bytes ≤ 1.1 × changed, exact growth, all-changed no slower. */
export const INCREMENTAL_TARGETS = { timeRatio: 0.15, bytesRatio: 1.1, allChangedRatio: 1.1 } as const;

/** The headline rows (target, measured, met) of the results. */
export function incrementalHeadlines(
  results: readonly IncrementalResult[],
): { target: string; measured: string; met: boolean }[] {
  const rows: { target: string; measured: string; met: boolean }[] = [];
  for (const r of results) {
    const state = `${formatSize(r.stateBytes)} on ${r.store}, 1 of ${r.arrays} arrays changed`;
    const raw =
      r.rawChangedMs === undefined
        ? ""
        : `; a raw write of the changed bytes took ${r.rawChangedMs.toFixed(0)} ms = ${(r.rawChangedMs / r.fullMs).toFixed(3)} × the full commit`;
    rows.push({
      target: `Incremental commit, ${state}: time ≤ ${INCREMENTAL_TARGETS.timeRatio} × a full commit`,
      measured: `${(r.changedMs / r.fullMs).toFixed(3)} × (${r.changedMs.toFixed(0)} vs ${r.fullMs.toFixed(0)} ms${raw})`,
      met: r.changedMs <= INCREMENTAL_TARGETS.timeRatio * r.fullMs,
    });
    const expected = r.stateBytes + r.commits * r.changedBytes;
    rows.push({
      target: `Incremental commit, ${state}: bytes uploaded ≤ ${INCREMENTAL_TARGETS.bytesRatio} × the changed bytes; growth over ${r.commits} commits ≈ state + ${r.commits} × changed`,
      measured: `${(r.uploadedBytes / r.changedBytes).toFixed(3)} ×; ${(r.storedBytes / expected).toFixed(4)} × (${formatSize(r.storedBytes)})`,
      met:
        r.uploadedBytes <= INCREMENTAL_TARGETS.bytesRatio * r.changedBytes &&
        r.storedBytes <= 1.01 * expected,
    });
    const all = r.allChangedMs.incremental / r.allChangedMs.full;
    rows.push({
      target: `Incremental commit, ${formatSize(r.stateBytes)} on ${r.store}, everything changed: no slower than incremental off (≤ ${INCREMENTAL_TARGETS.allChangedRatio} ×)`,
      measured: `${all.toFixed(2)} × (${r.allChangedMs.incremental.toFixed(0)} vs ${r.allChangedMs.full.toFixed(0)} ms)`,
      met: all <= INCREMENTAL_TARGETS.allChangedRatio,
    });
  }
  return rows;
}

/** The BENCHMARKS.md rows of the results. */
export function incrementalRows(results: readonly IncrementalResult[]): string[] {
  const rows = [
    "| store | state | full commit | one array changed | ratio | raw write of the changed bytes | digest of the state | uploaded / changed | store after 1 + N commits | state + N × changed | all changed: on / off |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results)
    rows.push(
      `| ${r.store} | ${formatSize(r.stateBytes)} = ${r.arrays} × ${formatSize(r.stateBytes / r.arrays)} | ${r.fullMs.toFixed(0)} ms | ${r.changedMs.toFixed(0)} ms${r.changedAppendMs === undefined ? "" : ` (append: ${r.changedAppendMs.toFixed(0)} ms)`} | ${(r.changedMs / r.fullMs).toFixed(3)} × | ${r.rawChangedMs === undefined ? "–" : `${r.rawChangedMs.toFixed(0)} ms`} | ${r.digestMs.toFixed(0)} ms | ${(r.uploadedBytes / r.changedBytes).toFixed(3)} × | ${formatSize(r.storedBytes)} (N = ${r.commits}) | ${formatSize(r.stateBytes + r.commits * r.changedBytes)} | ${r.allChangedMs.incremental.toFixed(0)} / ${r.allChangedMs.full.toFixed(0)} ms (${(r.allChangedMs.incremental / r.allChangedMs.full).toFixed(2)} ×) |`,
    );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      stores: { type: "string", default: "fs" },
      size: { type: "string", default: "1GiB" },
      arrays: { type: "string", default: "16" },
      commits: { type: "string", default: "20" },
      runs: { type: "string", default: "3" },
    },
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: IncrementalResult[] = [];
  for (const kind of values.stores.split(",") as StoreKind[]) {
    const env = await startStore(kind, log);
    try {
      results.push(
        await measureIncremental(
          env.spec,
          {
            stateBytes: parseSize(values.size),
            arrays: Number(values.arrays),
            commits: Number(values.commits),
            runs: Number(values.runs),
          },
          log,
        ),
      );
    } finally {
      await env.stop();
    }
  }
  console.log(incrementalRows(results).join("\n"));
  console.log(JSON.stringify(results));
}
