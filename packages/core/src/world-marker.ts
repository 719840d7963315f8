/**
 * The world marker, `<name>/world.json` (DESIGN §6, "World restarts"): the boundary the last
 * catalog scan of a world restart chose, per selection, with each rank's row there and its newest
 * row at the time. A rank whose own rows are still as the marker recorded takes the boundary from
 * it with two small reads (its catalog and the marker) instead of reading every rank's catalog.
 * The marker is a shortcut, never the authority: missing, damaged, of another world size or stale,
 * the restart scans the catalogs as before and writes a fresh one.
 */

import { z } from "zod";
import { type CatalogRow, type Labels, labelsEqual, parseDocument } from "./commit/catalog-format.js";
import { type RetryPolicy, withRetry } from "./commit/retry.js";
import { NotFoundError, PreconditionFailedError } from "./errors.js";
import { worldMarkerKey } from "./layout.js";
import type { Store } from "./store/types.js";
import type { WorldBoundary, WorldView } from "./world.js";

/** `format` of world.json. */
export const WORLD_MARKER_FORMAT = "ckpt.world";
/** Largest world.json read: about 70 bytes per rank and selection. */
const MAX_MARKER_BYTES = 16 * 1024 * 1024;
/** Selections (label filters) remembered; the oldest goes first. */
const MAX_ENTRIES = 8;

const labelsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
const commitId = z.string().regex(/^commit_\d{8,}_[0-9a-f]{12}$/);

const entrySchema = z.object({
  /** The labels the restart selected by (`null`: none given). */
  selection: labelsSchema.nullable(),
  labels: labelsSchema,
  writeCount: z.number().int().nonnegative(),
  /** Per rank `0 … worldSize-1`: its row at the boundary, and its newest matching row when scanned. */
  ranks: z.array(z.object({ at: commitId, newest: commitId })),
});

const markerSchema = z.object({
  format: z.literal(WORLD_MARKER_FORMAT),
  version: z.literal(1),
  checkpoint: z.string(),
  worldSize: z.number().int().positive(),
  entries: z.array(entrySchema),
});

/** One selection's boundary as world.json records it. */
export type WorldMarkerEntry = z.infer<typeof entrySchema>;
/** The parsed world.json. */
export type WorldMarkerFile = z.infer<typeof markerSchema>;

/** What one read of world.json found: its version to swap against, and the file when it parses. */
export interface WorldMarkerRead {
  /** `undefined`: no marker (create it). */
  readonly version: string | undefined;
  /** `undefined` when missing or damaged. */
  readonly file: WorldMarkerFile | undefined;
  /** `false` when written by a newer ckpt, or unreadable: read as missing, never overwritten. */
  readonly writable: boolean;
}

/** Reads world.json; a missing or damaged marker is a result (the restart then scans), not an error. */
export async function readWorldMarker(
  store: Store,
  name: string,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): Promise<WorldMarkerRead> {
  let result: { info: { version: string }; bytes: Uint8Array };
  try {
    result = await withRetry(policy, signal, () =>
      store.get(worldMarkerKey(name), { maxBytes: MAX_MARKER_BYTES, signal }),
    );
  } catch (error) {
    if (error instanceof NotFoundError) return { version: undefined, file: undefined, writable: true };
    // A marker too large, or unreadable, costs only the scan.
    if (signal?.aborted) throw error;
    return { version: undefined, file: undefined, writable: false };
  }
  const parsed = parseDocument(result.bytes, markerSchema, WORLD_MARKER_FORMAT);
  return {
    version: result.info.version,
    file: parsed.ok ? parsed.value : undefined,
    writable: parsed.ok || parsed.problem.kind !== "newer",
  };
}

function selectionOf(wanted: Labels | undefined): Labels | null {
  return wanted === undefined ? null : wanted;
}

function sameSelection(entry: WorldMarkerEntry, wanted: Labels | undefined): boolean {
  return wanted === undefined
    ? entry.selection === null
    : entry.selection !== null && labelsEqual(entry.selection, wanted);
}

/**
 * This rank's row at the marked boundary, when the marker may be trusted for it: the marker is of
 * this world size and selection, the rank's catalog was read intact, it still holds its marked
 * row there, and its newest matching row is the one the marker saw (or that row itself, after the
 * rank retired the rows above it). Then no boundary newer than the marked one can be complete —
 * every complete boundary is one this rank holds — and the marked one still is (DESIGN §6).
 * Returns the index into `rows` (this rank's matching rows), else `undefined`.
 */
export function markedRow(
  marker: WorldMarkerFile | undefined,
  options: {
    readonly worldSize: number;
    readonly rank: number;
    readonly wanted: Labels | undefined;
    readonly rows: readonly CatalogRow[];
    readonly intact: boolean;
  },
): number | undefined {
  if (marker === undefined || marker.worldSize !== options.worldSize || !options.intact) return undefined;
  const entry = marker.entries.find((candidate) => sameSelection(candidate, options.wanted));
  const own = entry?.ranks[options.rank];
  const newest = options.rows.at(-1);
  if (entry === undefined || own === undefined || newest === undefined) return undefined;
  if (newest.commitId !== own.newest && newest.commitId !== own.at) return undefined;
  const index = options.rows.findIndex((row) => row.commitId === own.at);
  if (index < 0) return undefined;
  const row = options.rows[index]!;
  return row.writeCount === entry.writeCount && labelsEqual(row.labels, entry.labels) ? index : undefined;
}

/**
 * The marked boundary when a scan must take it too: some rank whose catalog the scan read intact
 * would take it from the marker ({@link markedRow}), so every rank must, or the ranks would
 * diverge (a scanning rank may see another rank's rebuilt catalog, or rows not yet retired, that
 * the marker's rank never reads). `undefined` when no rank would.
 */
export function bindingMark(
  marker: WorldMarkerFile | undefined,
  view: WorldView,
  wanted: Labels | undefined,
  matching: (rows: readonly CatalogRow[]) => readonly CatalogRow[],
): WorldBoundary | undefined {
  const entry = marker?.entries.find((candidate) => sameSelection(candidate, wanted));
  if (marker === undefined || entry === undefined || marker.worldSize !== view.worldSize) return undefined;
  const bound = view.ranks.some(
    (rank) =>
      markedRow(marker, {
        worldSize: view.worldSize,
        rank: rank.rank,
        wanted,
        rows: matching(rank.rows),
        intact: rank.source === "catalog",
      }) !== undefined,
  );
  return bound ? { labels: entry.labels, writeCount: entry.writeCount } : undefined;
}

/**
 * Records the boundary a catalog scan chose by compare-and-swap against the version read. A lost
 * swap means another rank recorded its own scan meanwhile, which is as good; any failure only
 * costs the next restart a scan, so it is returned for a warning, never thrown.
 */
export async function writeWorldMarker(
  store: Store,
  name: string,
  read: WorldMarkerRead,
  view: WorldView,
  boundary: WorldBoundary,
  wanted: Labels | undefined,
  matching: (rows: readonly CatalogRow[]) => readonly CatalogRow[],
): Promise<Error | undefined> {
  if (!read.writable) return undefined;
  const ranks: { at: string; newest: string }[] = [];
  for (const rank of view.ranks) {
    const rows = matching(rank.rows);
    const at = rows.findLast(
      (row) => row.writeCount === boundary.writeCount && labelsEqual(row.labels, boundary.labels),
    );
    if (at === undefined) return undefined;
    ranks.push({ at: at.commitId, newest: rows.at(-1)!.commitId });
  }
  const entry: WorldMarkerEntry = {
    selection: selectionOf(wanted),
    labels: boundary.labels,
    writeCount: boundary.writeCount,
    ranks,
  };
  const kept =
    read.file?.worldSize === view.worldSize
      ? read.file.entries.filter((other) => !sameSelection(other, wanted))
      : [];
  const file: WorldMarkerFile = {
    format: WORLD_MARKER_FORMAT,
    version: 1,
    checkpoint: name,
    worldSize: view.worldSize,
    entries: [...kept, entry].slice(-MAX_ENTRIES),
  };
  try {
    await store.put(
      worldMarkerKey(name),
      new TextEncoder().encode(`${JSON.stringify(file)}\n`),
      read.version === undefined ? { ifNoneMatch: "*" } : { ifMatch: read.version },
    );
    return undefined;
  } catch (error) {
    if (error instanceof PreconditionFailedError) return undefined;
    return error instanceof Error ? error : new Error(String(error));
  }
}
