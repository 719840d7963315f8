/**
 * One restore through the public API: a new `Checkpoint` on the committed name, `run`, bind an
 * empty state (restored from the latest row: catalog, manifest, every object read and verified
 * against its checksum, decoded). The whole `run` is timed; the restored arrays are checked against
 * the original's checksums afterwards.
 */
import { bindCheckpointState, Checkpoint, type Store } from "@ckpt/core";
import { BenchState, type BenchStateValue, emptyState, stateChecksums } from "./state.js";

/** Restores checkpoint `name` and resolves to the milliseconds it took. */
export async function timeRestore(
  store: Store,
  name: string,
  expected: readonly number[],
): Promise<{ ms: number; state: BenchStateValue }> {
  const checkpoint = new Checkpoint(name, { store, flushInterval: null, warn: () => {} });
  const target = emptyState();
  let loaded = false;
  const start = performance.now();
  await checkpoint.run(async () => {
    loaded = bindCheckpointState(BenchState, target).checkpointStateLoaded;
  });
  const ms = performance.now() - start;
  await checkpoint.close();
  if (!loaded) throw new Error(`restore of ${name}: the state was not loaded`);
  const actual = stateChecksums(target);
  if (actual.some((sum, i) => sum !== expected[i]))
    throw new Error(`restore of ${name}: restored arrays differ from the committed ones`);
  return { ms, state: target };
}
