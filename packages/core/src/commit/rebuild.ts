import { commitsPrefix, MANIFEST_NAME } from "../layout.js";
import { listAllArray } from "../store/list.js";
import type { Store } from "../store/types.js";
import type { CatalogRow, RowPolicy } from "./catalog-format.js";
import { isCommitId } from "./commit-id.js";
import { policyOfManifest, readManifest, rowOfManifest } from "./manifest.js";
import { mapBounded } from "./pool.js";
import { isAbort, type RetryPolicy, withRetry } from "./retry.js";
import { compareCommitOrder, rowsFromManifests } from "./row-change.js";

/** What a rebuild from the manifests found. */
export interface RebuiltRows {
  /** The rows the writers kept, oldest first. */
  readonly rows: CatalogRow[];
  /** The policy of the newest commit's writer; undefined when no manifest was readable. */
  readonly policy: RowPolicy | undefined;
}

/**
 * The rows a lost or damaged catalog is rebuilt with: every readable manifest under
 * `<root>/commits/`, in commit order (write count, then time), each commit's change applied with
 * its own writer's mode and history size (as its manifest records them), so the rebuild keeps the
 * rows the writers kept whatever the reader's options. Unreadable manifests are skipped with a
 * warning naming them. Reads only.
 */
export async function rebuildRows(
  store: Store,
  root: string,
  options: {
    policy: RetryPolicy;
    concurrency: number;
    warn: (message: string) => void;
    signal: AbortSignal | undefined;
  },
): Promise<RebuiltRows> {
  const prefix = commitsPrefix(root);
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
      return { row: rowOfManifest(manifest), policy: policyOfManifest(manifest) };
    } catch (error) {
      if (isAbort(signal)) throw error;
      options.warn(`Skipping commit ${commitId} while rebuilding the catalog of "${root}": ${String(error)}`);
      return undefined;
    }
  });
  const readable = found.filter((item) => item !== undefined);
  const newest = readable.sort((a, b) => compareCommitOrder(a.row, b.row)).at(-1);
  return { rows: rowsFromManifests(readable), policy: newest?.policy };
}
