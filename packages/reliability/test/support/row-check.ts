/**
 * What every crash and race test checks of a checkpoint after the fact: the catalog reads, every
 * row verifies (each object read back through its checksum) and restores whole (every element of
 * the restored arrays equals the row's write count), and after `gc({ olderThan: 0 })` the store
 * holds exactly the bytes the rows reference, with no temp file, lock or incomplete upload.
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Checkpoint, type CheckpointEntry, listAllArray, type Manifest, type Store } from "@ckpt/core";
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

/** What one `gc({ olderThan: 0 })` after a kill removed. */
export interface GcFigures {
  /** Unreferenced commit folders. */
  readonly removed: number;
  /** Leftovers the store's sweep removed (temp files, locks, empty folders, incomplete uploads). */
  readonly leftovers: number;
  readonly leftoverBytes: number;
}

/**
 * Runs `gc({ olderThan: 0 })` and checks that it left exactly what the rows reference: every
 * object under `<root>/` is `catalog.json` or an object of a row's manifest (the manifest
 * included), the listed bytes are their sum, and a second sweep finds nothing. With `folder` (the
 * store's folder on disk) the disk itself is walked: its bytes, hidden files included, must be the
 * same sum, and no folder may be empty.
 */
export async function gcLeavesOnlyReferenced(
  checkpoint: Checkpoint,
  store: Store,
  folder?: string,
): Promise<GcFigures> {
  const { removed, leftovers } = await checkpoint.gc({ olderThan: 0 });
  const rows = await checkpoint.catalog();
  const root = checkpoint.root;
  const prefix = `${root}/commits/`;
  // What the rows reference: each manifest and the objects it lists, in the row's own folder or,
  // reused (incremental commits), at the `location` of an earlier commit's object.
  const sizes = new Map<string, number>();
  for (const entry of rows) {
    const manifestKey = `${prefix}${entry.commitId}/manifest.json`;
    const manifest = await store.get(manifestKey);
    sizes.set(manifestKey, manifest.bytes.byteLength);
    const objects = (JSON.parse(Buffer.from(manifest.bytes).toString("utf8")) as Manifest).objects;
    for (const object of objects)
      sizes.set(
        object.location === undefined
          ? `${prefix}${entry.commitId}/${object.key}`
          : `${root}/${object.location}`,
        object.size,
      );
  }
  for (const info of await listAllArray(store, prefix))
    if (!sizes.has(info.key)) throw new Error(`unreferenced object left after gc: ${info.key}`);
  const listed = await listAllArray(store, `${root}/`);
  for (const info of listed)
    if (!info.key.startsWith(prefix) && info.key !== `${root}/catalog.json`)
      throw new Error(`unexpected object beside the catalog: ${info.key}`);

  // The bytes the rows reference, each object once, plus the catalog.
  let expected = listed.find((info) => info.key === `${root}/catalog.json`)?.size ?? 0;
  for (const size of sizes.values()) expected += size;
  const listedBytes = listed.reduce((sum, info) => sum + info.size, 0);
  if (listedBytes !== expected)
    throw new Error(`after gc the store lists ${listedBytes} bytes; the rows reference ${expected}`);
  const again = await store.sweep?.(`${root}/`, { olderThan: 0, dryRun: true });
  if (again !== undefined && again.count !== 0)
    throw new Error(
      `gc left ${again.count} leftovers (${again.bytes} bytes) that a second sweep would remove`,
    );
  if (folder !== undefined) {
    const disk = await diskUsage(join(folder, ...root.split("/")));
    if (disk.emptyFolders.length > 0)
      throw new Error(`empty folders left after gc: ${disk.emptyFolders.join(", ")}`);
    if (disk.bytes !== expected)
      throw new Error(
        `after gc the disk holds ${disk.bytes} bytes (${disk.hidden.join(", ")}); the rows reference ${expected}`,
      );
  }
  return { removed: removed.length, leftovers: leftovers.count, leftoverBytes: leftovers.bytes };
}

/** Bytes of every file under `path` (hidden ones too), the hidden `.ckpt-` files, and empty folders. */
async function diskUsage(path: string): Promise<{ bytes: number; hidden: string[]; emptyFolders: string[] }> {
  let bytes = 0;
  const hidden: string[] = [];
  const emptyFolders: string[] = [];
  // A child killed before its first commit leaves no folder at all: nothing is held.
  const entries = await readdir(path, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  for (const entry of entries) {
    const full = join(path, entry);
    const stats = await lstat(full);
    if (stats.isDirectory()) {
      if ((await readdir(full)).length === 0) emptyFolders.push(entry);
    } else {
      bytes += stats.size;
      if (entry.split("/").at(-1)!.startsWith(".ckpt-")) hidden.push(entry);
    }
  }
  return { bytes, hidden, emptyFolders };
}
