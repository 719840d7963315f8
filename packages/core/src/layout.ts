/**
 * Every name of a checkpoint's layout in a store (DESIGN §3), in one place:
 *
 * ```text
 * <name>/                         a checkpoint's root (or <name>/rank_000003/ for one rank of it)
 *   world.json                    a ranked checkpoint's world marker (beside its rank folders)
 *   catalog.json                  the rows, replaced only by compare-and-swap
 *   commits/<commitId>/
 *     manifest.json               written once, last among the commit's objects
 *     states/<stateId>/…          the commit's objects
 * ```
 *
 * Nothing outside this module spells these names; readers and tools parse keys with {@link parseLayoutKey}.
 */

import { isCommitId } from "./commit/commit-id.js";

/** The catalog's file name in a checkpoint root. */
export const CATALOG_NAME = "catalog.json";
/** The folder of a root that holds one folder per commit. */
export const COMMITS_FOLDER = "commits";
/** The file name reserved for the manifest inside a commit folder. */
export const MANIFEST_NAME = "manifest.json";

const RANK_FOLDER = /^rank_(\d{6,})$/;

/** The folder name of one rank: `rank_000003`. */
export function rankFolderName(rank: number): string {
  return `rank_${String(rank).padStart(6, "0")}`;
}

/** A checkpoint's root folder: `<name>`, or `<name>/rank_NNNNNN` for one rank of a ranked checkpoint. */
export function checkpointRoot(name: string, rank?: number | undefined): string {
  return rank === undefined ? name : `${name}/${rankFolderName(rank)}`;
}

/** The key of a root's catalog: `<root>/catalog.json`. */
export function catalogKey(root: string): string {
  return `${root}/${CATALOG_NAME}`;
}

/** The prefix under which a root's commit folders live: `<root>/commits/`. */
export function commitsPrefix(root: string): string {
  return `${root}/${COMMITS_FOLDER}/`;
}

/** The folder of one commit: `<root>/commits/<commitId>`. */
export function commitFolder(root: string, commitId: string): string {
  return `${commitsPrefix(root)}${commitId}`;
}

/** The key of one commit's manifest: `<root>/commits/<commitId>/manifest.json`. */
export function manifestKey(root: string, commitId: string): string {
  return `${commitFolder(root, commitId)}/${MANIFEST_NAME}`;
}

/** What a key of a checkpoint's layout says about where it belongs. */
export interface LayoutKey {
  /** The checkpoint's name (may hold slashes when the checkpoint sits in a sub-folder). */
  readonly name: string;
  /** The root folder: `<name>` or `<name>/rank_NNNNNN`. */
  readonly root: string;
  /** The rank of a ranked root. */
  readonly rank: number | undefined;
  /** `catalog` for the catalog, `commit` for a key under `commits/<id>/`, `other` for anything under `commits/`. */
  readonly kind: "catalog" | "commit" | "other";
  /** The commit id, for a key in a commit folder. */
  readonly commitId: string | undefined;
  /** The key relative to the commit folder (`manifest.json`, `states/…`), for a key in a commit folder. */
  readonly path: string | undefined;
}

/**
 * Where a key belongs in the layout: a root's `catalog.json`, or a key under a root's `commits/`.
 * `undefined` for a key that belongs to no checkpoint.
 *
 * @example
 * parseLayoutKey("runs/a/rank_000001/commits/commit_00000003_0a1b2c3d4e5f/manifest.json")
 * // { name: "runs/a", root: "runs/a/rank_000001", rank: 1, kind: "commit", commitId: "commit_…", path: "manifest.json" }
 */
export function parseLayoutKey(key: string): LayoutKey | undefined {
  const parts = key.split("/");
  let end = parts.indexOf(COMMITS_FOLDER);
  const isCatalog = end < 0 && parts.at(-1) === CATALOG_NAME;
  if (isCatalog) end = parts.length - 1;
  if (end < 1) return undefined;
  const folder = parts.slice(0, end);
  const root = folder.join("/");
  const match = RANK_FOLDER.exec(folder.at(-1)!);
  const ranked = match !== null && folder.length >= 2;
  const name = ranked ? folder.slice(0, -1).join("/") : root;
  const rank = ranked ? Number(match[1]) : undefined;
  if (isCatalog) return { name, root, rank, kind: "catalog", commitId: undefined, path: undefined };
  const [commitId, ...rest] = parts.slice(end + 1);
  if (commitId !== undefined && rest.length > 0 && isCommitId(commitId))
    return { name, root, rank, kind: "commit", commitId, path: rest.join("/") };
  return { name, root, rank, kind: "other", commitId: undefined, path: undefined };
}

/** The file name of a ranked checkpoint's world marker, beside its rank folders. */
export const WORLD_MARKER_NAME = "world.json";

/** The key of a ranked checkpoint's world marker: `<name>/world.json` (DESIGN §6). */
export function worldMarkerKey(name: string): string {
  return `${name}/${WORLD_MARKER_NAME}`;
}
