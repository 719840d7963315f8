import { listAllArray } from "../store/list.js";
import type { Store } from "../store/types.js";
import type { CatalogRow } from "./catalog-format.js";
import { isCommitId } from "./commit-id.js";
import { readManifest, rowOfManifest } from "./manifest.js";
import { MANIFEST_NAME } from "./objects.js";
import { mapBounded } from "./pool.js";
import { isAbort, type RetryPolicy, withRetry } from "./retry.js";
import { type RowPolicy, rowsFromManifests } from "./row-change.js";

/**
 * The rows a lost or damaged catalog is rebuilt with: every readable manifest under
 * `<root>/commits/`, in commit order (write count, then time), each label group trimmed per the
 * writer's mode and history size. Unreadable manifests are skipped with a warning naming them.
 */
export async function rebuildRows(
  store: Store,
  root: string,
  options: {
    policy: RetryPolicy;
    rowPolicy: RowPolicy;
    concurrency: number;
    warn: (message: string) => void;
    signal: AbortSignal | undefined;
  },
): Promise<CatalogRow[]> {
  const prefix = `${root}/commits/`;
  const commitIds: string[] = [];
  // A rebuild often runs right after a failed catalog put, when the store is most likely to fail
  // again: a throttled listing is retried like every other read, from its first page.
  const listed = await withRetry(options.policy, options.signal, () =>
    listAllArray(store, prefix, { signal: options.signal }),
  );
  for (const info of listed) {
    const [commitId, name, ...rest] = info.key.slice(prefix.length).split("/");
    if (commitId !== undefined && name === MANIFEST_NAME && rest.length === 0 && isCommitId(commitId))
      commitIds.push(commitId);
  }
  const found = await mapBounded(commitIds, options.concurrency, options.signal, async (commitId, signal) => {
    try {
      const manifest = await readManifest(store, `${prefix}${commitId}`, commitId, {
        policy: options.policy,
        signal,
      });
      return rowOfManifest(manifest);
    } catch (error) {
      if (isAbort(signal)) throw error;
      options.warn(`Skipping commit ${commitId} while rebuilding the catalog of "${root}": ${String(error)}`);
      return undefined;
    }
  });
  return rowsFromManifests(
    found.filter((row) => row !== undefined),
    options.rowPolicy,
  );
}
