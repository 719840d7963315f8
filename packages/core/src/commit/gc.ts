import { commitsPrefix } from "../layout.js";
import { listAll } from "../store/list.js";
import type { Store, SweepResult } from "../store/types.js";
import type { CatalogRow } from "./catalog-format.js";
import { isCommitId } from "./commit-id.js";
import { type RetryPolicy, withRetry } from "./retry.js";

/** Options of {@link CatalogClient.gc}. */
export interface GcOptions {
  /**
   * Grace period in milliseconds: a commit folder whose newest object is younger than this is
   * kept, so a concurrent writer's commit in flight survives. `0` removes every unreferenced one.
   */
  readonly olderThan: number;
  /** Report what would be removed without removing it. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

/** What {@link CatalogClient.gc} removed (or, with `dryRun`, would remove). */
export interface GcResult {
  /** Commit ids of the removed folders, sorted. */
  readonly removed: string[];
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

/**
 * Removes the commit folders under `<root>/commits/` that no catalog row references and whose
 * newest object is older than `olderThan`. The listing comes first and the catalog is read after
 * it, so a commit that becomes referenced meanwhile is seen as referenced.
 */
export async function collectGarbage(
  store: Store,
  root: string,
  readRows: (signal: AbortSignal | undefined) => Promise<readonly CatalogRow[]>,
  options: GcOptions & { policy: RetryPolicy },
): Promise<GcResult> {
  const { signal } = options;
  const prefix = commitsPrefix(root);
  const folders = new Map<string, { keys: string[]; bytes: number; newest: number }>();
  for await (const info of listAll(store, prefix, { signal })) {
    const [commitId, ...rest] = info.key.slice(prefix.length).split("/");
    if (commitId === undefined || rest.length === 0 || !isCommitId(commitId)) continue;
    const folder = folders.get(commitId) ?? { keys: [], bytes: 0, newest: 0 };
    folder.keys.push(info.key);
    folder.bytes += info.size;
    folder.newest = Math.max(folder.newest, info.lastModified.getTime());
    folders.set(commitId, folder);
  }
  const referenced = new Set((await readRows(signal)).map((row) => row.commitId));
  const now = Date.now();
  const removed: string[] = [];
  const keys: string[] = [];
  let bytes = 0;
  for (const [commitId, folder] of folders) {
    if (referenced.has(commitId) || now - folder.newest < options.olderThan) continue;
    removed.push(commitId);
    keys.push(...folder.keys);
    bytes += folder.bytes;
  }
  if (!options.dryRun)
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      await withRetry(options.policy, signal, () => store.delete(batch, { signal }));
    }
  const leftovers = (await store.sweep?.(`${root}/`, {
    olderThan: options.olderThan,
    dryRun: options.dryRun,
    signal,
  })) ?? { count: 0, bytes: 0 };
  return { removed: removed.sort(), bytes, leftovers };
}
