import {
  type CatalogClient,
  type CatalogRow,
  CheckpointCatalogError,
  CheckpointSelectionError,
  NotFoundError,
  openStore,
  PreconditionFailedError,
  type Store,
} from "@ckpt/core";
import { formatBytes } from "../bytes.js";
import { type CheckpointRoot, findCheckpoints, readerFor, rootsOf } from "../checkpoints.js";
import { type CliIo, writeJson } from "../io.js";
import { openDestinationStore } from "../locations.js";
import { ByteProgress } from "../progress.js";

/** Objects copied at once. */
const CONCURRENCY = 4;
/** Reads of a source catalog that keeps changing before giving up. */
const CATALOG_ATTEMPTS = 5;

/** What one copied catalog folder amounted to. */
interface RootCopy {
  readonly root: string;
  readonly rows: number;
  /** Commits whose objects were copied now. */
  readonly copied: number;
  /** Commits found complete and intact at the destination, not copied again. */
  readonly skipped: number;
  readonly objects: number;
  readonly bytes: number;
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await each(items[next++]!);
  });
  await Promise.all(workers);
}

/**
 * The source catalog's raw bytes together with its rows, read so that both describe the same
 * catalog version (a writer may be committing while we copy).
 */
async function readSourceCatalog(
  src: Store,
  reader: CatalogClient,
): Promise<{ bytes: Uint8Array; rows: readonly CatalogRow[] }> {
  for (let attempt = 0; attempt < CATALOG_ATTEMPTS; attempt++) {
    const rows = await reader.rows();
    let bytes: Uint8Array;
    try {
      bytes = (await src.get(reader.catalogKey)).bytes;
    } catch (error) {
      if (error instanceof NotFoundError) return { bytes: new Uint8Array(), rows: [] };
      throw error;
    }
    let rawIds: unknown[] = [];
    try {
      const raw = JSON.parse(new TextDecoder().decode(bytes)) as { rows?: { commitId?: unknown }[] };
      rawIds = (raw.rows ?? []).map((row) => row.commitId);
    } catch {
      continue; // replaced mid-read by a damaged write, or damaged: rows() rebuilds it next round
    }
    if (rawIds.length === rows.length && rawIds.every((id, index) => id === rows[index]!.commitId))
      return { bytes, rows };
  }
  throw new CheckpointCatalogError(reader.root, "the source catalog kept changing while it was being read");
}

/**
 * Whether the destination already holds this commit complete: the same manifest bytes and every
 * object matching it.
 */
async function completeAtDestination(
  dst: Store,
  dstReader: CatalogClient,
  row: CatalogRow,
  manifestBytes: Uint8Array,
): Promise<boolean> {
  try {
    const existing = await dst.get(`${dstReader.commitFolder(row.commitId)}/manifest.json`);
    if (Buffer.compare(existing.bytes, manifestBytes) !== 0) return false;
    await dstReader.verify(row);
    return true;
  } catch {
    return false;
  }
}

async function copyRoot(
  io: CliIo,
  src: Store,
  dst: Store,
  name: string,
  root: CheckpointRoot,
): Promise<RootCopy> {
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  const srcReader = await readerFor(src, name, root, warn);
  const dstReader = await readerFor(dst, name, root, warn);
  // The destination catalog as it is now: it is replaced only if still this version at the end.
  const before = await dst.head(dstReader.catalogKey);
  const { bytes: catalogBytes, rows } = await readSourceCatalog(src, srcReader);

  const plans = [];
  for (const row of rows) {
    const manifest = await srcReader.manifest(row);
    const manifestBytes = (await src.get(`${srcReader.commitFolder(row.commitId)}/manifest.json`)).bytes;
    plans.push({ row, manifest, manifestBytes });
  }
  const progress = new ByteProgress(io.stderr, `cp ${root.root}`, {
    bytes: plans.reduce((sum, plan) => sum + plan.manifest.objects.reduce((s, o) => s + o.size, 0), 0),
    objects: plans.reduce((sum, plan) => sum + plan.manifest.objects.length, 0),
  });

  let copied = 0;
  let skipped = 0;
  for (const { row, manifest, manifestBytes } of plans) {
    if (await completeAtDestination(dst, dstReader, row, manifestBytes)) {
      skipped++;
      for (const object of manifest.objects) progress.advance(object.size);
      progress.step(`${row.commitId} already complete at the destination`);
      continue;
    }
    const folder = dstReader.commitFolder(row.commitId);
    await mapLimit(manifest.objects, CONCURRENCY, async (object) => {
      // readObject checks size and checksum against the source manifest.
      const bytes = await srcReader.readObject(manifest, object.key);
      await dst.put(`${folder}/${object.key}`, bytes);
      progress.advance(object.size);
    });
    await dst.put(`${folder}/manifest.json`, manifestBytes);
    // Read every object back from the destination through its checksum.
    await dstReader.verify(row);
    copied++;
    progress.step(`${row.commitId} copied and verified`);
  }

  if (rows.length > 0) {
    try {
      await dst.put(
        dstReader.catalogKey,
        catalogBytes,
        before === undefined ? { ifNoneMatch: "*" } : { ifMatch: before.version },
      );
    } catch (error) {
      if (error instanceof PreconditionFailedError)
        throw new CheckpointCatalogError(
          root.root,
          `the destination catalog ${dstReader.catalogKey} changed while copying; it was left as it is (run the copy again)`,
          { cause: error },
        );
      throw error;
    }
  }
  progress.done(rows.length === 0 ? "nothing to copy (no rows)" : "catalog written");
  const objects = plans.reduce((sum, plan) => sum + plan.manifest.objects.length, 0);
  const bytes = plans.reduce((sum, plan) => sum + plan.manifest.objects.reduce((s, o) => s + o.size, 0), 0);
  return { root: root.root, rows: rows.length, copied, skipped, objects, bytes };
}

/**
 * `ckpt cp <src> <dst> [name]`: copies one checkpoint, or every checkpoint under `src`. For each
 * catalog folder, every row's objects are copied (checked against the source manifest on the way
 * and read back from the destination), then the row's manifest, and the destination catalog is
 * written last by compare-and-swap: an interrupted copy leaves the destination catalog untouched.
 */
export async function copyCommand(
  io: CliIo,
  srcUrl: string,
  dstUrl: string,
  name: string | undefined,
  options: { json: boolean },
): Promise<void> {
  const src = await openStore(srcUrl);
  const dst = await openDestinationStore(dstUrl);
  try {
    const names = name === undefined ? (await findCheckpoints(src)).map((found) => found.name) : [name];
    if (names.length === 0) throw new CheckpointSelectionError("*", `no checkpoints in ${src.url}`);
    const results: { name: string; roots: RootCopy[] }[] = [];
    for (const checkpoint of names) {
      const roots: RootCopy[] = [];
      for (const root of await rootsOf(src, checkpoint))
        roots.push(await copyRoot(io, src, dst, checkpoint, root));
      results.push({ name: checkpoint, roots });
    }
    if (options.json) {
      writeJson(io, { source: src.url, destination: dst.url, checkpoints: results });
      return;
    }
    for (const result of results)
      for (const root of result.roots)
        io.stdout.write(
          `copied ${root.root}: ${root.rows} row(s), ${root.copied} commit(s) copied, ${root.skipped} already there, ${root.objects} objects, ${formatBytes(root.bytes)}\n`,
        );
  } finally {
    await src.close?.();
    await dst.close?.();
  }
}
