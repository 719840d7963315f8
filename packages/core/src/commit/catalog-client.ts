import { z } from "zod";
import { CheckpointCatalogError, CheckpointIntegrityError, PreconditionFailedError } from "../errors.js";
import { validateKey } from "../store/keys.js";
import { listAllArray } from "../store/list.js";
import { throwIfAborted } from "../store/signal.js";
import type { Store } from "../store/types.js";
import {
  CATALOG_FORMAT,
  type CatalogFile,
  type CatalogRow,
  encodeDocument,
  FORMAT_VERSION,
  type JsonValue,
  type Labels,
  type Manifest,
  type ManifestObject,
  manifestSchema,
  UPDATE_LOG_SIZE,
} from "./catalog-format.js";
import { type CatalogSnapshot, readCatalog } from "./catalog-io.js";
import { newCommitId, newUpdateId } from "./commit-id.js";
import { collectGarbage, type GcOptions, type GcResult } from "./gc.js";
import { buildManifest, putManifest, readManifest, rowOfManifest } from "./manifest.js";
import {
  type CommitObject,
  MANIFEST_NAME,
  putObjects,
  readVerified,
  validateObjectKeys,
  verifyStreamed,
} from "./objects.js";
import { mapBounded } from "./pool.js";
import { rebuildRows } from "./rebuild.js";
import {
  backoffDelay,
  isUncertain,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
  sleep,
  withRetry,
} from "./retry.js";
import { applyRowChange, type RowPolicy } from "./row-change.js";

/** What one commit writes: its objects, and the row fields the catalog records. */
export interface CommitRequest {
  readonly writeCount: number;
  readonly labels: Labels;
  /** Metadata already encoded by the codec. */
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** State id → its folder relative to the commit folder, and its schema hash. */
  readonly states: Readonly<Record<string, { readonly path: string; readonly schemaHash: string }>>;
  readonly objects: readonly CommitObject[];
  /** Cancels the commit before its commit point; the catalog is then unchanged. */
  readonly signal?: AbortSignal | undefined;
}

/** How a {@link CatalogClient} reaches and keeps one checkpoint's catalog. */
export interface CatalogOptions {
  readonly store: Store;
  /** The checkpoint's name (recorded in manifests and the catalog). */
  readonly checkpoint: string;
  /** The checkpoint's folder in the store: `"<name>"` or `"<name>/rank_000003"`. */
  readonly root: string;
  readonly mode: "overwrite" | "append";
  /** Rows kept per labels in append mode (null: all). Overwrite mode always keeps one. */
  readonly historySize: number | null;
  readonly rank: number;
  readonly worldSize: number;
  readonly level: 0 | 1 | 2;
  /** Object puts and reads in flight at once. Default 8. */
  readonly concurrency?: number | undefined;
  /** Receives warnings (a rebuilt catalog, a skipped manifest, a clean-up that failed). */
  readonly warn?: ((message: string) => void) | undefined;
  /** Retry and backoff of store calls whose failure may pass. */
  readonly retry?: RetryOptions | undefined;
  /**
   * When to delete the commits an update retired (overwrite mode retires one per commit):
   * `"background"` (default) after `commit` resolves, overlapping the caller's next work, so a
   * commit costs three sequential round trips in every mode; `"await"` before it resolves.
   * {@link CatalogClient.settle} waits for background deletions; `gc` does so first.
   */
  readonly cleanup?: "await" | "background" | undefined;
}

/** Per-call options of the reading methods. */
export interface ReadOptions {
  readonly signal?: AbortSignal | undefined;
}

const MANIFEST_CACHE_SIZE = 64;
const OWN_KEYS_CACHE_SIZE = 64;

/**
 * One checkpoint folder's catalog and commits, written with the commit protocol of DESIGN §4:
 * objects in parallel, then `manifest.json` (create-only), then a compare-and-swap of
 * `catalog.json` — the commit point. The catalog last read or written is cached, so a commit no
 * other writer raced makes three sequential round trips and k + 2 store calls for k objects.
 *
 * Store calls whose outcome is unknown (a lost response, a 5xx) are resolved by reading back,
 * never by guessing: every catalog update carries a unique id kept in a short log inside
 * catalog.json, and a manifest is compared byte for byte.
 *
 * @example
 * const catalog = new CatalogClient({ store, checkpoint: "run", root: "run", mode: "append",
 *   historySize: 4, rank: 0, worldSize: 1, level: 2 });
 * const row = await catalog.commit({ writeCount: 1, labels: {}, metadata: { leadTime: 6 },
 *   states: {}, objects: [] });
 * const manifest = await catalog.manifest(row);
 */
export class CatalogClient {
  readonly store: Store;
  readonly checkpoint: string;
  readonly root: string;
  readonly #options: CatalogOptions;
  readonly #policy: RetryPolicy;
  readonly #rowPolicy: RowPolicy;
  readonly #concurrency: number;
  readonly #warn: (message: string) => void;
  #cache: CatalogSnapshot | undefined;
  readonly #manifests = new Map<string, Manifest>();
  readonly #ownKeys = new Map<string, readonly string[]>();
  #cleanup: Promise<void> = Promise.resolve();
  readonly #entries = new WeakMap<Manifest, Map<string, ManifestObject>>();

  constructor(options: CatalogOptions) {
    validateKey(options.root);
    this.store = options.store;
    this.checkpoint = options.checkpoint;
    this.root = options.root;
    this.#options = options;
    this.#policy = retryPolicy(options.retry);
    this.#rowPolicy = { mode: options.mode, historySize: options.historySize };
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#warn = options.warn ?? ((message) => process.emitWarning(message, "CkptWarning"));
  }

  /** The key of catalog.json. */
  get catalogKey(): string {
    return `${this.root}/catalog.json`;
  }

  /** The folder of one commit. */
  commitFolder(commitId: string): string {
    return `${this.root}/commits/${commitId}`;
  }

  /** The rows of the last catalog read or written by this client, without a store call. */
  cachedRows(): readonly CatalogRow[] | undefined {
    return this.#cache === undefined ? undefined : (this.#cache.file?.rows ?? []);
  }

  /** Committed rows, oldest first. Reads catalog.json; rebuilds and writes it back if missing or damaged. */
  async rows(options?: ReadOptions): Promise<readonly CatalogRow[]> {
    const snapshot = await this.#load(options?.signal);
    return snapshot.file?.rows ?? [];
  }

  /**
   * Commits one row: puts the objects, then the manifest, then swaps the catalog. Resolves to the
   * committed row once the catalog swap succeeded; before that the commit did not happen, and a
   * failure leaves the catalog as it was.
   */
  async commit(request: CommitRequest): Promise<CatalogRow> {
    const { signal } = request;
    throwIfAborted(signal, this.catalogKey);
    if (!Number.isSafeInteger(request.writeCount) || request.writeCount < 0)
      throw new CheckpointCatalogError(
        this.root,
        `writeCount must be a non-negative integer, got ${request.writeCount}`,
      );
    validateObjectKeys(request.objects.map((object) => object.key));
    for (const state of Object.values(request.states)) validateKey(state.path);
    const commitId = newCommitId(request.writeCount);
    const folder = this.commitFolder(commitId);
    const manifestKey = `${folder}/${MANIFEST_NAME}`;
    const objectKeys = request.objects.map((object) => `${folder}/${object.key}`);
    let manifestMaybeWritten = false;
    let manifest: Manifest;
    try {
      // A client without a cached catalog reads it alongside the object puts (no extra sequential
      // step) and before its manifest exists, so a rebuild of a missing catalog cannot pick up a
      // commit that is still in flight.
      const [put, loaded] = await Promise.allSettled([
        putObjects(this.store, folder, request.objects, {
          concurrency: this.#concurrency,
          policy: this.#policy,
          signal,
        }),
        this.#cache === undefined ? this.#load(signal) : undefined,
      ]);
      if (put.status === "rejected") throw put.reason;
      if (loaded.status === "rejected") throw loaded.reason;
      const entries = put.value;
      manifest = buildManifest({
        checkpoint: this.checkpoint,
        commitId,
        mode: this.#options.mode,
        rank: this.#options.rank,
        worldSize: this.#options.worldSize,
        level: this.#options.level,
        labels: request.labels,
        metadata: request.metadata,
        writeCount: request.writeCount,
        savedAt: new Date().toISOString(),
        states: request.states,
        objects: entries,
      });
      // Never write a manifest this version could not read back (e.g. metadata that is not JSON).
      const invalid = manifestSchema.safeParse(manifest);
      if (!invalid.success)
        throw new CheckpointCatalogError(
          this.root,
          `commit ${commitId} cannot be recorded: ${z.prettifyError(invalid.error)}`,
        );
      await putManifest(this.store, manifestKey, encodeDocument(manifest), {
        policy: this.#policy,
        signal,
        onMaybeWritten: () => {
          manifestMaybeWritten = true;
        },
      });
      throwIfAborted(signal, this.catalogKey);
    } catch (error) {
      // Without a manifest no reader or rebuild can reference the objects, so they can go now;
      // with one, gc removes them after its grace period.
      if (!manifestMaybeWritten) await this.#deleteQuietly(objectKeys, `failed commit ${commitId}`);
      throw error;
    }
    this.#remember(this.#ownKeys, commitId, [...objectKeys, manifestKey], OWN_KEYS_CACHE_SIZE);
    this.#remember(this.#manifests, commitId, manifest, MANIFEST_CACHE_SIZE);
    const row = rowOfManifest(manifest);
    const dropped = await this.#swap(row, signal);
    // #dropCommits never rejects: a failed deletion only warns, and gc finishes it.
    this.#cleanup = this.#cleanup.then(() => this.#dropCommits(dropped));
    if (this.#options.cleanup === "await") await this.#cleanup;
    return row;
  }

  /** Resolves once every background deletion of retired commits has finished (never rejects). */
  settle(): Promise<void> {
    return this.#cleanup;
  }

  /** The row's manifest, verified: schema, commit id, keys confined to the commit folder. */
  async manifest(
    row: Pick<CatalogRow, "commitId"> & Partial<Pick<CatalogRow, "writeCount">>,
    options?: ReadOptions,
  ): Promise<Manifest> {
    let manifest = this.#manifests.get(row.commitId);
    if (manifest === undefined) {
      manifest = await readManifest(this.store, this.commitFolder(row.commitId), row.commitId, {
        policy: this.#policy,
        signal: options?.signal,
      });
      this.#remember(this.#manifests, row.commitId, manifest, MANIFEST_CACHE_SIZE);
    }
    if (row.writeCount !== undefined && row.writeCount !== manifest.writeCount)
      throw new CheckpointIntegrityError(
        `${this.commitFolder(row.commitId)}/${MANIFEST_NAME}`,
        `the manifest records writeCount ${manifest.writeCount}, the catalog row ${row.writeCount}`,
      );
    return manifest;
  }

  /**
   * One object of a commit, read with at most the manifest's declared size and checked against
   * its size and checksum (`CheckpointIntegrityError` names the key).
   */
  async readObject(manifest: Manifest, key: string, options?: ReadOptions): Promise<Uint8Array> {
    const storeKey = `${this.commitFolder(manifest.commitId)}/${key}`;
    let entries = this.#entries.get(manifest);
    if (entries === undefined) {
      entries = new Map(manifest.objects.map((object) => [object.key, object]));
      this.#entries.set(manifest, entries);
    }
    const entry = entries.get(key);
    if (entry === undefined)
      throw new CheckpointIntegrityError(
        storeKey,
        `not listed in the manifest of commit ${manifest.commitId}`,
      );
    return readVerified(this.store, storeKey, entry, { policy: this.#policy, signal: options?.signal });
  }

  /** Reads every object of the row through its checksum (streamed, not kept). */
  async verify(row: Pick<CatalogRow, "commitId">, options?: ReadOptions): Promise<void> {
    const manifest = await this.manifest(row, options);
    const folder = this.commitFolder(manifest.commitId);
    await mapBounded(manifest.objects, this.#concurrency, options?.signal, (entry, signal) =>
      verifyStreamed(this.store, `${folder}/${entry.key}`, entry, { policy: this.#policy, signal }),
    );
  }

  /** Removes commit folders no row references, older than `olderThan` ms (see {@link GcOptions}). */
  async gc(options: GcOptions): Promise<GcResult> {
    await this.settle();
    const result = await collectGarbage(this.store, this.root, (signal) => this.rows({ signal }), {
      ...options,
      policy: this.#policy,
    });
    if (!options.dryRun)
      for (const commitId of result.removed) {
        this.#ownKeys.delete(commitId);
        this.#manifests.delete(commitId);
      }
    return result;
  }

  /** Reads the catalog, rebuilding it when missing (with manifests present) or damaged. */
  async #load(signal: AbortSignal | undefined): Promise<CatalogSnapshot> {
    for (let round = 0; ; round++) {
      const snapshot = await readCatalog(this.store, this.catalogKey, this.root, {
        policy: this.#policy,
        signal,
      });
      const settled = snapshot.state === "ok" ? snapshot : await this.#rebuild(snapshot, signal);
      if (settled !== undefined) {
        this.#cache = settled;
        return settled;
      }
      if (round + 1 >= this.#policy.attempts)
        throw new CheckpointCatalogError(this.root, "the catalog kept changing while it was being rebuilt");
      await sleep(backoffDelay(this.#policy, round), signal);
    }
  }

  /** Rebuilds from manifests and writes back; undefined when another write got there first. */
  async #rebuild(
    snapshot: Exclude<CatalogSnapshot, { state: "ok" }>,
    signal: AbortSignal | undefined,
  ): Promise<CatalogSnapshot | undefined> {
    const rows = await rebuildRows(this.store, this.root, {
      policy: this.#policy,
      rowPolicy: this.#rowPolicy,
      concurrency: this.#concurrency,
      warn: this.#warn,
      signal,
    });
    // An empty, never-written checkpoint stays empty: reading must not create objects.
    if (snapshot.state === "missing" && rows.length === 0) return snapshot;
    this.#warn(
      `The catalog of "${this.root}" was ${snapshot.state === "missing" ? "missing" : `damaged (${snapshot.detail})`}; rebuilt it from ${rows.length} commit manifest(s)`,
    );
    const file = this.#catalogFile(rows, 1, [newUpdateId()]);
    try {
      const info = await this.store.put(
        this.catalogKey,
        encodeDocument(file),
        snapshot.state === "missing" ? { ifNoneMatch: "*" } : { ifMatch: snapshot.version },
      );
      return { state: "ok", version: info.version, file };
    } catch (error) {
      if (error instanceof PreconditionFailedError || isUncertain(error)) return undefined;
      throw error;
    }
  }

  /**
   * Compare-and-swap of catalog.json with this commit's row change, re-read and re-applied on
   * conflict. Resolves to the rows the update dropped.
   */
  async #swap(row: CatalogRow, signal: AbortSignal | undefined): Promise<CatalogRow[]> {
    let snapshot = this.#cache ?? (await this.#load(signal));
    let conflicts = 0;
    let uncertain = 0;
    for (;;) {
      throwIfAborted(signal, this.catalogKey);
      const base = snapshot.file;
      const change = applyRowChange(base?.rows ?? [], row, this.#rowPolicy);
      const updateId = newUpdateId();
      const seq = (base?.seq ?? 0) + 1;
      const next = this.#catalogFile(change.rows, seq, [updateId, ...(base?.updates ?? [])]);
      let failure: unknown;
      try {
        // No signal: once the swap is sent, its outcome must be learnt, not abandoned.
        const info = await this.store.put(
          this.catalogKey,
          encodeDocument(next),
          snapshot.version === undefined ? { ifNoneMatch: "*" } : { ifMatch: snapshot.version },
        );
        this.#cache = { state: "ok", version: info.version, file: next };
        return change.dropped;
      } catch (error) {
        if (!(error instanceof PreconditionFailedError) && !isUncertain(error)) throw error;
        failure = error;
      }
      const fresh = await this.#load(undefined).catch((error: unknown) => {
        throw this.#unknownOutcome(row, error);
      });
      const outcome = resolveOutcome(fresh.file, updateId, seq, row.commitId);
      if (outcome === "landed") {
        const current = new Set(fresh.file?.rows.map((existing) => existing.commitId));
        return change.dropped.filter((dropped) => !current.has(dropped.commitId));
      }
      if (outcome === "unknown") {
        // The log no longer reaches back to our sequence number (our cached catalog was far
        // behind) and our row is not in the catalog: either the update never landed, or it
        // landed and a later writer retired the row and deleted its folder. The manifest tells.
        const manifestKey = `${this.commitFolder(row.commitId)}/${MANIFEST_NAME}`;
        const present = await withRetry(this.#policy, undefined, () => this.store.head(manifestKey)).catch(
          (error: unknown) => {
            throw this.#unknownOutcome(row, error);
          },
        );
        if (present === undefined) return [];
      }
      // Another writer's update in between makes this a lost race, whatever the error said
      // (radosgw answers racing If-Match losers with a 500, not a 412).
      const raced = failure instanceof PreconditionFailedError || fresh.version !== snapshot.version;
      if (raced) {
        if (++conflicts > this.#policy.conflicts)
          throw new CheckpointCatalogError(
            this.root,
            `commit ${row.commitId} lost the catalog compare-and-swap ${conflicts} times to other writers; it did not happen`,
            { cause: failure },
          );
        // The fresh read is already in hand, so retry at once: a writer that sleeps after losing
        // keeps losing to one that commits in a loop (its cache is always current). Back off,
        // with jitter, only when the contention persists (many writers).
        if (conflicts > 3) await sleep(backoffDelay(this.#policy, Math.min(conflicts - 4, 4)), signal);
        else throwIfAborted(signal, this.catalogKey);
      } else {
        if (++uncertain >= this.#policy.attempts) throw failure;
        await sleep(backoffDelay(this.#policy, uncertain - 1), signal);
      }
      snapshot = fresh;
    }
  }

  #catalogFile(rows: CatalogRow[], seq: number, updates: readonly string[]): CatalogFile {
    return {
      format: CATALOG_FORMAT,
      version: FORMAT_VERSION,
      checkpoint: this.checkpoint,
      seq,
      updates: updates.slice(0, UPDATE_LOG_SIZE),
      rows,
    };
  }

  #unknownOutcome(row: CatalogRow, cause: unknown): CheckpointCatalogError {
    return new CheckpointCatalogError(
      this.root,
      `the outcome of the catalog update for commit ${row.commitId} could not be learnt; read the catalog to see whether it happened`,
      { cause },
    );
  }

  /** Best-effort removal of the commits an update retired; a failure only warns (gc finishes it). */
  async #dropCommits(dropped: readonly CatalogRow[]): Promise<void> {
    if (dropped.length === 0) return;
    const keys: string[] = [];
    try {
      for (const row of dropped) {
        const own = this.#ownKeys.get(row.commitId);
        if (own !== undefined) keys.push(...own);
        else
          for (const info of await listAllArray(this.store, `${this.commitFolder(row.commitId)}/`))
            keys.push(info.key);
      }
    } catch (error) {
      this.#warn(
        `Could not list retired commits of "${this.root}" for deletion; gc will remove them: ${error}`,
      );
      return;
    }
    await this.#deleteQuietly(keys, `retired commit(s) ${dropped.map((row) => row.commitId).join(", ")}`);
    for (const row of dropped) {
      this.#ownKeys.delete(row.commitId);
      this.#manifests.delete(row.commitId);
    }
  }

  async #deleteQuietly(keys: readonly string[], what: string): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.store.delete(keys);
    } catch (error) {
      this.#warn(`Could not delete ${what} of "${this.root}"; gc will remove it: ${error}`);
    }
  }

  #remember<T>(map: Map<string, T>, key: string, value: T, limit: number): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > limit) map.delete(map.keys().next().value!);
  }
}

/**
 * Whether a catalog update whose put failed uncertainly (or with a precondition failure that an
 * SDK retry of a landed request would also produce) took effect, judged from a fresh read.
 */
export function resolveOutcome(
  file: CatalogFile | undefined,
  updateId: string,
  seq: number,
  commitId: string,
): "landed" | "not-landed" | "unknown" {
  if (file === undefined) return "not-landed";
  if (file.updates.includes(updateId)) return "landed";
  // Also committed when a rebuild picked the manifest up; either way the row is in.
  if (file.rows.some((row) => row.commitId === commitId)) return "landed";
  if (file.seq < seq) return "not-landed";
  // The log still covers sequence `seq`, and another update holds it.
  if (file.seq - seq < file.updates.length) return "not-landed";
  return "unknown";
}
