/**
 * One commit of a bound state through the public API: a fresh checkpoint, `run`, bind the state,
 * `flush` with metadata. Only the `flush` is timed (the session start reads an empty catalog).
 */
import { bindCheckpointState, Checkpoint, type Store } from "@ckpt/core";
import { BenchState, type BenchStateValue, changeEveryArray } from "./state.js";

/** Commits `state` as the first row of checkpoint `name`; resolves to the flush's milliseconds. */
export async function timeCommit(store: Store, name: string, state: BenchStateValue): Promise<number> {
  const checkpoint = new Checkpoint(name, { store, flushInterval: null, warn: () => {} });
  let elapsed = Number.NaN;
  await checkpoint.run(async (session) => {
    // A fresh wrapper object per checkpoint: the binding belongs to the object, the arrays are shared.
    bindCheckpointState(BenchState, { ...state });
    const start = performance.now();
    const entry = await session.flush({ leadTime: 6, step: state.step });
    elapsed = performance.now() - start;
    if (entry === undefined) throw new Error(`flush of ${name} committed nothing`);
  });
  await checkpoint.close();
  return elapsed;
}

/**
 * Two more commits into checkpoint `name` (which holds a row: binding restores it), every array
 * changed before each, the first one's retirement of the row before it awaited; resolves to the
 * second's milliseconds. A running job's commit: on disk and memfs it overwrites the files of the
 * commit retired before it. `settle` runs before each commit, untimed.
 */
export async function timeSteadyCommit(
  store: Store,
  name: string,
  state: BenchStateValue,
  settle: () => void,
): Promise<number> {
  const checkpoint = new Checkpoint(name, { store, flushInterval: null, warn: () => {} });
  let elapsed = Number.NaN;
  await checkpoint.run(async (session) => {
    const value = session.bind(BenchState, { ...state }).value;
    for (const timed of [false, true]) {
      changeEveryArray(value, value.step + 1);
      settle();
      const start = performance.now();
      const entry = await session.flush({ leadTime: 6, step: value.step });
      if (timed) elapsed = performance.now() - start;
      if (entry === undefined) throw new Error(`flush of ${name} committed nothing`);
      await session.drain();
    }
  });
  await checkpoint.close();
  return elapsed;
}
