import { commitsPrefix, MANIFEST_NAME } from "../layout.js";
import { listAll } from "../store/list.js";
import type { ObjectInfo, Store, SweepResult } from "../store/types.js";
import type { CatalogRow, Manifest } from "./catalog-format.js";
import { isCommitId } from "./commit-id.js";
import { objectStoreKey } from "./manifest.js";
import { type RetryPolicy, withRetry } from "./retry.js";

/** Options of {@link CatalogClient.gc}. */
export interface GcOptions {
  /**
   * Grace period in milliseconds: an object younger than this is kept. `0` removes every
   * unreferenced one; a commit in flight is still safe (gc fences the catalog before deleting).
   */
  readonly olderThan: number;
  /** Report what would be removed without removing (or writing) anything. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

/** What {@link CatalogClient.gc} removed (or, with `dryRun`, would remove). */
export interface GcResult {
  /**
   * Commit ids without a row whose objects were removed, sorted. Objects of such a commit that a
   * row still reuses stay.
   */
  readonly removed: string[];
  /** Objects removed (manifests included). */
  readonly objects: number;
  /** Bytes of the removed objects. */
  readonly bytes: number;
  /**
   * What the store's own {@link Store.sweep} removed under the checkpoint's folder (temp files and
   * stale locks of killed writers, empty folders, incomplete uploads); zeros for a store without it.
   */
  readonly leftovers: SweepResult;
}

/** Keys per delete call: S3's DeleteObjects takes at most 1,000. */
const DELETE_BATCH = 1000;

/** A listed object of a commit folder. */
export interface ListedObject {
  readonly info: ObjectInfo;
  readonly commitId: string;
  readonly manifest: boolean;
}

/** Every object under `<root>/commits/<commitId>/`. */
export async function listCommitObjects(
  store: Store,
  root: string,
  signal: AbortSignal | undefined,
): Promise<ListedObject[]> {
  const prefix = commitsPrefix(root);
  const listed: ListedObject[] = [];
  for await (const info of listAll(store, prefix, { signal })) {
    const [commitId, ...rest] = info.key.slice(prefix.length).split("/");
    if (commitId === undefined || rest.length === 0 || !isCommitId(commitId)) continue;
    listed.push({ info, commitId, manifest: rest.length === 1 && rest[0] === MANIFEST_NAME });
  }
  return listed;
}

/** What the rows of one catalog version keep: store keys, and whole folders of unreadable manifests. */
export interface References {
  readonly keys: ReadonlySet<string>;
  readonly commits: ReadonlySet<string>;
}

/**
 * The store keys the rows reference: each row's manifest and every object its manifest lists
 * (in its own folder or, reused, in an earlier commit's). A row whose manifest cannot be read
 * keeps its whole folder (`manifestOf` resolves `undefined`).
 */
export async function referencesOf(
  root: string,
  rows: readonly CatalogRow[],
  manifestOf: (row: CatalogRow) => Promise<Manifest | undefined>,
): Promise<References> {
  const keys = new Set<string>();
  const commits = new Set<string>();
  for (const row of rows) {
    const manifest = await manifestOf(row);
    if (manifest === undefined) {
      commits.add(row.commitId);
      continue;
    }
    keys.add(`${commitsPrefix(root)}${row.commitId}/${MANIFEST_NAME}`);
    for (const entry of manifest.objects) keys.add(objectStoreKey(root, row.commitId, entry));
  }
  return { keys, commits };
}

/** The listed objects no row references and older than the grace period. */
export function garbageOf(
  listed: readonly ListedObject[],
  refs: References,
  olderThan: number,
): ListedObject[] {
  const now = Date.now();
  return listed.filter(
    (item) =>
      !refs.keys.has(item.info.key) &&
      !refs.commits.has(item.commitId) &&
      now - item.info.lastModified.getTime() >= olderThan,
  );
}

/**
 * Deletes `garbage`, every manifest first: a manifest then never outlives an object it lists, so
 * a rebuild from the manifests never takes up a commit whose objects are partly gone.
 */
export async function deleteGarbage(
  store: Store,
  garbage: readonly ListedObject[],
  options: { policy: RetryPolicy; signal: AbortSignal | undefined },
): Promise<void> {
  for (const phase of [true, false]) {
    const keys = garbage.filter((item) => item.manifest === phase).map((item) => item.info.key);
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      await withRetry(options.policy, options.signal, () => store.delete(batch, { signal: options.signal }));
    }
  }
}

/** The result of removing (or planning to remove) `garbage`, with the store's sweep. */
export async function gcResult(
  store: Store,
  root: string,
  garbage: readonly ListedObject[],
  options: GcOptions,
): Promise<GcResult> {
  const leftovers = (await store.sweep?.(`${root}/`, {
    olderThan: options.olderThan,
    dryRun: options.dryRun,
    signal: options.signal,
  })) ?? { count: 0, bytes: 0 };
  return {
    removed: [...new Set(garbage.map((item) => item.commitId))].sort(),
    objects: garbage.length,
    bytes: garbage.reduce((sum, item) => sum + item.info.size, 0),
    leftovers,
  };
}
