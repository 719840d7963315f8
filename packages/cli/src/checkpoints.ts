import {
  CatalogClient,
  CatalogReader,
  CheckpointSelectionError,
  listAll,
  openStore,
  parseLayoutKey,
  type Store,
} from "@ckpt/core";
import type { CliIo } from "./io.js";

/**
 * Opens the store of `url`, runs a command's body with it and a warning printer (stderr), and
 * closes the store whatever happens.
 */
export async function withCommandStore<T>(
  io: CliIo,
  url: string,
  body: (store: Store, warn: (message: string) => void) => Promise<T>,
): Promise<T> {
  const store = await openStore(url);
  try {
    return await body(store, (message) => io.stderr.write(`warning: ${message}\n`));
  } finally {
    await store.close?.();
  }
}

/** One catalog folder of a checkpoint: the checkpoint itself, or one rank of it. */
export interface CheckpointRoot {
  /** The folder in the store (core's layout: the name, or the name and a rank folder). */
  readonly root: string;
  /** The rank for a ranked folder. */
  readonly rank: number | undefined;
}

/** What a listing of a store found about one checkpoint. */
export interface FoundCheckpoint {
  readonly name: string;
  readonly roots: CheckpointRoot[];
  objects: number;
  bytes: number;
  lastModified: Date | undefined;
}

/** Every checkpoint under `prefix` (the whole store by default), by listing its keys. */
export async function findCheckpoints(store: Store, prefix = ""): Promise<FoundCheckpoint[]> {
  const found = new Map<string, FoundCheckpoint>();
  for await (const info of listAll(store, prefix)) {
    const located = parseLayoutKey(info.key);
    if (located === undefined) continue;
    let entry = found.get(located.name);
    if (entry === undefined) {
      entry = { name: located.name, roots: [], objects: 0, bytes: 0, lastModified: undefined };
      found.set(located.name, entry);
    }
    if (!entry.roots.some((root) => root.root === located.root))
      entry.roots.push({ root: located.root, rank: located.rank });
    entry.objects += 1;
    entry.bytes += info.size;
    if (entry.lastModified === undefined || info.lastModified > entry.lastModified)
      entry.lastModified = info.lastModified;
  }
  const list = [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of list) entry.roots.sort((a, b) => (a.rank ?? -1) - (b.rank ?? -1));
  return list;
}

/**
 * The catalog folders of checkpoint `name` (one, or one per rank), optionally only `rank`.
 * None found: `CheckpointSelectionError`.
 */
export async function rootsOf(store: Store, name: string, rank?: number): Promise<CheckpointRoot[]> {
  const [entry] = (await findCheckpoints(store, `${name}/`)).filter((found) => found.name === name);
  const roots = (entry?.roots ?? []).filter((root) => rank === undefined || root.rank === rank);
  if (roots.length === 0)
    throw new CheckpointSelectionError(
      name,
      rank === undefined
        ? `no checkpoint named "${name}" in ${store.url}`
        : `no rank ${rank} of checkpoint "${name}" in ${store.url}`,
    );
  return roots;
}

/** A read-only view of one checkpoint folder: it never writes (a damaged catalog is rebuilt in memory). */
export function readerFor(
  store: Store,
  name: string,
  root: CheckpointRoot,
  warn: (message: string) => void,
): CatalogReader {
  return new CatalogReader({ store, checkpoint: name, root: root.root, warn });
}

/**
 * A writer of one checkpoint folder for the commands that change it (gc, rm, repair, cp's
 * destination). It adopts the checkpoint's recorded mode and commits nothing itself.
 */
export function writerFor(
  store: Store,
  name: string,
  root: CheckpointRoot,
  warn: (message: string) => void,
): CatalogClient {
  return new CatalogClient({ store, checkpoint: name, root: root.root, rank: root.rank, warn });
}

/** Picks a row by position (`-1` latest) or commit id. */
export function pickRow<T extends { readonly commitId: string }>(
  rows: readonly T[],
  which: string,
  name: string,
): T {
  if (rows.length === 0)
    throw new CheckpointSelectionError(name, "No checkpoint entries match this selection.");
  if (/^-?\d+$/.test(which)) {
    const index = Number(which);
    const row = rows.at(index);
    if (row === undefined)
      throw new CheckpointSelectionError(
        name,
        `row ${index} is out of range (the catalog has ${rows.length} rows)`,
      );
    return row;
  }
  const row = rows.find((candidate) => candidate.commitId === which);
  if (row === undefined) throw new CheckpointSelectionError(name, `no row with commit id ${which}`);
  return row;
}

/** Bytes held by objects no row references (unreferenced commit folders and store leftovers). */
export async function unreferencedBytes(reader: CatalogReader): Promise<number> {
  const plan = await reader.unreferenced({ olderThan: 0 });
  return plan.bytes + plan.leftovers.bytes;
}
