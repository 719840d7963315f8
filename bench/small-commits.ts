/**
 * Small commits: how many commits per second a job can make, and what each costs in store calls
 * and sequential steps (round trips the caller waits for). Measured through the public API with
 * `flushInterval: 1` (every `write` commits), on a store wrapped in a {@link CallTimelineStore}, after
 * one warm-up commit so the catalog is cached and no other writer intervenes.
 */
import {
  bindCheckpointState,
  Checkpoint,
  type CheckpointMode,
  checkpointState,
  type Store,
} from "@ckpt/core";
import { type CallSummary, CallTimelineStore } from "./call-timeline.js";
import { BenchState, changeEveryArray, makeState } from "./state.js";
import { summarize } from "./stats.js";

export interface SmallCommitCase {
  /** Human label, e.g. "metadata only, overwrite". */
  readonly label: string;
  readonly mode: CheckpointMode;
  readonly cleanup: "await" | "background";
  /** Bytes of each bound state (0: metadata only). */
  readonly stateBytes: number;
  /** Bound states (each of `stateBytes`, 5 objects each); default 1 when `stateBytes` > 0. */
  readonly states?: number;
}

export interface SmallCommitResult {
  readonly label: string;
  readonly mode: CheckpointMode;
  readonly cleanup: "await" | "background";
  readonly stateBytes: number;
  readonly commits: number;
  readonly commitsPerSecond: number;
  /** Median over the commits. */
  readonly calls: number;
  readonly steps: number;
  readonly background: number;
  /** The calls of one typical commit, in order. */
  readonly ops: string;
  /** Store objects per commit besides manifest and catalog (state.json and .npy files). */
  readonly stateObjects: number;
}

/** The cases run on every store. */
export const SMALL_COMMIT_CASES: readonly SmallCommitCase[] = [
  { label: "metadata only", mode: "overwrite", cleanup: "await", stateBytes: 0 },
  { label: "metadata only", mode: "overwrite", cleanup: "background", stateBytes: 0 },
  { label: "metadata only", mode: "append", cleanup: "await", stateBytes: 0 },
  { label: "1 KiB state", mode: "overwrite", cleanup: "await", stateBytes: 1024 },
  { label: "1 KiB state", mode: "overwrite", cleanup: "background", stateBytes: 1024 },
  { label: "1 KiB state", mode: "append", cleanup: "await", stateBytes: 1024 },
  { label: "8 states of 1 KiB", mode: "append", cleanup: "await", stateBytes: 1024, states: 8 },
];

/** State types beyond the first, for cases with several bound states (same schema, other ids). */
const extraStates = Array.from({ length: 15 }, (_, i) =>
  checkpointState(`bench.Extra${i + 1}`, BenchState.schema),
);

/** Runs `commits` commits of one case on `store` (a fresh, empty store). */
export async function smallCommits(
  store: Store,
  name: string,
  spec: SmallCommitCase,
  commits: number,
): Promise<SmallCommitResult> {
  const counting = new CallTimelineStore(store);
  const checkpoint = new Checkpoint(name, {
    store: counting,
    mode: spec.mode,
    historySize: spec.mode === "append" ? null : 1,
    flushInterval: 1,
    cleanup: spec.cleanup,
    warn: () => {},
  });
  const summaries: CallSummary[] = [];
  let ms = 0;
  await checkpoint.run(async (session) => {
    const values =
      spec.stateBytes > 0
        ? [BenchState, ...extraStates].slice(0, spec.states ?? 1).map((type, i) => {
            const value = makeState(spec.stateBytes, i + 1);
            bindCheckpointState(type, value);
            return value;
          })
        : [];
    await session.write({ leadTime: 0 });
    const start = performance.now();
    for (let i = 1; i <= commits; i++) {
      // Every commit stores changed states, as a job's would (nothing for incremental commits to reuse).
      for (const value of values) changeEveryArray(value, i);
      const mark = counting.mark();
      const entry = await session.write({ leadTime: i * 6, step: i });
      if (entry === undefined) throw new Error(`write ${i} of ${name} did not commit`);
      summaries.push(counting.summarizeSince(mark));
      counting.reset();
    }
    ms = performance.now() - start;
  });
  await checkpoint.close();
  const median = (pick: (s: CallSummary) => number) => summarize(summaries.map(pick)).median;
  const typical = summaries[summaries.length >> 1]!;
  return {
    label: spec.label,
    mode: spec.mode,
    cleanup: spec.cleanup,
    stateBytes: spec.stateBytes,
    commits,
    commitsPerSecond: commits / (ms / 1000),
    calls: median((s) => s.calls),
    steps: median((s) => s.steps),
    background: median((s) => s.background),
    ops: typical.ops,
    stateObjects: spec.stateBytes > 0 ? 5 * (spec.states ?? 1) : 0,
  };
}
