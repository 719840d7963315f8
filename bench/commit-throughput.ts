/**
 * One commit of a bound state through the public API: a fresh checkpoint, `run`, bind the state,
 * `flush` with metadata. Only the `flush` is timed (the session start reads an empty catalog).
 */
import { bindCheckpointState, Checkpoint, type Store } from "@ckpt/core";
import { BenchState, type BenchStateValue } from "./state.js";

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
