import {
  CheckpointIntegrityError,
  InvalidKeyError,
  NotFoundError,
  PreconditionFailedError,
  TooLargeError,
} from "../errors.js";
import { COMMITS_FOLDER, commitFolder } from "../layout.js";
import { validateKey } from "../store/keys.js";
import type { PreparedPut, PutOptions, Store } from "../store/types.js";
import {
  type CatalogRow,
  canonical,
  type JsonValue,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  MAX_MANIFEST_BYTES,
  type Manifest,
  type ManifestObject,
  manifestSchema,
  parseDocument,
  type RowPolicy,
} from "./catalog-format.js";
import { isCommitId } from "./commit-id.js";
import { MANIFEST_NAME, validateObjectKeys } from "./objects.js";
import { backoffDelay, isAbort, isUncertain, type RetryPolicy, sleep, withRetry } from "./retry.js";

/** The catalog row a manifest describes (metadata keys and state ids sorted). */
export function rowOfManifest(manifest: Manifest): CatalogRow {
  return {
    commitId: manifest.commitId,
    labels: manifest.labels,
    metadata: manifest.metadata,
    metadataKeys: Object.keys(manifest.metadata).sort(),
    writeCount: manifest.writeCount,
    savedAt: manifest.savedAt,
    rank: manifest.rank,
    worldSize: manifest.worldSize,
    stateIds: Object.keys(manifest.states).sort(),
  };
}

/** How the writer of a manifest kept rows (a manifest without a history size kept every row). */
export function policyOfManifest(manifest: Manifest): RowPolicy {
  return { mode: manifest.mode, historySize: manifest.historySize ?? null };
}

/** Builds a manifest with labels, metadata and states in a stable key order. */
export function buildManifest(fields: Omit<Manifest, "format" | "version">): Manifest {
  return {
    format: MANIFEST_FORMAT,
    version: fields.objects.some((object) => object.location !== undefined) ? MANIFEST_VERSION : 1,
    checkpoint: fields.checkpoint,
    commitId: fields.commitId,
    mode: fields.mode,
    ...(fields.historySize === undefined ? {} : { historySize: fields.historySize }),
    rank: fields.rank,
    worldSize: fields.worldSize,
    level: fields.level,
    labels: canonical(fields.labels as JsonValue) as Manifest["labels"],
    metadata: canonical(fields.metadata as JsonValue) as Manifest["metadata"],
    writeCount: fields.writeCount,
    savedAt: fields.savedAt,
    states: canonical(fields.states as unknown as JsonValue) as unknown as Manifest["states"],
    objects: fields.objects,
  };
}

/**
 * Creates `key` with `bytes` (`ifNoneMatch: "*"`). A put whose outcome is unknown, or that
 * fails its precondition (an SDK may have re-sent a request that had already landed), is
 * resolved by reading the manifest back: the same bytes mean it is written; other bytes are
 * another writer's (CheckpointIntegrityError); no object means it may be put again.
 *
 * `onMaybeWritten` is called as soon as the manifest may exist, so a failed commit knows
 * whether it may still delete its objects.
 */
export async function putManifest(
  store: Store,
  key: string,
  bytes: Uint8Array,
  options: {
    policy: RetryPolicy;
    signal: AbortSignal | undefined;
    onMaybeWritten: () => void;
    /** The same bytes prepared ahead (`prepareQuietly`): the first attempt publishes them. */
    prepared?: PreparedPut | undefined;
  },
): Promise<void> {
  const { policy, signal } = options;
  let prepared = options.prepared;
  for (let attempt = 0; ; attempt++) {
    const publishing = prepared;
    prepared = undefined;
    try {
      if (publishing !== undefined) await publishing.publish();
      else await store.put(key, bytes, { ifNoneMatch: "*", signal });
      options.onMaybeWritten();
      return;
    } catch (error) {
      const conflict = error instanceof PreconditionFailedError;
      // A prepared put that failed to publish (its temp file swept by another host's gc during a
      // long upload, say) is resolved like an uncertain put: read back, then put whole.
      if (!conflict && !isUncertain(error, signal) && (publishing === undefined || isAbort(signal))) {
        // An abort may still have landed the put on some stores.
        if (isAbort(signal)) options.onMaybeWritten();
        throw error;
      }
      options.onMaybeWritten();
      const existing = await withRetry(policy, signal, () =>
        store.get(key, { signal, maxBytes: bytes.byteLength }),
      )
        .then((result) => result.bytes)
        .catch((readError: unknown) => {
          if (readError instanceof NotFoundError) return undefined;
          if (readError instanceof TooLargeError) return "different" as const;
          throw readError;
        });
      if (existing !== undefined) {
        if (existing !== "different" && Buffer.from(existing).equals(bytes)) return;
        throw new CheckpointIntegrityError(
          key,
          "another writer created a different manifest for this commit id",
          {
            cause: error,
          },
        );
      }
      // The prepared attempt is not one of the policy's: the plain puts follow at once.
      if (publishing !== undefined) {
        attempt--;
        continue;
      }
      if (attempt + 1 >= policy.attempts) throw error;
      await sleep(backoffDelay(policy, attempt), signal);
    }
  }
}

/**
 * Parses and checks a manifest: its schema, its commit id, and that every object key and state
 * folder stays inside the commit folder (no `..`, no absolute key, no duplicates).
 */
export function parseManifest(bytes: Uint8Array, key: string, commitId: string): Manifest {
  const parsed = parseDocument(bytes, manifestSchema, MANIFEST_FORMAT, MANIFEST_VERSION);
  if (!parsed.ok) throw new CheckpointIntegrityError(key, `unreadable manifest: ${parsed.problem.detail}`);
  const manifest = parsed.value as Manifest;
  if (manifest.commitId !== commitId)
    throw new CheckpointIntegrityError(
      key,
      `the manifest names commit ${manifest.commitId}, not ${commitId}`,
    );
  try {
    validateObjectKeys(manifest.objects.map((object) => object.key));
    validateObjectKeys(Object.values(manifest.states).map((state) => state.path));
    for (const object of manifest.objects)
      if (object.location !== undefined) commitOfLocation(object.location);
  } catch (error) {
    throw new CheckpointIntegrityError(
      key,
      `the manifest names a key outside its commit folder: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return manifest;
}

/** Reads and checks the manifest of `commitId` in `folder` (see {@link parseManifest}). */
export async function readManifest(
  store: Store,
  folder: string,
  commitId: string,
  options: { policy: RetryPolicy; signal: AbortSignal | undefined },
): Promise<Manifest> {
  const key = `${folder}/${MANIFEST_NAME}`;
  const bytes = await withRetry(options.policy, options.signal, () =>
    store.get(key, { maxBytes: MAX_MANIFEST_BYTES, signal: options.signal }),
  ).then(
    (result) => result.bytes,
    (error: unknown) => {
      if (error instanceof NotFoundError)
        throw new CheckpointIntegrityError(key, "the commit's manifest is missing", { cause: error });
      if (error instanceof TooLargeError)
        throw new CheckpointIntegrityError(key, `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`, {
          cause: error,
        });
      throw error;
    },
  );
  return parseManifest(bytes, key, commitId);
}

/**
 * The commit id of a manifest entry's `location` (`commits/<commitId>/<object key>`), checked:
 * a location anywhere else (another checkpoint, a manifest, `..`) is refused with InvalidKeyError.
 */
export function commitOfLocation(location: string): string {
  validateKey(location);
  const [folder, commitId, ...rest] = location.split("/");
  if (folder !== COMMITS_FOLDER || commitId === undefined || !isCommitId(commitId) || rest.length === 0)
    throw new InvalidKeyError(location, `a location must be ${COMMITS_FOLDER}/<commitId>/<object key>`);
  validateObjectKeys([rest.join("/")]);
  return commitId;
}

/** The store key holding an entry's bytes: its `location` under `root`, or its own commit's folder. */
export function objectStoreKey(root: string, commitId: string, entry: ManifestObject): string {
  return entry.location === undefined
    ? `${commitFolder(root, commitId)}/${entry.key}`
    : `${root}/${entry.location}`;
}

/** An entry's location relative to the root (where its bytes live), as a later commit reuses it. */
export function objectLocation(commitId: string, entry: ManifestObject): string {
  return entry.location ?? `${COMMITS_FOLDER}/${commitId}/${entry.key}`;
}

/**
 * The put of `bytes` (with `conditions`) prepared ahead where the store offers {@link Store.prepare},
 * else `undefined`; a failed preparation is `undefined` too (the put is then made whole later,
 * with its retries), unless the signal aborted it.
 */
export async function prepareQuietly(
  store: Store,
  key: string,
  bytes: Uint8Array,
  conditions: Pick<PutOptions, "ifMatch" | "ifNoneMatch">,
  signal: AbortSignal | undefined,
): Promise<PreparedPut | undefined> {
  if (store.prepare === undefined) return undefined;
  try {
    return await store.prepare(key, bytes, { ...conditions, signal });
  } catch (error) {
    if (isAbort(signal)) throw error;
    return undefined;
  }
}
