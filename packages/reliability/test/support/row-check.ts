/**
 * What every crash and race test checks of a checkpoint after the fact: the catalog reads, every
 * row verifies (each object read back through its checksum) and restores whole (every element of
 * the restored arrays equals the row's write count), and after `gc({ olderThan: 0 })` nothing is
 * left under `commits/` that no row references.
 */
import { type Checkpoint, type CheckpointEntry, listAllArray, type Store } from "@ckpt/core";
import { Field, fieldProblem, initialField } from "./workload.js";

/**
 * Restores every row (all labels) and checks it is whole; throws naming the row on the first
 * problem. A restore reads every object of the row through its size and checksum, so it verifies
 * the row too; `verified` (commit ids) additionally gets `checkpoint.verify` once per row, the
 * first time the row is seen (rows are immutable, and the restore re-reads everything anyway).
 */
export async function checkEveryRow(
  checkpoint: Checkpoint,
  verified: Set<string> = new Set(),
  expectedWrite: (entry: CheckpointEntry) => number = (entry) => entry.writeCount,
): Promise<readonly CheckpointEntry[]> {
  const rows = await checkpoint.catalog();
  for (const [index, entry] of rows.entries()) {
    if (!verified.has(entry.commitId)) {
      await checkpoint.verify(entry);
      verified.add(entry.commitId);
    }
    const session = await checkpoint.select(index);
    if (session.commitId !== entry.commitId)
      throw new Error(`select(${index}) gave ${session.commitId}, expected ${entry.commitId}`);
    const field = session.bind(Field, initialField());
    const problem = fieldProblem(field.value, expectedWrite(entry));
    if (problem !== undefined) throw new Error(`row ${entry.commitId} restored wrong: ${problem}`);
  }
  return rows;
}

/**
 * Runs `gc({ olderThan: 0 })` and returns the number of folders it removed, after checking that
 * every object left under `<root>/commits/` belongs to a row of the catalog.
 */
export async function gcLeavesOnlyReferenced(checkpoint: Checkpoint, store: Store): Promise<number> {
  const { removed } = await checkpoint.gc({ olderThan: 0 });
  const referenced = new Set((await checkpoint.catalog()).map((entry) => entry.commitId));
  const prefix = `${checkpoint.root}/commits/`;
  for (const info of await listAllArray(store, prefix)) {
    const commitId = info.key.slice(prefix.length).split("/")[0]!;
    if (!referenced.has(commitId)) throw new Error(`unreferenced object left after gc: ${info.key}`);
  }
  for (const info of await listAllArray(store, `${checkpoint.root}/`))
    if (!info.key.startsWith(prefix) && info.key !== `${checkpoint.root}/catalog.json`)
      throw new Error(`unexpected object beside the catalog: ${info.key}`);
  return removed.length;
}
