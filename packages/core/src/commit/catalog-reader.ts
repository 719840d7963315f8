import { CheckpointIntegrityError } from "../errors.js";
import { catalogKey, commitFolder, manifestKey } from "../layout.js";
import { validateKey } from "../store/keys.js";
import type { Store } from "../store/types.js";
import type { CatalogFile, CatalogRow, Manifest, ManifestObject, RowPolicy } from "./catalog-format.js";
import { readCatalog } from "./catalog-io.js";
import {
  type GcResult,
  garbageOf,
  gcResult,
  listCommitObjects,
  type References,
  referencesOf,
} from "./gc.js";
import { objectStoreKey, policyOfManifest, readManifest } from "./manifest.js";
import { readVerified, verifyStreamed } from "./objects.js";
import { mapBounded } from "./pool.js";
import { rebuildRows } from "./rebuild.js";
import { type RetryOptions, type RetryPolicy, retryPolicy } from "./retry.js";

/** How a {@link CatalogReader} reaches one checkpoint folder. No writer settings: it never writes. */
export interface CatalogReaderOptions {
  readonly store: Store;
  /** The checkpoint's name, for messages. */
  readonly checkpoint: string;
  /** The checkpoint's folder in the store: `"<name>"` or `"<name>/rank_000003"`. */
  readonly root: string;
  /** Object reads in flight at once. Default 8. */
  readonly concurrency?: number | undefined;
  /** Receives warnings (a catalog rebuilt in memory, a skipped manifest). Default `process.emitWarning`. */
  readonly warn?: ((message: string) => void) | undefined;
  /** Retry and backoff of store calls whose failure may pass. */
  readonly retry?: RetryOptions | undefined;
}

/** Per-call options of the reading methods. */
export interface ReadOptions {
  readonly signal?: AbortSignal | undefined;
}

/** What one read of a checkpoint's catalog found. */
export interface CatalogView {
  /** The committed rows, oldest first. */
  readonly rows: readonly CatalogRow[];
  /**
   * How the checkpoint keeps rows, as its writers recorded it: catalog.json's `mode` and
   * `historySize`; for a catalog written before they were recorded, the newest row's manifest
   * (its mode; its history size, or `null`, every row, when it has none). `undefined` for a
   * checkpoint never written.
   */
  readonly policy: RowPolicy | undefined;
  /**
   * `"catalog"`: read from catalog.json. `"rebuilt"`: catalog.json was missing (with manifests
   * present) or damaged, and the rows were rebuilt in memory from the manifests; nothing was
   * written. `"empty"`: no catalog and no commit.
   */
  readonly source: "catalog" | "rebuilt" | "empty";
}

/** @internal A read with what a writer needs to compare-and-swap against. */
export interface LoadedCatalog extends CatalogView {
  /** Store version of catalog.json to swap against; `undefined`: it does not exist (create it). */
  readonly version: string | undefined;
  /** The parsed file, when it was read intact. */
  readonly file: CatalogFile | undefined;
  /** The stored bytes, when read intact. */
  readonly bytes: Uint8Array | undefined;
}

/** @internal The full read of a catalog (a writer's compare-and-swap base). */
export const loadCatalog: unique symbol = Symbol("ckpt.loadCatalog");

// Large enough that a writer holds the manifests of the rows its commits may reuse from.
const MANIFEST_CACHE_SIZE = 256;

/**
 * Reads one checkpoint folder: its rows, manifests and objects, each checked (schema, size,
 * checksum), and what `gc` would remove. It never writes: a missing (with manifests present) or
 * damaged catalog is rebuilt in memory from the manifests, with a warning, keeping the rows the
 * writers kept; the next commit, or {@link CatalogClient.repair}, writes it back.
 *
 * @example
 * const reader = new CatalogReader({ store, checkpoint: "run", root: "run" });
 * const { rows, policy } = await reader.read();
 * await reader.verify(rows.at(-1)!);
 */
export class CatalogReader {
  readonly store: Store;
  readonly checkpoint: string;
  readonly root: string;
  /** @internal */
  protected readonly retryPolicy: RetryPolicy;
  /** @internal */
  protected readonly concurrency: number;
  /** @internal */
  protected readonly warn: (message: string) => void;
  /** @internal Manifests read or written by this process, by commit id (most recent last). */
  protected readonly manifests = new Map<string, Manifest>();
  readonly #entries = new WeakMap<Manifest, Map<string, ManifestObject>>();

  constructor(options: CatalogReaderOptions) {
    validateKey(options.root);
    this.store = options.store;
    this.checkpoint = options.checkpoint;
    this.root = options.root;
    this.retryPolicy = retryPolicy(options.retry);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.warn = options.warn ?? ((message) => process.emitWarning(message, "CkptWarning"));
  }

  /** The key of catalog.json. */
  get catalogKey(): string {
    return catalogKey(this.root);
  }

  /** The folder of one commit. */
  commitFolder(commitId: string): string {
    return commitFolder(this.root, commitId);
  }

  /** The rows and the recorded policy (see {@link CatalogView}). Reads only. */
  async read(options?: ReadOptions): Promise<CatalogView> {
    return this[loadCatalog](options?.signal);
  }

  /** Committed rows, oldest first (see {@link read}). Reads only. */
  async rows(options?: ReadOptions): Promise<readonly CatalogRow[]> {
    return (await this.read(options)).rows;
  }

  /** @internal Reads catalog.json, or rebuilds its rows in memory. */
  async [loadCatalog](signal: AbortSignal | undefined): Promise<LoadedCatalog> {
    const snapshot = await readCatalog(this.store, this.catalogKey, this.root, {
      policy: this.retryPolicy,
      signal,
    });
    if (snapshot.state === "ok") {
      const { file } = snapshot;
      const policy =
        file.mode !== undefined
          ? { mode: file.mode, historySize: file.historySize ?? null }
          : await this.#policyOfRows(file.rows, signal);
      return {
        rows: file.rows,
        policy,
        source: "catalog",
        version: snapshot.version,
        file,
        bytes: snapshot.bytes,
      };
    }
    const rebuilt = await rebuildRows(this.store, this.root, {
      policy: this.retryPolicy,
      concurrency: this.concurrency,
      warn: this.warn,
      signal,
    });
    if (snapshot.state === "missing" && rebuilt.rows.length === 0)
      return {
        rows: [],
        policy: undefined,
        source: "empty",
        version: undefined,
        file: undefined,
        bytes: undefined,
      };
    this.warn(
      `The catalog of "${this.root}" is ${snapshot.state === "missing" ? "missing" : `damaged (${snapshot.detail})`}; rebuilt its ${rebuilt.rows.length} row(s) in memory from the commit manifests. Nothing was written: the next commit writes it back, or run \`ckpt repair\` (checkpoint.repair()).`,
    );
    return {
      rows: rebuilt.rows,
      policy: rebuilt.policy,
      source: "rebuilt",
      version: snapshot.version,
      file: undefined,
      bytes: undefined,
    };
  }

  /** The policy of a catalog written before it was recorded: its newest readable row's manifest. */
  async #policyOfRows(
    rows: readonly CatalogRow[],
    signal: AbortSignal | undefined,
  ): Promise<RowPolicy | undefined> {
    if (rows.length === 0) return undefined;
    for (const row of [...rows].reverse()) {
      try {
        return policyOfManifest(await this.manifest(row, { signal }));
      } catch (error) {
        if (!(error instanceof CheckpointIntegrityError)) throw error;
      }
    }
    // No manifest says: keep every row, never trim what a writer may have kept.
    return { mode: "append", historySize: null };
  }

  /** The row's manifest, verified: schema, commit id, keys confined to the commit folder. */
  async manifest(
    row: Pick<CatalogRow, "commitId"> & Partial<Pick<CatalogRow, "writeCount">>,
    options?: ReadOptions,
  ): Promise<Manifest> {
    let manifest = this.manifests.get(row.commitId);
    if (manifest === undefined) {
      manifest = await readManifest(this.store, this.commitFolder(row.commitId), row.commitId, {
        policy: this.retryPolicy,
        signal: options?.signal,
      });
      this.rememberManifest(manifest);
    }
    if (row.writeCount !== undefined && row.writeCount !== manifest.writeCount)
      throw new CheckpointIntegrityError(
        manifestKey(this.root, row.commitId),
        `the manifest records writeCount ${manifest.writeCount}, the catalog row ${row.writeCount}`,
      );
    return manifest;
  }

  /** @internal */
  protected rememberManifest(manifest: Manifest): void {
    this.manifests.delete(manifest.commitId);
    this.manifests.set(manifest.commitId, manifest);
    if (this.manifests.size > MANIFEST_CACHE_SIZE) this.manifests.delete(this.manifests.keys().next().value!);
  }

  /**
   * One object of a commit, read with at most the manifest's declared size and checked against
   * its size and checksum (`CheckpointIntegrityError` names the key).
   */
  async readObject(manifest: Manifest, key: string, options?: ReadOptions): Promise<Uint8Array> {
    let entries = this.#entries.get(manifest);
    if (entries === undefined) {
      entries = new Map(manifest.objects.map((object) => [object.key, object]));
      this.#entries.set(manifest, entries);
    }
    const entry = entries.get(key);
    if (entry === undefined)
      throw new CheckpointIntegrityError(
        `${this.commitFolder(manifest.commitId)}/${key}`,
        `not listed in the manifest of commit ${manifest.commitId}`,
      );
    const storeKey = objectStoreKey(this.root, manifest.commitId, entry);
    return readVerified(this.store, storeKey, entry, { policy: this.retryPolicy, signal: options?.signal });
  }

  /** Reads every object of the row through its checksum (streamed, not kept). */
  async verify(row: Pick<CatalogRow, "commitId">, options?: ReadOptions): Promise<void> {
    const manifest = await this.manifest(row, options);
    await mapBounded(manifest.objects, this.concurrency, options?.signal, (entry, signal) =>
      verifyStreamed(this.store, objectStoreKey(this.root, manifest.commitId, entry), entry, {
        policy: this.retryPolicy,
        signal,
      }),
    );
  }

  /**
   * What `gc` with the same grace period would remove, without removing anything: the objects no
   * row references (with their bytes) and the store's leftovers (a dry-run sweep).
   */
  async unreferenced(options: { olderThan: number; signal?: AbortSignal }): Promise<GcResult> {
    const { signal } = options;
    const listed = await listCommitObjects(this.store, this.root, signal);
    const refs = await this.references((await this[loadCatalog](signal)).rows, signal);
    return gcResult(this.store, this.root, garbageOf(listed, refs, options.olderThan), {
      ...options,
      dryRun: true,
    });
  }

  /**
   * @internal The store keys `rows` reference. A row whose manifest is damaged or missing cannot
   * be restored whatever it lists; it keeps its own folder.
   */
  protected async references(
    rows: readonly CatalogRow[],
    signal: AbortSignal | undefined,
  ): Promise<References> {
    const manifests = new Map<string, Manifest | undefined>();
    await mapBounded(rows, this.concurrency, signal, async (row) => {
      manifests.set(
        row.commitId,
        await this.manifest(row, { signal }).catch((error: unknown) => {
          if (error instanceof CheckpointIntegrityError) return undefined;
          throw error;
        }),
      );
    });
    return referencesOf(this.root, rows, async (row) => manifests.get(row.commitId));
  }
}
