/**
 * World-consistent restarts (DESIGN §6): the write boundaries every rank of a world committed,
 * found by reading each rank's catalog once, read-only, with bounded concurrency. A restart reads
 * the world marker (`world-marker.ts`) first and scans only when it cannot trust it.
 */

import { type CatalogRow, type Labels, labelsEqual } from "./commit/catalog-format.js";
import { CatalogReader, type CatalogView } from "./commit/catalog-reader.js";
import { mapBounded } from "./commit/pool.js";
import { type RetryOptions, retryPolicy } from "./commit/retry.js";
import { CheckpointWorldError } from "./errors.js";
import { checkpointRoot } from "./layout.js";
import type { Store } from "./store/types.js";
import { readWorldMarker } from "./world-marker.js";

/** One write boundary of a world: the labels and the write count every rank committed. */
export interface WorldBoundary {
  readonly labels: Labels;
  readonly writeCount: number;
}

/** One rank's catalog, as a world read found it. */
export interface WorldRank {
  readonly rank: number;
  /** The rank's rows, oldest first. */
  readonly rows: readonly CatalogRow[];
  /** As {@link CatalogView.source}: `"rebuilt"` when the rank's catalog was missing or damaged. */
  readonly source: CatalogView["source"];
}

/** A boundary the world marker records: what the last restart that read every catalog chose. */
export interface MarkedBoundary extends WorldBoundary {
  /** The labels that restart selected by; `null` when it gave none. */
  readonly selection: Labels | null;
}

/** Every rank's catalog of a world checkpoint, and the boundaries all of them hold. */
export interface WorldView {
  readonly worldSize: number;
  /** Ranks `0 … worldSize-1`, in order. */
  readonly ranks: readonly WorldRank[];
  /** The boundaries every rank holds (rows recording this world size), oldest first. */
  readonly complete: readonly WorldBoundary[];
  /**
   * What the world marker (`<name>/world.json`) records for this world size, one boundary per
   * selection; empty when it is missing, damaged or of another world size.
   */
  readonly marked: readonly MarkedBoundary[];
}

/** Options of {@link readWorld}. */
export interface ReadWorldOptions {
  readonly store: Store;
  /** The checkpoint's name: ranks live under `<name>/rank_NNNNNN`. */
  readonly name: string;
  readonly worldSize: number;
  /** Catalog reads in flight at once. Default 8. */
  readonly concurrency?: number | undefined;
  readonly retry?: RetryOptions | undefined;
  /** Receives warnings (a rank's catalog rebuilt in memory). */
  readonly warn?: ((message: string) => void) | undefined;
  /** Ranks already read (e.g. the caller's own), not read again. */
  readonly known?: ReadonlyMap<number, WorldRank> | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reads the catalog of every rank `0 … worldSize-1` once (the ranks in `known` excepted), each
 * with a read-only {@link CatalogReader}: a missing or damaged rank catalog is rebuilt in memory
 * from its manifests, with a warning; and the world marker. Makes no write.
 *
 * @example
 * const world = await readWorld({ store, name: "train", worldSize: 4 });
 * world.complete.at(-1); // { labels: {}, writeCount: 120 }
 */
export async function readWorld(options: ReadWorldOptions): Promise<WorldView> {
  const marker = readWorldMarker(options.store, options.name, retryPolicy(options.retry), options.signal);
  marker.catch(() => {});
  const ranks = Array.from({ length: options.worldSize }, (_, rank) => rank);
  const read = await mapBounded(ranks, options.concurrency ?? 8, options.signal, async (rank, signal) => {
    const known = options.known?.get(rank);
    if (known !== undefined) return known;
    const reader = new CatalogReader({
      store: options.store,
      checkpoint: options.name,
      root: checkpointRoot(options.name, rank),
      retry: options.retry,
      warn: options.warn,
    });
    const view = await reader.read({ signal });
    return { rank, rows: view.rows, source: view.source };
  });
  const file = (await marker).file;
  return {
    worldSize: options.worldSize,
    ranks: read,
    complete: worldBoundaries(
      read.map((rank) => rank.rows),
      options.worldSize,
    ),
    marked:
      file?.worldSize === options.worldSize
        ? file.entries.map(({ selection, labels, writeCount }) => ({ selection, labels, writeCount }))
        : [],
  };
}

function boundaryKey(row: { readonly labels: Labels; readonly writeCount: number }): string {
  const labels = Object.entries(row.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${row.writeCount}\u0000${JSON.stringify(labels)}`;
}

/**
 * The boundaries (labels, write count) that every rank's rows hold with this world size, oldest
 * first: by write count, then by rank 0's catalog order, so every rank computes the same order.
 */
export function worldBoundaries(
  rowsByRank: readonly (readonly CatalogRow[])[],
  worldSize: number,
): WorldBoundary[] {
  if (rowsByRank.length === 0) return [];
  const held = rowsByRank.map(
    (rows) => new Set(rows.filter((row) => row.worldSize === worldSize).map(boundaryKey)),
  );
  const order = new Map<string, { boundary: WorldBoundary; position: number }>();
  rowsByRank[0]!.forEach((row, position) => {
    const key = boundaryKey(row);
    if (held.every((keys) => keys.has(key)))
      order.set(key, { boundary: { labels: row.labels, writeCount: row.writeCount }, position });
  });
  return [...order.values()]
    .sort((a, b) => a.boundary.writeCount - b.boundary.writeCount || a.position - b.position)
    .map((item) => item.boundary);
}

/** The rows whose labels match `wanted` (all rows when `undefined`). */
export function matchingRows<T extends { readonly labels: Labels }>(
  rows: readonly T[],
  wanted: Labels | undefined,
): readonly T[] {
  if (wanted === undefined) return rows;
  return rows.filter((row) =>
    Object.entries(wanted).every(
      ([key, value]) => Object.hasOwn(row.labels, key) && row.labels[key] === value,
    ),
  );
}

/**
 * The boundary a world restart takes: the newest complete one whose labels match `wanted`.
 * `undefined` (with the reason) when some rank holds no matching row: the world never completed a
 * boundary, so every rank starts afresh.
 *
 * @throws CheckpointWorldError when a rank's rows record another world size (naming both), or every
 * rank holds matching rows but no boundary is held by all.
 */
export function chooseWorldBoundary(
  view: WorldView,
  wanted: Labels | undefined,
  checkpoint: string,
): { boundary: WorldBoundary; reason?: undefined } | { boundary: undefined; reason: string } {
  const perRank = view.ranks.map((rank) => matchingRows(rank.rows, wanted));
  perRank.forEach((rows, rank) => {
    const newest = rows.at(-1);
    if (newest !== undefined && !rows.some((row) => row.worldSize === view.worldSize))
      throw new CheckpointWorldError(
        checkpoint,
        `rank ${rank}'s rows were written by a world of ${newest.worldSize} ranks, but this run has worldSize ${view.worldSize}. A world restart needs the same world size; restore each rank's own row with restart: "rank", or start afresh under other labels or another name.`,
        { worldSize: view.worldSize, recordedWorldSize: newest.worldSize },
      );
  });
  const boundary = matchingRows(view.complete, wanted).at(-1);
  if (boundary !== undefined) return { boundary };
  const empty = perRank.flatMap((rows, rank) => (rows.length === 0 ? [rank] : []));
  if (empty.length > 0)
    return {
      boundary: undefined,
      reason: `Checkpoint "${checkpoint}": no write boundary is complete on every rank (rank${empty.length === 1 ? "" : "s"} ${empty.slice(0, 8).join(", ")}${empty.length > 8 ? ", …" : ""} hold${empty.length === 1 ? "s" : ""} no row); the world starts afresh.`,
    };
  const newest = perRank
    .slice(0, 8)
    .map((rows, rank) => `rank ${rank} at ${rows.at(-1)!.writeCount}`)
    .join(", ");
  throw new CheckpointWorldError(
    checkpoint,
    `every rank holds rows, but no write boundary (labels and writeCount) is held by all ${view.worldSize} ranks (newest: ${newest}${view.worldSize > 8 ? ", …" : ""}). The ranks drifted more than one boundary apart (DESIGN §6). Restore a row of your choice with checkpoint.select(row), or each rank's own with restart: "rank".`,
    { worldSize: view.worldSize },
  );
}

/** The newest row of `rows` at `boundary`. */
export function rowAtBoundary<T extends { readonly labels: Labels; readonly writeCount: number }>(
  rows: readonly T[],
  boundary: WorldBoundary,
): number {
  return rows.findLastIndex(
    (row) => row.writeCount === boundary.writeCount && labelsEqual(row.labels, boundary.labels),
  );
}
