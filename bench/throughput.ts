/**
 * Commit and restore throughput of one state size on one store, against the raw baselines measured
 * in the same runs. Each run uses fresh prefixes; odd runs measure ckpt first and even runs the raw
 * baseline first, so neither always meets a warmer cache or a fuller server.
 */
import { timeCommit, timeSteadyCommit } from "./commit-throughput.js";
import { rawRead, rawWrite } from "./raw-baselines.js";
import { timeRestore } from "./restore.js";
import { arrayBytes, makeState, stateChecksums } from "./state.js";
import { collectGarbage } from "./stats.js";
import {
  emptyStore,
  openBenchStore,
  openRaw,
  type StoreEnv,
  type StoreSpec,
  settleDisk,
  uniquePrefix,
} from "./stores.js";

export interface ThroughputResult {
  readonly store: StoreSpec["kind"];
  /** Bytes of array data in the state (the numerator of every throughput). */
  readonly bytes: number;
  readonly commitMs: number[];
  readonly rawWriteMs: number[];
  readonly restoreMs: number[];
  readonly rawReadMs: number[];
  /**
   * Disk and memfs: the third commit into the run's checkpoint, every array changed (the second,
   * untimed, retired the first): a running job's commit, which on these stores overwrites the
   * files of the commit retired before it. Absent in older results and on S3 and GCS.
   */
  readonly steadyCommitMs?: number[];
}

/** Stores whose steady commits differ from the first (see {@link ThroughputResult.steadyCommitMs}). */
const STEADY_STORES: readonly StoreSpec["kind"][] = ["fs", "memory"];

/** Measures `runs` runs of commit, raw write, restore and raw read of a `bytes` state. */
export async function measureThroughput(
  env: StoreEnv,
  bytes: number,
  runs: number,
  log: (line: string) => void = () => {},
): Promise<ThroughputResult> {
  const { spec } = env;
  const result: ThroughputResult = {
    store: spec.kind,
    bytes,
    commitMs: [],
    rawWriteMs: [],
    restoreMs: [],
    rawReadMs: [],
    ...(STEADY_STORES.includes(spec.kind) ? { steadyCommitMs: [] } : {}),
  };
  let state: ReturnType<typeof makeState> | undefined = makeState(bytes);
  const parts = arrayBytes(state);
  const expected = stateChecksums(state);
  // Each timed step starts with the heap collected and, on disk, no writeback left by the last.
  const settle = () => {
    collectGarbage();
    if (spec.kind === "fs") settleDisk();
  };
  for (let run = 0; run < runs; run++) {
    const prefix = uniquePrefix(`tp-${bytes}-${run}`);
    const store = await openBenchStore(spec, prefix);
    const raw = await openRaw(spec, `${prefix}-raw`);
    try {
      const ckptFirst = run % 2 === 1;
      const commit = async () => {
        settle();
        result.commitMs.push(await timeCommit(store, "bench", state!));
      };
      const write = async () => {
        settle();
        result.rawWriteMs.push(await rawWrite(raw, parts));
      };
      const restore = async () => {
        settle();
        result.restoreMs.push((await timeRestore(store, "bench", expected)).ms);
      };
      const read = async () => {
        settle();
        result.rawReadMs.push(await rawRead(raw, parts));
      };
      for (const step of ckptFirst ? [commit, write, restore, read] : [write, commit, read, restore])
        await step();
      if (result.steadyCommitMs !== undefined)
        result.steadyCommitMs.push(await timeSteadyCommit(store, "bench", state, settle));
      const steady = result.steadyCommitMs?.at(-1);
      log(
        `  run ${run + 1}/${runs}: commit ${result.commitMs.at(-1)!.toFixed(1)} ms, raw write ${result.rawWriteMs.at(-1)!.toFixed(1)} ms, restore ${result.restoreMs.at(-1)!.toFixed(1)} ms, raw read ${result.rawReadMs.at(-1)!.toFixed(1)} ms${steady === undefined ? "" : `, steady commit ${steady.toFixed(1)} ms`}`,
      );
    } finally {
      await emptyStore(store).catch(() => {});
      await raw.clear().catch(() => {});
      await store.close?.();
      await raw.close();
      await env.reclaim();
    }
  }
  state = undefined;
  collectGarbage();
  return result;
}
