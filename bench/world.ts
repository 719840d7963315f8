/**
 * World restarts: what a rank's commit costs at world sizes 4, 16 and 64 (store calls and
 * sequential round trips), and how long a world restart takes: one rank from the world marker,
 * rank 0 reading every rank's catalog, and the whole world restarting at once. Ranks are
 * in-process checkpoints with distinct `rank` options stepping in lockstep (a barrier per step, as
 * a collective would make), each through its own call-recording wrapper of one store.
 */
import { bindCheckpointState, Checkpoint, checkpointState, type Store } from "@ckpt/core";
import { stepBarrier } from "@ckpt/core/testing";
import { z } from "zod";
import { type CallSummary, CallTimelineStore } from "./call-timeline.js";
import { summarize } from "./stats.js";
import { openBenchStore, type StoreEnv, uniquePrefix } from "./stores.js";

/** World sizes measured. */
export const WORLD_SIZES: readonly number[] = [4, 16, 64];
/** Commits per rank; the first two (the catalog's creation, the world's first rows) are not counted. */
const STEPS = 8;
const WARM_UP = 2;

const RankState = checkpointState(
  "bench.WorldRank",
  z.object({ rank: z.number(), step: z.number(), values: z.array(z.number()) }),
);

/** What one world size costs on one store. */
export interface WorldResult {
  readonly store: string;
  readonly worldSize: number;
  /** Per rank commit, medians over every rank's counted commits. */
  readonly commitCalls: number;
  readonly commitSteps: number;
  /** Calls a commit leaves running when it returns (the retired commit's deletion). */
  readonly commitBackground: number;
  /** The calls of a typical commit, in order. */
  readonly commitOps: string;
  /** Median milliseconds of a rank's commit while every rank commits at once. */
  readonly commitMs: number;
  /** One rank (not 0) restarting alone from a fresh world marker. */
  readonly markerRestart: RestartFigures;
  /** Rank 0 restarting with a stale marker: it reads every rank's catalog and records the marker. */
  readonly scanRestart: RestartFigures;
  /** Every rank restarting at once after more steps (the marker stale): until the last has its session. */
  readonly worldRestart: RestartFigures & { readonly catalogReads: number };
}

/** One restart's store calls, sequential round trips and time. */
export interface RestartFigures {
  readonly calls: number;
  readonly steps: number;
  readonly ms: number;
}

function rankCheckpoint(store: Store, rank: number, worldSize: number): Checkpoint {
  return new Checkpoint("world", { store, rank, worldSize, env: {}, warn: () => {} });
}

/** Every rank steps `steps` times in lockstep from where the world restarts; the counted commits' summaries. */
async function stepWorld(
  stores: readonly CallTimelineStore[],
  worldSize: number,
  steps: number,
  skip: number,
): Promise<{ summaries: CallSummary[]; ms: number[] }> {
  const atStep = stepBarrier(worldSize);
  const summaries: CallSummary[] = [];
  const ms: number[] = [];
  await Promise.all(
    stores.map(async (store, rank) => {
      const checkpoint = rankCheckpoint(store, rank, worldSize);
      await checkpoint.run(async (session) => {
        const state = bindCheckpointState(RankState, { rank, step: 0, values: [] });
        const first = session.writeCount;
        for (let step = first + 1; step <= first + steps; step++) {
          await atStep(step);
          state.value.step = step;
          state.value.values = Array.from({ length: 64 }, (_, i) => rank * 1000 + step + i);
          const mark = store.mark();
          const started = performance.now();
          await session.write({ step });
          if (step - first > skip) {
            ms.push(performance.now() - started);
            summaries.push(store.summarizeSince(mark));
          }
        }
      });
      await checkpoint.close();
    }),
  );
  return { summaries, ms };
}

async function timedRestart(
  store: CallTimelineStore,
  rank: number,
  worldSize: number,
): Promise<RestartFigures> {
  const mark = store.mark();
  const started = performance.now();
  await rankCheckpoint(store, rank, worldSize).open();
  const ms = performance.now() - started;
  const summary = store.summarizeSince(mark);
  return { calls: summary.calls, steps: summary.steps, ms };
}

/** Measures one world size on a running store environment. */
export async function measureWorld(env: StoreEnv, worldSize: number): Promise<WorldResult> {
  const store = await openBenchStore(env.spec, uniquePrefix(`world-${worldSize}`));
  try {
    const stores = Array.from({ length: worldSize }, () => new CallTimelineStore(store));
    const { summaries, ms } = await stepWorld(stores, worldSize, STEPS, WARM_UP);
    const median = (pick: (summary: CallSummary) => number) => summarize(summaries.map(pick)).median;
    const typical = summaries[summaries.length >> 1]!;

    // Rank 0 finds the marker stale (none yet): it reads every catalog and records the marker.
    const scanRestart = await timedRestart(stores[0]!, 0, worldSize);
    const markerRestart = await timedRestart(stores[worldSize - 1]!, worldSize - 1, worldSize);

    // Two more steps make the marker stale; then every rank restarts at once.
    await stepWorld(stores, worldSize, 2, 2);
    const together = new CallTimelineStore(store);
    const mark = together.mark();
    const started = performance.now();
    await Promise.all(stores.map((_, rank) => rankCheckpoint(together, rank, worldSize).open()));
    const wall = performance.now() - started;
    const summary = together.summarizeSince(mark);
    const catalogReads = together.calls.filter(
      (call) => call.op === "get" && call.key.endsWith("/catalog.json"),
    ).length;
    return {
      store: env.spec.kind,
      worldSize,
      commitCalls: median((summary) => summary.calls),
      commitSteps: median((summary) => summary.steps),
      commitBackground: median((summary) => summary.background),
      commitOps: typical.ops,
      commitMs: summarize(ms).median,
      markerRestart,
      scanRestart,
      worldRestart: { calls: summary.calls, steps: summary.steps, ms: wall, catalogReads },
    };
  } finally {
    await store.close?.();
  }
}

/** The "World restarts" section of BENCHMARKS.md. */
export function worldSection(results: readonly WorldResult[]): string {
  const restart = (figures: RestartFigures) =>
    `${figures.calls} calls, ${figures.steps} steps, ${figures.ms.toFixed(0)} ms`;
  return [
    "## World restarts",
    "",
    `In-process ranks with distinct \`rank\` options, in lockstep (a barrier per step), each committing a small state (64 numbers) ${STEPS} times; per rank commit the medians over every rank's commits after the first ${WARM_UP}. A "step" is a sequential round trip. Restarts: a rank other than 0 alone from a fresh world marker; rank 0 with a stale one (it reads every rank's catalog and records the marker); the whole world at once after two more steps (until the last rank has its session).`,
    "",
    "| store | world size | calls per rank commit | steps | left running | a commit, all ranks at once | one rank from the marker | rank 0 scanning | whole world at once | catalog reads, whole world |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...results.map(
      (result) =>
        `| ${result.store} | ${result.worldSize} | ${result.commitCalls} (${result.commitOps}) | ${result.commitSteps} | ${result.commitBackground} | ${result.commitMs.toFixed(1)} ms | ${restart(result.markerRestart)} | ${restart(result.scanRestart)} | ${result.worldRestart.calls} calls, ${result.worldRestart.ms.toFixed(0)} ms | ${result.worldRestart.catalogReads} |`,
    ),
    "",
  ].join("\n");
}
