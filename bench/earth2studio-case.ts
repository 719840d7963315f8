/**
 * The side-by-side case that earth2studio's checkpoint module was measured on, run here on a folder
 * of the local disk with fsync on (the default) and off (`?durable=false`, page cache only, as
 * earth2studio does): a bound state with one small field, append mode, `historySize` 4,
 * `flushInterval` 1, N writes (commits/s, timed until `run()` returns, so the deletions of the
 * commits that retention retires count too); then a 64 MiB state (two float32 arrays of 32 MiB) in
 * overwrite mode, 5 commits (each timed) and one restore. Also the durable small-put rate of the
 * same disk: the physical bound of small commits.
 */
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bindCheckpointState, Checkpoint, checkpointState, typedArray } from "@ckpt/core";
import { z } from "zod";
import { collectGarbage, MiB, type Summary, summarize } from "./stats.js";
import { settleDisk } from "./stores.js";

/** earth2studio's figures from the side-by-side run on this machine (see the benchmark notes). */
export const EARTH2STUDIO = {
  smallCommitsPerSecond: { low: 444, high: 545 },
  commit64MiBMs: { low: 15, high: 46 },
  restore64MiBMs: { low: 15, high: 22 },
} as const;

export interface Earth2StudioCaseResult {
  readonly durable: boolean;
  readonly smallCommits: number;
  readonly smallCommitsPerSecond: number;
  /** The 5 commits of the 64 MiB state, ms each. */
  readonly commit64MiBMs: Summary;
  readonly restore64MiBMs: number;
}

const Small = checkpointState("bench.e2s.Small", z.object({ x: typedArray("float32") }));
const Large = checkpointState(
  "bench.e2s.Large",
  z.object({ a: typedArray("float32"), b: typedArray("float32") }),
);

/** Runs the case on a fresh folder under `dir`. */
export async function earth2studioCase(
  dir: string,
  durable: boolean,
  smallCommits = 500,
): Promise<Earth2StudioCaseResult> {
  const url = `${pathToFileURL(dir).href}${durable ? "" : "?durable=false"}`;
  const small = new Checkpoint("small", {
    store: url,
    mode: "append",
    historySize: 4,
    flushInterval: 1,
    warn: () => {},
  });
  let smallStart = 0;
  await small.run(async (session) => {
    const state = bindCheckpointState(Small, { x: new Float32Array(16) });
    await session.write({ step: 0 });
    smallStart = performance.now();
    for (let i = 1; i <= smallCommits; i++) {
      state.value.x[0] = i;
      await session.write({ step: i });
    }
  });
  // Until run() returns: the deletions of retired commits, which run in the background and can
  // fall behind a tight loop of small commits, are finished by then and count too.
  const smallMs = performance.now() - smallStart;
  await small.close();

  const half = (32 * MiB) / 4;
  const value = { a: new Float32Array(half).fill(1.5), b: new Float32Array(half).fill(-2) };
  const commits: number[] = [];
  const large = new Checkpoint("large", { store: url, flushInterval: 1, warn: () => {} });
  await large.run(async (session) => {
    const state = bindCheckpointState(Large, value);
    for (let i = 0; i < 5; i++) {
      state.value.a[i] = i;
      collectGarbage();
      settleDisk();
      const start = performance.now();
      await session.write({ step: i });
      commits.push(performance.now() - start);
    }
  });
  await large.close();
  collectGarbage();
  settleDisk();
  const reader = new Checkpoint("large", { store: url, flushInterval: null, warn: () => {} });
  const target = { a: new Float32Array(half), b: new Float32Array(half) };
  const start = performance.now();
  await reader.run(async () => {
    if (!bindCheckpointState(Large, target).checkpointStateLoaded)
      throw new Error("64 MiB state not restored");
  });
  const restoreMs = performance.now() - start;
  await reader.close();
  if (target.a[4] !== 4 || target.b[half - 1] !== -2) throw new Error("64 MiB state restored wrong");
  return {
    durable,
    smallCommits,
    smallCommitsPerSecond: smallCommits / (smallMs / 1000),
    commit64MiBMs: summarize(commits),
    restore64MiBMs: restoreMs,
  };
}

/**
 * Durable small puts per second on the disk under `dir`, one after the other: write 1 KiB to a new
 * temp file, fsync, rename it over the target, fsync the folder (what a durable atomic put needs).
 */
export async function durableSmallPutRate(dir: string, puts = 200): Promise<number> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  const body = new Uint8Array(1024).fill(7);
  const syncFolder = async () => {
    const folder = await open(dir, "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  };
  settleDisk();
  const start = performance.now();
  for (let i = 0; i < puts; i++) {
    const temp = join(dir, `.tmp-${i}`);
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, `object-${i % 8}`));
    await syncFolder();
  }
  return puts / ((performance.now() - start) / 1000);
}
