import { z } from "zod";
import {
  CheckpointCatalogError,
  CheckpointIntegrityError,
  CheckpointOptionError,
  CheckpointSelectionError,
  PreconditionFailedError,
} from "../errors.js";
import { manifestKey } from "../layout.js";
import { validateKey } from "../store/keys.js";
import { listAllArray } from "../store/list.js";
import { throwIfAborted } from "../store/signal.js";
import type { PreparedPut } from "../store/types.js";
import {
  CATALOG_FORMAT,
  type CatalogFile,
  type CatalogRow,
  encodeDocument,
  FORMAT_VERSION,
  GC_FENCE_LOG,
  type GcFence,
  type JsonValue,
  type Labels,
  labelsEqual,
  MAX_FENCED_COMMITS,
  MAX_MANIFEST_BYTES,
  type Manifest,
  type ManifestObject,
  manifestSchema,
  type RowPolicy,
  UPDATE_LOG_SIZE,
} from "./catalog-format.js";
import {
  CatalogReader,
  type CatalogReaderOptions,
  type CatalogView,
  type LoadedCatalog,
  loadCatalog,
  type ReadOptions,
} from "./catalog-reader.js";
import { newCommitId, newUpdateId } from "./commit-id.js";
import {
  deleteGarbage,
  type GcOptions,
  type GcResult,
  garbageOf,
  gcResult,
  listCommitObjects,
} from "./gc.js";
import {
  buildManifest,
  objectLocation,
  objectStoreKey,
  parseManifest,
  prepareQuietly,
  putManifest,
  rowOfManifest,
} from "./manifest.js";
import { type CommitObject, putObjects, type ReusableObject, validateObjectKeys } from "./objects.js";
import { mapBounded } from "./pool.js";
import { backoffDelay, isUncertain, sleep, withRetry } from "./retry.js";
import { applyRowChange } from "./row-change.js";

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
export interface CatalogOptions extends CatalogReaderOptions {
  /**
   * The mode this writer asks for. Absent: the checkpoint's recorded mode (`"overwrite"` for a new
   * checkpoint). Given and different from the recorded one: `commit` throws
   * `CheckpointOptionError` before writing anything, unless `changeMode` is set.
   */
  readonly mode?: "overwrite" | "append" | undefined;
  /**
   * Rows kept per labels in append mode (null: all). Absent: the recorded history size (`null`
   * for a new checkpoint, or when the mode changes). Overwrite mode always keeps one.
   */
  readonly historySize?: number | null | undefined;
  /** Let an explicit `mode` replace the checkpoint's recorded one (recorded by the next commit). */
  readonly changeMode?: boolean | undefined;
  /** The writer's rank, recorded in the manifests it commits. Default 0. */
  readonly rank?: number | undefined;
  /** The writer's world size, recorded in its manifests. Default `rank + 1`. */
  readonly worldSize?: number | undefined;
  /** The writer's level, recorded in its manifests. Default 2. */
  readonly level?: 0 | 1 | 2 | undefined;
  /**
   * When to delete the commits an update retired (overwrite mode retires one per commit):
   * `"background"` (default) after `commit` resolves, overlapping the caller's next work, so a
   * commit costs three sequential round trips in every mode; `"await"` before it resolves.
   * {@link CatalogClient.settle} waits for background deletions; `gc` does so first.
   */
  readonly cleanup?: "await" | "background" | undefined;
  /**
   * Incremental commits (default true): an object whose size and content digest equal those of
   * an object a row of the catalog already references is listed at that object's key instead of
   * being uploaded again. `false` uploads every object and takes no digest.
   */
  readonly incremental?: boolean | undefined;
}

/** What {@link CatalogClient.copyFrom} copied. */
export interface CopyResult {
  /** Rows of the source catalog (all now in the destination catalog). */
  readonly rows: number;
  /** Commits whose objects were copied now. */
  readonly copied: number;
  /** Commits found complete and intact at the destination, not copied again. */
  readonly skipped: number;
  /** Objects and bytes of every row (copied or skipped). */
  readonly objects: number;
  readonly bytes: number;
}

/** Options of {@link CatalogClient.copyFrom}: progress callbacks and cancellation. */
export interface CopyOptions {
  /** Called once the source rows are read, with the totals to copy. */
  readonly onPlan?: ((total: { rows: number; objects: number; bytes: number }) => void) | undefined;
  /** Called after each object is copied (or found at the destination), with its size. */
  readonly onObject?: ((bytes: number) => void) | undefined;
  /** Called after each commit, with whether it was copied or found complete. */
  readonly onCommit?: ((commitId: string, outcome: "copied" | "skipped") => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Attempts of one commit when a gc fenced the catalog, or a row it reused from was retired,
 * between its catalog read and its swap; each attempt writes a new commit folder.
 */
const COMMIT_ATTEMPTS = 8;

/**
 * The commit folders gc runs fenced in `snapshot` after sequence `since` (the catalog a commit
 * read before its uploads; undefined: it had none), or `"all"` when that cannot be told: the
 * fence log no longer reaches back, a fence named too many folders, or the catalog was lost.
 */
function fencedSince(snapshot: LoadedCatalog, since: number | undefined): ReadonlySet<string> | "all" {
  const after = since ?? -1;
  if (snapshot.file === undefined) return since === undefined ? new Set() : "all";
  const fences = snapshot.file.gcFences ?? [];
  if (fences.length >= GC_FENCE_LOG && fences.at(-1)!.seq > after) return "all";
  const commits = new Set<string>();
  for (const fence of fences) {
    if (fence.seq <= after) continue;
    if (fence.commits === null) return "all";
    for (const commitId of fence.commits) commits.add(commitId);
  }
  return commits;
}

/** What a commit's swap must still hold on the catalog it swaps against (see {@link swapAllowed}). */
interface SwapReuse {
  readonly since: number | undefined;
  readonly attempts: ReadonlySet<string>;
  readonly sources: ReadonlySet<string>;
}

/**
 * Whether a commit may swap onto `snapshot`: no gc fenced its folders since its uploads began, and
 * every row it reused objects from is still present (DESIGN §4).
 */
function swapAllowed(snapshot: LoadedCatalog, reuse: SwapReuse): boolean {
  const present = new Set(snapshot.rows.map((existing) => existing.commitId));
  const fenced = fencedSince(snapshot, reuse.since);
  return !(
    fenced === "all" ||
    [...reuse.attempts].some((id) => fenced.has(id)) ||
    [...reuse.sources].some((source) => !present.has(source))
  );
}

/** The catalog one swap attempt writes. */
interface SwapPlan {
  readonly change: ReturnType<typeof applyRowChange>;
  readonly updateId: string;
  readonly seq: number;
  readonly next: CatalogFile;
}

/** A swap's first attempt, its catalog.json prepared ahead on `snapshot`. */
interface PreparedSwap {
  readonly snapshot: LoadedCatalog;
  readonly plan: SwapPlan;
  readonly prepared: PreparedPut;
}

/** Why a swap did not happen and the commit must be planned again on `fresh`. */
type SwapOutcome =
  | { readonly kind: "committed"; readonly dropped: CatalogRow[]; readonly rows: readonly CatalogRow[] }
  | { readonly kind: "replan"; readonly fresh: LoadedCatalog };

/**
 * One checkpoint folder's catalog and commits, written with the commit protocol of DESIGN §4:
 * objects in parallel, then `manifest.json` (create-only), then a compare-and-swap of
 * `catalog.json` — the commit point. Reads as a {@link CatalogReader} does (never writing); the
 * catalog last read or written is cached, so a commit no other writer raced makes three
 * sequential round trips and k + 2 store calls for k objects.
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
export class CatalogClient extends CatalogReader {
  readonly #options: CatalogOptions;
  #cache: LoadedCatalog | undefined;
  #policy: RowPolicy | undefined;
  #conflict: string | undefined;
  #cleanup: Promise<void> = Promise.resolve();

  constructor(options: CatalogOptions) {
    super(options);
    this.#options = options;
  }

  /**
   * How this writer keeps rows: the checkpoint's recorded policy, or the requested one (see
   * {@link CatalogOptions.mode}). `undefined` until the catalog was first read.
   */
  get policy(): RowPolicy | undefined {
    return this.#policy;
  }

  /** Whether commits reuse stored objects of equal content (see {@link CatalogOptions.incremental}). */
  get incremental(): boolean {
    return this.#options.incremental !== false;
  }

  /** Rows and recorded policy; also the base of this writer's next compare-and-swap. Reads only. */
  override async read(options?: ReadOptions): Promise<CatalogView> {
    return this.#load(options?.signal);
  }

  /**
   * Commits one row: puts the objects, then the manifest, then swaps the catalog. Resolves to the
   * committed row once the catalog swap succeeded; before that the commit did not happen, and a
   * failure leaves the catalog as it was. A catalog that was rebuilt in memory (missing or
   * damaged) is written back by this swap.
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
    // The checkpoint's recorded mode must be known, and agree with the requested one, before
    // anything is written.
    if (this.#cache === undefined) await this.#load(signal);
    // A new checkpoint's catalog is created while the objects are put, and awaited before the
    // manifest: a manifest never exists without a catalog, and the creation is no step of its own.
    let creating =
      this.#cache?.source === "empty" ? this.#createCatalog(this.#writablePolicy(), signal) : undefined;
    creating?.catch(() => undefined);
    let policy = this.#writablePolicy();
    const incremental = this.#options.incremental !== false;
    const digests: (string | undefined)[] = [];
    // Objects this commit uploaded in an earlier attempt, reusable while no gc fenced their folder.
    const carried = new Map<string, ReusableObject>();
    const attempts = new Set<string>();
    // Before the creation: no seq, so every gc fence of the catalog swapped against counts.
    let since = this.#cache?.file?.seq;
    for (let attempt = 1; ; attempt++) {
      const base = this.#cache!;
      const reusable = incremental ? this.#reusable(base, carried) : undefined;
      const commitId = newCommitId(request.writeCount);
      const folder = this.commitFolder(commitId);
      const manifestKeyOfCommit = manifestKey(this.root, commitId);
      let manifestMaybeWritten = false;
      let manifest: Manifest;
      let prepared: PreparedPut | undefined;
      let swapAhead: PreparedSwap | undefined;
      let upload: Promise<unknown> | undefined;
      try {
        let whenListed: (entries: readonly ManifestObject[]) => void = () => {};
        const listed = new Promise<readonly ManifestObject[]>((resolve) => {
          whenListed = resolve;
        });
        const uploading = putObjects(this.store, folder, request.objects, {
          concurrency: this.concurrency,
          policy: this.retryPolicy,
          signal,
          incremental:
            reusable === undefined
              ? undefined
              : { digests, find: (size, digest) => reusable.get(`${size}:${digest}`) },
          whenListed,
        });
        upload = uploading;
        uploading.catch(() => undefined);
        // The manifest is known once every object's checksum is, usually while the objects are
        // still being written and synced.
        const entries = await Promise.race([listed, uploading]);
        if (creating !== undefined) {
          await creating;
          creating = undefined;
          // Another writer may have created the catalog first, with its own mode.
          policy = this.#writablePolicy();
        }
        manifest = buildManifest({
          checkpoint: this.checkpoint,
          commitId,
          mode: policy.mode,
          historySize: policy.historySize,
          rank: this.#options.rank ?? 0,
          worldSize: this.#options.worldSize ?? (this.#options.rank ?? 0) + 1,
          level: this.#options.level ?? 2,
          labels: request.labels,
          metadata: request.metadata,
          writeCount: request.writeCount,
          savedAt: new Date().toISOString(),
          states: request.states,
          objects: [...entries],
        });
        // Never write a manifest this version could not read back (e.g. metadata that is not JSON).
        const invalid = manifestSchema.safeParse(manifest);
        if (!invalid.success)
          throw new CheckpointCatalogError(
            this.root,
            `commit ${commitId} cannot be recorded: ${z.prettifyError(invalid.error)}`,
          );
        const manifestBytes = encodeDocument(manifest);
        // Where the store can, the manifest is written (and synced) out of sight beside the
        // objects' last writes and syncs, and made visible only after every object was
        // acknowledged: it then costs the commit a link and a folder sync instead of a put.
        prepared = await prepareQuietly(
          this.store,
          manifestKeyOfCommit,
          manifestBytes,
          { ifNoneMatch: "*" },
          signal,
        );
        // The catalog swap's first attempt likewise, on the catalog cached now.
        swapAhead = await this.#prepareSwap(rowOfManifest(manifest), policy, {
          since,
          attempts: new Set([...attempts, commitId]),
          sources: this.#sourcesOf(manifest, reusable),
        });
        await upload;
        await putManifest(this.store, manifestKeyOfCommit, manifestBytes, {
          policy: this.retryPolicy,
          signal,
          prepared,
          onMaybeWritten: () => {
            manifestMaybeWritten = true;
          },
        });
        prepared = undefined;
        throwIfAborted(signal, this.catalogKey);
      } catch (error) {
        await prepared?.discard();
        await swapAhead?.prepared.discard();
        // Puts still in flight (the manifest failed first) must end before their objects go.
        await upload?.catch(() => undefined);
        // Without a manifest no reader or rebuild can reference the objects, so they can go now;
        // with one, gc removes them after its grace period.
        if (!manifestMaybeWritten)
          await this.#deleteQuietly(
            [
              ...request.objects.map((object) => `${folder}/${object.key}`),
              ...[...carried.values()].map((object) => `${this.root}/${object.location}`),
            ],
            `failed commit ${commitId}`,
          );
        throw error;
      }
      this.rememberManifest(manifest);
      const row = rowOfManifest(manifest);
      const sources = this.#sourcesOf(manifest, reusable);
      attempts.add(commitId);
      const outcome = await this.#swap(row, policy, signal, { since, attempts, sources }, swapAhead);
      if (outcome.kind === "committed") {
        // #dropCommits never rejects: a failed deletion only warns, and gc finishes it.
        this.#cleanup = this.#cleanup.then(() => this.#dropCommits(outcome.dropped, outcome.rows));
        if (this.#options.cleanup === "await") await this.#cleanup;
        return row;
      }
      // The swap's base no longer protects what this attempt references: plan again on the fresh
      // catalog. The bytes are still in hand; this attempt's manifest will never be a row.
      this.manifests.delete(commitId);
      const fenced = fencedSince(outcome.fresh, since);
      const fresh = manifest.objects.filter((entry) => entry.location === undefined);
      const abandoned = [manifestKeyOfCommit];
      if (fenced === "all" || [...attempts].some((id) => fenced.has(id))) {
        // A gc listed this commit's uploads as garbage: they may be deleted at any time.
        abandoned.push(...fresh.map((entry) => objectStoreKey(this.root, commitId, entry)));
        abandoned.push(...[...carried.values()].map((object) => `${this.root}/${object.location}`));
        carried.clear();
        attempts.clear();
        since = outcome.fresh.file?.seq;
      } else
        for (const entry of fresh)
          if (entry.digest !== undefined)
            carried.set(`${entry.size}:${entry.digest}`, {
              location: objectLocation(commitId, entry),
              checksum: entry.checksum,
            });
      await this.#deleteQuietly(abandoned, `abandoned attempt ${commitId}`);
      if (attempt >= COMMIT_ATTEMPTS)
        throw new CheckpointCatalogError(
          this.root,
          `commit of write ${request.writeCount} was planned ${attempt} times: each time a gc fenced the catalog, or a row it reused objects from was retired, before its swap; it did not happen`,
        );
    }
  }

  /**
   * Objects this commit may reuse, by `size:digest`: those listed by the manifests (already held
   * by this client) of the rows of `base`, the catalog the swap will be based on, and the
   * commit's own uploads of an earlier attempt. A catalog rebuilt in memory offers none: a row it
   * brought back may list objects already deleted.
   */
  #reusable(
    base: LoadedCatalog,
    carried: ReadonlyMap<string, ReusableObject>,
  ): Map<string, ReusableObject & { readonly source?: string | undefined }> {
    const reusable = new Map<string, ReusableObject & { readonly source?: string | undefined }>(carried);
    if (base.source !== "catalog") return reusable;
    for (const row of base.rows) {
      const manifest = this.manifests.get(row.commitId);
      if (manifest === undefined) continue;
      for (const entry of manifest.objects)
        if (entry.digest !== undefined)
          reusable.set(`${entry.size}:${entry.digest}`, {
            location: objectLocation(row.commitId, entry),
            checksum: entry.checksum,
            source: row.commitId,
          });
    }
    return reusable;
  }

  /** Resolves once every background deletion of retired commits has finished (never rejects). */
  settle(): Promise<void> {
    return this.#cleanup;
  }

  /**
   * Writes back a catalog that reading found missing (with manifests present) or damaged: the
   * rows rebuilt from the manifests, by compare-and-swap against what was read. Resolves to
   * whether it wrote anything (an intact or empty catalog is left as it is).
   */
  async repair(
    options?: ReadOptions,
  ): Promise<{ readonly repaired: boolean; readonly rows: readonly CatalogRow[] }> {
    let repaired = false;
    const result = await this.#update(options?.signal, (loaded) => {
      if (loaded.source !== "rebuilt") return undefined;
      repaired = true;
      return [...loaded.rows];
    });
    return { repaired, rows: result.rows };
  }

  /**
   * Drops the row of `commitId` from the catalog by compare-and-swap, leaving its objects for
   * `gc`. `CheckpointSelectionError` when no row has that id. Resolves to the dropped row.
   */
  async remove(commitId: string, options?: ReadOptions): Promise<CatalogRow> {
    let removed: CatalogRow | undefined;
    await this.#update(options?.signal, (loaded) => {
      const row = loaded.rows.find((existing) => existing.commitId === commitId);
      if (row === undefined) {
        // Gone after a retry of our own update whose outcome was unknown: it landed.
        if (removed !== undefined) return undefined;
        throw new CheckpointSelectionError(this.root, `no row with commit id ${commitId}`);
      }
      removed = row;
      return loaded.rows.filter((existing) => existing !== row);
    });
    return removed!;
  }

  /**
   * Drops, by one compare-and-swap, the rows with exactly these labels committed above
   * `writeCount` (a world restart's rows of a life the world rolled back), leaving their objects
   * for `gc`. Resolves to the rows dropped; writes nothing when there are none.
   */
  async retireAbove(labels: Labels, writeCount: number, options?: ReadOptions): Promise<CatalogRow[]> {
    let dropped: CatalogRow[] = [];
    await this.#update(options?.signal, (loaded) => {
      const above = loaded.rows.filter(
        (row) => row.writeCount > writeCount && labelsEqual(row.labels, labels),
      );
      // An empty second pass after an update whose outcome was unknown: it landed.
      if (above.length === 0) return undefined;
      dropped = above;
      return loaded.rows.filter((row) => !above.includes(row));
    });
    return dropped;
  }

  /**
   * Removes the objects no row references, older than `olderThan` ms (see {@link GcOptions}).
   * Before deleting it fences the catalog (a compare-and-swap recording a new gc fence on the
   * version whose rows it kept), so a commit in flight across it uploads again instead of
   * referencing an object this gc deletes.
   */
  async gc(options: GcOptions): Promise<GcResult> {
    await this.settle();
    const { signal } = options;
    // Listed before the catalog is read: an object that becomes referenced meanwhile is seen so.
    const listed = await listCommitObjects(this.store, this.root, signal);
    for (let conflicts = 0; ; conflicts++) {
      const loaded = await this.#load(signal);
      const garbage = garbageOf(listed, await this.references(loaded.rows, signal), options.olderThan);
      if (garbage.length > 0 && !options.dryRun) {
        const commits = [...new Set(garbage.map((item) => item.commitId))].sort();
        if (!(await this.#fence(loaded, commits, signal))) {
          if (conflicts >= this.retryPolicy.conflicts)
            throw new CheckpointCatalogError(
              this.root,
              `gc lost the compare-and-swap of its fence ${conflicts + 1} times to other writers; nothing was deleted`,
            );
          continue;
        }
        await deleteGarbage(this.store, garbage, { policy: this.retryPolicy, signal });
        for (const item of garbage) if (item.manifest) this.manifests.delete(item.commitId);
      }
      return gcResult(this.store, this.root, garbage, options);
    }
  }

  /**
   * Records a new gc fence by one compare-and-swap on `loaded`, rows unchanged (a catalog rebuilt
   * in memory is written back). Resolves to whether it landed.
   */
  async #fence(
    loaded: LoadedCatalog,
    commits: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    throwIfAborted(signal, this.catalogKey);
    const policy = loaded.policy ?? this.#policy ?? { mode: "append", historySize: null };
    const updateId = newUpdateId();
    const seq = (loaded.file?.seq ?? 0) + 1;
    const fence: GcFence = { seq, commits: commits.length > MAX_FENCED_COMMITS ? null : [...commits] };
    const next = this.#catalogFile(
      [...loaded.rows],
      policy,
      seq,
      [updateId, ...(loaded.file?.updates ?? [])],
      [fence, ...(loaded.file?.gcFences ?? [])],
    );
    try {
      await this.#putCatalog(next, loaded.version, policy);
      return true;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) && !isUncertain(error)) throw error;
      return (await this.#load(signal)).file?.updates.includes(updateId) === true;
    }
  }

  /**
   * Copies every row of `source` (another store's or folder's reader of the same checkpoint) into
   * this folder with the commit protocol: each commit's objects (checked against the source
   * manifest while read), then its manifest (create-only; the same bytes already there are
   * fine), each read back through its checksum; commits already complete here are verified, not
   * copied. Last, the catalog by compare-and-swap against the version read before copying: an
   * interrupted copy leaves this catalog as it was, and a catalog changed meanwhile is left too
   * (`CheckpointCatalogError`). An intact source catalog is copied byte for byte. Refuses
   * (before copying) a destination holding rows the source lacks: copying would drop them.
   */
  async copyFrom(source: CatalogReader, options: CopyOptions = {}): Promise<CopyResult> {
    const { signal } = options;
    const before = await this.#load(signal);
    const view = await source[loadCatalog](signal);
    const sourceIds = new Set(view.rows.map((row) => row.commitId));
    const extra = before.rows.filter((row) => !sourceIds.has(row.commitId));
    if (extra.length > 0)
      throw new CheckpointCatalogError(
        this.root,
        `the destination holds row(s) the source lacks (${extra.map((row) => row.commitId).join(", ")}); copying would drop them. Remove them (ckpt rm) or copy to another store`,
      );
    const plans = [];
    for (const row of view.rows) {
      // The manifest's bytes as stored, so the destination gets the same create-only document.
      const key = manifestKey(source.root, row.commitId);
      const bytes = (
        await withRetry(this.retryPolicy, signal, () =>
          source.store.get(key, { signal, maxBytes: MAX_MANIFEST_BYTES }),
        )
      ).bytes;
      const manifest = parseManifest(bytes, key, row.commitId);
      if (manifest.writeCount !== row.writeCount)
        throw new CheckpointIntegrityError(
          key,
          `the manifest records writeCount ${manifest.writeCount}, the catalog row ${row.writeCount}`,
        );
      plans.push({ row, manifest, bytes });
    }
    const sizeOf = (manifest: Manifest) => manifest.objects.reduce((sum, object) => sum + object.size, 0);
    const objects = plans.reduce((sum, plan) => sum + plan.manifest.objects.length, 0);
    const bytes = plans.reduce((sum, plan) => sum + sizeOf(plan.manifest), 0);
    options.onPlan?.({ rows: view.rows.length, objects, bytes });
    let copied = 0;
    let skipped = 0;
    const copiedKeys = new Set<string>();
    for (const plan of plans) {
      const { row, manifest } = plan;
      if (await this.#completeHere(row, plan.bytes, signal)) {
        skipped++;
        for (const object of manifest.objects) options.onObject?.(object.size);
        options.onCommit?.(row.commitId, "skipped");
        continue;
      }
      await mapBounded(manifest.objects, this.concurrency, signal, async (object, inner) => {
        // A reused object is copied once, to the key where its bytes live (an earlier commit's).
        const location = objectStoreKey(this.root, row.commitId, object);
        if (!copiedKeys.has(location)) {
          copiedKeys.add(location);
          const body = await source.readObject(manifest, object.key, { signal: inner });
          const [folder, key] = [
            location.slice(0, location.lastIndexOf("/")),
            location.slice(location.lastIndexOf("/") + 1),
          ];
          await putObjects(this.store, folder, [{ key, chunks: [body], size: body.byteLength }], {
            concurrency: 1,
            policy: this.retryPolicy,
            signal: inner,
          });
        }
        options.onObject?.(object.size);
      });
      await putManifest(this.store, manifestKey(this.root, row.commitId), plan.bytes, {
        policy: this.retryPolicy,
        signal,
        onMaybeWritten: () => {},
      });
      this.manifests.delete(row.commitId);
      await this.verify(row, { signal });
      copied++;
      options.onCommit?.(row.commitId, "copied");
    }
    if (view.rows.length > 0) {
      const body =
        view.bytes ??
        encodeDocument(
          this.#catalogFile(
            [...view.rows],
            view.policy ?? { mode: "append", historySize: null },
            1,
            [newUpdateId()],
            undefined,
          ),
        );
      try {
        await this.store.put(
          this.catalogKey,
          body,
          before.version === undefined ? { ifNoneMatch: "*" } : { ifMatch: before.version },
        );
      } catch (error) {
        if (error instanceof PreconditionFailedError)
          throw new CheckpointCatalogError(
            this.root,
            `the destination catalog ${this.catalogKey} changed while copying; it was left as it is (run the copy again)`,
            { cause: error },
          );
        throw error;
      } finally {
        this.#cache = undefined;
      }
    }
    return { rows: view.rows.length, copied, skipped, objects, bytes };
  }

  /** Whether this folder holds the commit complete: the same manifest bytes, every object intact. */
  async #completeHere(
    row: CatalogRow,
    manifestBytes: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    try {
      const existing = await this.store.get(manifestKey(this.root, row.commitId), {
        maxBytes: manifestBytes.byteLength,
        signal,
      });
      if (Buffer.compare(existing.bytes, manifestBytes) !== 0) return false;
      await this.verify(row, { signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Reads the catalog (rebuilding in memory when missing or damaged), caches it, resolves the policy. */
  async #load(signal: AbortSignal | undefined): Promise<LoadedCatalog> {
    const loaded = await this[loadCatalog](signal);
    this.#cache = loaded;
    this.#resolvePolicy(loaded.policy);
    return loaded;
  }

  /** The writer's policy given the recorded one: adopt it, keep the requested one, or note a conflict. */
  #resolvePolicy(recorded: RowPolicy | undefined): void {
    const { mode, historySize, changeMode } = this.#options;
    this.#conflict = undefined;
    if (recorded === undefined) {
      this.#policy = { mode: mode ?? "overwrite", historySize: historySize ?? null };
      return;
    }
    if (mode !== undefined && mode !== recorded.mode) {
      if (changeMode === true) {
        this.#policy = { mode, historySize: historySize ?? null };
        return;
      }
      this.#conflict = `mode '${mode}' was asked for, but the checkpoint records mode '${recorded.mode}'. Open it without a mode to adopt '${recorded.mode}', or pass changeMode: true to change it to '${mode}'.`;
    }
    this.#policy = {
      mode: recorded.mode,
      historySize:
        historySize !== undefined && this.#conflict === undefined ? historySize : recorded.historySize,
    };
  }

  /**
   * Throws `CheckpointOptionError` when the requested `mode` conflicts with the recorded one (and
   * `changeMode` is not set), as `commit` would; call it after a read to refuse a session early.
   */
  assertPolicy(): void {
    if (this.#conflict !== undefined)
      throw new CheckpointOptionError("mode", this.#conflict, { checkpoint: this.checkpoint });
  }

  #writablePolicy(): RowPolicy {
    this.assertPolicy();
    return this.#policy!;
  }

  /**
   * A compare-and-swap of catalog.json with rows computed from the catalog as read (`change`
   * returns undefined when there is nothing to write). Used by repair and remove; a commit uses
   * {@link #swap}, which also resolves the outcome through its manifest.
   */
  async #update(
    signal: AbortSignal | undefined,
    change: (loaded: LoadedCatalog) => CatalogRow[] | undefined,
  ): Promise<LoadedCatalog> {
    let loaded = await this.#load(signal);
    let conflicts = 0;
    for (;;) {
      const rows = change(loaded);
      if (rows === undefined) return loaded;
      const policy = this.#policy ?? { mode: "append", historySize: null };
      const updateId = newUpdateId();
      const next = this.#catalogFile(
        rows,
        policy,
        (loaded.file?.seq ?? 0) + 1,
        [updateId, ...(loaded.file?.updates ?? [])],
        loaded.file?.gcFences,
      );
      try {
        await this.#putCatalog(next, loaded.version, policy);
        return this.#cache!;
      } catch (error) {
        if (!(error instanceof PreconditionFailedError) && !isUncertain(error)) throw error;
        loaded = await this.#load(signal);
        if (loaded.file?.updates.includes(updateId)) return loaded;
        if (++conflicts > this.retryPolicy.conflicts)
          throw new CheckpointCatalogError(
            this.root,
            `the catalog update lost the compare-and-swap ${conflicts} times to other writers; it did not happen`,
            { cause: error },
          );
        await sleep(backoffDelay(this.retryPolicy, Math.min(conflicts - 1, 4)), signal);
      }
    }
  }

  /**
   * Creates a new checkpoint's catalog, with no rows, before its first manifest is written. Then a
   * reader that finds manifests but no catalog.json knows the catalog was lost and rebuilds it;
   * it never takes the manifests of first commits still in flight for committed rows.
   */
  async #createCatalog(policy: RowPolicy, signal: AbortSignal | undefined): Promise<void> {
    const file = this.#catalogFile([], policy, 1, [newUpdateId()], undefined);
    try {
      const info = await this.store.put(this.catalogKey, encodeDocument(file), { ifNoneMatch: "*", signal });
      this.#cache = { rows: [], policy, source: "catalog", version: info.version, file, bytes: undefined };
    } catch (error) {
      // Another writer created it first, or the outcome is unknown: read what is there.
      if (!(error instanceof PreconditionFailedError) && !isUncertain(error)) throw error;
      await this.#load(signal);
    }
  }

  /**
   * Compare-and-swap of catalog.json with this commit's row change, re-read and re-applied on
   * conflict. Resolves to the rows the update dropped.
   */
  /** The rows this manifest reuses objects from (by `reusable`'s record of where they came from). */
  #sourcesOf(
    manifest: Manifest,
    reusable: Map<string, { source?: string | undefined }> | undefined,
  ): Set<string> {
    const sources = new Set<string>();
    for (const entry of manifest.objects)
      if (entry.location !== undefined) {
        const source = reusable?.get(`${entry.size}:${entry.digest}`)?.source;
        if (source !== undefined) sources.add(source);
      }
    return sources;
  }

  /**
   * The first attempt of {@link #swap} on the catalog cached now, its catalog.json prepared ahead
   * where the store can (see `Store.prepare`): written and synced while the objects and the
   * manifest are, published only by the swap, and only if the cache is still that catalog.
   */
  async #prepareSwap(
    row: CatalogRow,
    policy: RowPolicy,
    reuse: SwapReuse,
  ): Promise<PreparedSwap | undefined> {
    const snapshot = this.#cache;
    if (snapshot === undefined || this.store.prepare === undefined || !swapAllowed(snapshot, reuse))
      return undefined;
    const plan = this.#swapPlan(snapshot, row, policy);
    const prepared = await prepareQuietly(
      this.store,
      this.catalogKey,
      encodeDocument(plan.next),
      snapshot.version === undefined ? { ifNoneMatch: "*" } : { ifMatch: snapshot.version },
      undefined,
    );
    return prepared && { snapshot, plan, prepared };
  }

  /** The catalog a swap of `row` onto `snapshot` writes. */
  #swapPlan(snapshot: LoadedCatalog, row: CatalogRow, policy: RowPolicy): SwapPlan {
    const base = snapshot.file;
    const change = applyRowChange(snapshot.rows, row, policy);
    const updateId = newUpdateId();
    const seq = (base?.seq ?? 0) + 1;
    const next = this.#catalogFile(
      change.rows,
      policy,
      seq,
      [updateId, ...(base?.updates ?? [])],
      base?.gcFences,
    );
    return { change, updateId, seq, next };
  }

  async #swap(
    row: CatalogRow,
    policy: RowPolicy,
    signal: AbortSignal | undefined,
    reuse: SwapReuse,
    ahead?: PreparedSwap | undefined,
  ): Promise<SwapOutcome> {
    let snapshot = this.#cache ?? (await this.#load(signal));
    let conflicts = 0;
    let uncertain = 0;
    let prepared = ahead?.snapshot === snapshot ? ahead : undefined;
    if (prepared === undefined) await ahead?.prepared.discard();
    for (;;) {
      // The commit is safe to swap in only on a base where no gc fenced its folders since its
      // uploads began and every row it reused objects from is still present (DESIGN §4).
      if (signal?.aborted === true || !swapAllowed(snapshot, reuse)) await prepared?.prepared.discard();
      throwIfAborted(signal, this.catalogKey);
      if (!swapAllowed(snapshot, reuse)) return { kind: "replan", fresh: snapshot };
      const { change, updateId, seq, next } = prepared?.plan ?? this.#swapPlan(snapshot, row, policy);
      const publish = prepared?.prepared;
      prepared = undefined;
      let failure: unknown;
      try {
        // No signal: once the swap is sent, its outcome must be learnt, not abandoned.
        await this.#putCatalog(next, snapshot.version, policy, publish);
        this.#resolvePolicy(policy);
        return { kind: "committed", dropped: change.dropped, rows: change.rows };
      } catch (error) {
        // A prepared catalog that failed to publish is resolved like an uncertain put: re-read,
        // then a plain put if it did not land.
        if (!(error instanceof PreconditionFailedError) && !isUncertain(error) && publish === undefined)
          throw error;
        failure = error;
      }
      const fresh: LoadedCatalog = await this.#load(undefined).catch((error: unknown) => {
        throw this.#unknownOutcome(row, error);
      });
      // A catalog rebuilt in memory was not written by anyone: our update did not land.
      const outcome = resolveOutcome(fresh.file, updateId, seq, row.commitId);
      if (outcome === "landed") {
        const current = new Set(fresh.rows.map((existing) => existing.commitId));
        const dropped = change.dropped.filter((existing) => !current.has(existing.commitId));
        return { kind: "committed", dropped, rows: fresh.rows };
      }
      if (outcome === "unknown") {
        // The log no longer reaches back to our sequence number (our cached catalog was far
        // behind) and our row is not in the catalog: either the update never landed, or it
        // landed and a later writer retired the row and deleted its folder. The manifest tells.
        const present = await withRetry(this.retryPolicy, undefined, () =>
          this.store.head(manifestKey(this.root, row.commitId)),
        ).catch((error: unknown) => {
          throw this.#unknownOutcome(row, error);
        });
        if (present === undefined) return { kind: "committed", dropped: [], rows: fresh.rows };
      }
      // Another writer's update in between makes this a lost race, whatever the error said
      // (radosgw answers racing If-Match losers with a 500, not a 412).
      const raced = failure instanceof PreconditionFailedError || fresh.version !== snapshot.version;
      if (raced) {
        if (++conflicts > this.retryPolicy.conflicts)
          throw new CheckpointCatalogError(
            this.root,
            `commit ${row.commitId} lost the catalog compare-and-swap ${conflicts} times to other writers; it did not happen`,
            { cause: failure },
          );
        // The fresh read is already in hand, so retry at once: a writer that sleeps after losing
        // keeps losing to one that commits in a loop (its cache is always current). Back off,
        // with jitter, only when the contention persists (many writers).
        if (conflicts > 3) await sleep(backoffDelay(this.retryPolicy, Math.min(conflicts - 4, 4)), signal);
        else throwIfAborted(signal, this.catalogKey);
      } else if (publish === undefined) {
        if (++uncertain >= this.retryPolicy.attempts) throw failure;
        await sleep(backoffDelay(this.retryPolicy, uncertain - 1), signal);
      }
      snapshot = fresh;
    }
  }

  /** Puts `next` by compare-and-swap against `version` (none: create it) and caches it. */
  async #putCatalog(
    next: CatalogFile,
    version: string | undefined,
    policy: RowPolicy,
    prepared?: PreparedPut | undefined,
  ): Promise<void> {
    const info =
      prepared !== undefined
        ? await prepared.publish()
        : await this.store.put(
            this.catalogKey,
            encodeDocument(next),
            version === undefined ? { ifNoneMatch: "*" } : { ifMatch: version },
          );
    this.#cache = {
      rows: next.rows,
      policy,
      source: "catalog",
      version: info.version,
      file: next,
      bytes: undefined,
    };
  }

  #catalogFile(
    rows: CatalogRow[],
    policy: RowPolicy,
    seq: number,
    updates: readonly string[],
    gcFences: readonly GcFence[] | undefined,
  ): CatalogFile {
    return {
      format: CATALOG_FORMAT,
      version: FORMAT_VERSION,
      checkpoint: this.checkpoint,
      mode: policy.mode,
      historySize: policy.historySize,
      seq,
      ...(gcFences === undefined ? {} : { gcFences: gcFences.slice(0, GC_FENCE_LOG) }),
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

  /**
   * Best-effort removal of the commits an update retired: their manifests first, then every object
   * they list that no remaining row references (a later row may reuse it). A failure only warns;
   * gc finishes it.
   */
  async #dropCommits(dropped: readonly CatalogRow[], remaining: readonly CatalogRow[]): Promise<void> {
    if (dropped.length === 0) return;
    const what = `retired commit(s) ${dropped.map((row) => row.commitId).join(", ")}`;
    const manifests: string[] = [];
    const objects: string[] = [];
    try {
      const kept = await this.references(remaining, undefined);
      for (const row of dropped) {
        manifests.push(manifestKey(this.root, row.commitId));
        const manifest = await this.manifest(row).catch(() => undefined);
        if (manifest === undefined)
          // Unreadable: its listing is all that tells which objects it holds.
          for (const info of await listAllArray(this.store, `${this.commitFolder(row.commitId)}/`))
            if (!kept.keys.has(info.key) && !manifests.includes(info.key)) objects.push(info.key);
        for (const entry of manifest?.objects ?? []) {
          const key = objectStoreKey(this.root, row.commitId, entry);
          if (!kept.keys.has(key)) objects.push(key);
        }
      }
    } catch (error) {
      this.warn(
        `Could not tell which objects of ${what} of "${this.root}" are unreferenced; gc will remove them: ${error}`,
      );
      return;
    }
    await this.#deleteQuietly(manifests, what);
    await this.#deleteQuietly([...new Set(objects)], what);
    for (const row of dropped) this.manifests.delete(row.commitId);
  }

  async #deleteQuietly(keys: readonly string[], what: string): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.store.delete(keys);
    } catch (error) {
      this.warn(`Could not delete ${what} of "${this.root}"; gc will remove it: ${error}`);
    }
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
