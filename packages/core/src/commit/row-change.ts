import { type CatalogRow, labelsEqual, type RowPolicy } from "./catalog-format.js";

export type { RowPolicy };

/** Rows kept per label group: overwrite keeps one; append keeps `historySize` (null: every row). */
export function groupLimit(policy: RowPolicy): number {
  if (policy.mode === "overwrite") return 1;
  return policy.historySize ?? Number.POSITIVE_INFINITY;
}

/**
 * Applies one commit's row change to the rows read from the catalog, touching nothing else:
 * any row with the same commit id goes (the change is idempotent), the new row is added last,
 * and the new row's label group is trimmed to the policy's limit, oldest first (in overwrite
 * mode that replaces the rows with equal labels). Rows with other labels are never touched.
 * A row of a world of several ranks (`worldSize` above 1) also keeps the two newest rows of its
 * group committed at lower write counts: the boundaries every rank may still need (DESIGN §6, "World
 * restarts"). The rule reads only the rows, so a rebuild from manifests keeps the same rows.
 *
 * @returns the new rows, and the rows this change dropped (whose commit folders may be deleted).
 */
export function applyRowChange(
  rows: readonly CatalogRow[],
  row: CatalogRow,
  policy: RowPolicy,
): { rows: CatalogRow[]; dropped: CatalogRow[] } {
  const next = rows.filter((existing) => existing.commitId !== row.commitId);
  next.push(row);
  return trimGroup(next, row, groupLimit(policy), row.worldSize > 1);
}

/**
 * Rows below the newest that a rank of a world keeps. Ranks in lockstep are at most one boundary
 * apart in what they wrote; a rank whose previous async commit is still uploading is one more
 * behind in what is durable (`maxInFlight` 1). So the newest boundary every rank holds is at most
 * two below a rank's newest row.
 */
const WORLD_ROWS_BELOW = 2;

function trimGroup(
  rows: CatalogRow[],
  row: CatalogRow,
  limit: number,
  keepBoundaryBelow: boolean,
): { rows: CatalogRow[]; dropped: CatalogRow[] } {
  const group = rows.filter((existing) => labelsEqual(existing.labels, row.labels));
  const excess = group.length - limit;
  if (excess <= 0) return { rows, dropped: [] };
  const dropped = new Set(group.slice(0, excess));
  if (keepBoundaryBelow)
    for (const below of group
      .filter((existing) => existing.writeCount < row.writeCount)
      .slice(-WORLD_ROWS_BELOW))
      dropped.delete(below);
  if (dropped.size === 0) return { rows, dropped: [] };
  return { rows: rows.filter((existing) => !dropped.has(existing)), dropped: [...dropped] };
}

/** Commit order for a rebuild: write count, then save time, then commit id (total and stable). */
export function compareCommitOrder(a: CatalogRow, b: CatalogRow): number {
  return (
    a.writeCount - b.writeCount ||
    Date.parse(a.savedAt) - Date.parse(b.savedAt) ||
    (a.commitId < b.commitId ? -1 : a.commitId > b.commitId ? 1 : 0)
  );
}

/**
 * Rows rebuilt from manifests: in commit order, each commit's change applied with the policy its
 * own writer recorded, so the rebuild keeps exactly the rows the writers kept.
 */
export function rowsFromManifests(
  found: readonly { readonly row: CatalogRow; readonly policy: RowPolicy }[],
): CatalogRow[] {
  let rows: CatalogRow[] = [];
  for (const { row, policy } of [...found].sort((a, b) => compareCommitOrder(a.row, b.row)))
    rows = applyRowChange(rows, row, policy).rows;
  return rows;
}
