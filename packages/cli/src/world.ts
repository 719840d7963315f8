import { type CatalogRow, type MarkedBoundary, type WorldBoundary, worldBoundaries } from "@ckpt/core";

/** What `ls` and `show` say about a world checkpoint: the boundaries each rank holds, and those all hold. */
export interface WorldSummary {
  readonly worldSize: number;
  /** Per rank `0 … worldSize-1`, the write counts of its rows recorded with this world size. */
  readonly ranks: readonly { readonly rank: number; readonly writeCounts: readonly number[] }[];
  /** Boundaries every rank holds, oldest first. */
  readonly complete: readonly WorldBoundary[];
  /** The newest of them: where a world restart without labels resumes; `null` when there is none. */
  readonly newest: WorldBoundary | null;
  /** What the world marker records (the last restart that read every catalog chose it), per selection. */
  readonly marked: readonly MarkedBoundary[];
}

/** The world summary of rows by rank (missing ranks: no rows); `undefined` below two ranks. */
export function summarizeWorld(
  rowsByRank: ReadonlyMap<number, readonly CatalogRow[]>,
  marked: readonly MarkedBoundary[] = [],
): WorldSummary | undefined {
  const worldSize = Math.max(
    0,
    ...[...rowsByRank.values()].flatMap((rows) => rows.map((row) => row.worldSize)),
  );
  if (worldSize < 2) return undefined;
  const perRank = Array.from({ length: worldSize }, (_, rank) => rowsByRank.get(rank) ?? []);
  const complete = worldBoundaries(perRank, worldSize);
  return {
    worldSize,
    ranks: perRank.map((rows, rank) => ({
      rank,
      writeCounts: rows.filter((row) => row.worldSize === worldSize).map((row) => row.writeCount),
    })),
    complete,
    newest: complete.at(-1) ?? null,
    marked,
  };
}

/** The summary as text lines. */
export function worldLines(summary: WorldSummary): string[] {
  const boundary = (item: WorldBoundary) =>
    `writeCount ${item.writeCount}${Object.keys(item.labels).length === 0 ? "" : ` ${JSON.stringify(item.labels)}`}`;
  const marker = summary.marked.find((item) => item.selection === null);
  return [
    `world of ${summary.worldSize} ranks: newest boundary complete on every rank: ${summary.newest === null ? "none" : boundary(summary.newest)}`,
    `world marker (the last restart that read every catalog): ${marker === undefined ? "none" : boundary(marker)}`,
    ...summary.ranks.map(
      ({ rank, writeCounts }) =>
        `  rank ${rank}: ${writeCounts.length === 0 ? "no rows" : `write counts ${writeCounts.join(", ")}`}`,
    ),
  ];
}
