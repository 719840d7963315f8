import type { GcOptions, GcResult } from "./commit/gc.js";
import { CatalogClient, type Labels } from "./commit/index.js";
import { activeSessions } from "./context.js";
import { CheckpointEntry } from "./entry.js";
import { CheckpointIntegrityError, CheckpointOptionError, CheckpointSelectionError } from "./errors.js";
import { formatCatalog } from "./format.js";
import { catalogClient, emitWarning, settleCleanup } from "./internal.js";
import { checkLabelLimits } from "./limits.js";
import {
  type CheckpointLevel,
  type CheckpointMode,
  type CheckpointOptions,
  type ResolvedOptions,
  resolveOptions,
  validateCheckpointName,
} from "./options.js";
import { registerCheckpoint } from "./pending.js";
import { rankRoot, resolveRank } from "./ranks.js";
import { CheckpointSession, drainSessions, endSessions, loadStates } from "./session.js";
import { defaultStoreUrl, openStore, parseStoreUrl, redactUrl } from "./store/open.js";
import type { Store } from "./store/types.js";

/**
 * How much of a selected row to read back before trusting it: `"off"` (default) checks only what a
 * restore reads; `"latest"` reads every object of the selected row through its checksum;
 * `"all"` does that for every row that matches the selection.
 */
export type VerifyMode = "off" | "latest" | "all";

/** Options of `checkpoint.open()` and `checkpoint.run(fn, options)`. */
export interface OpenOptions {
  /** Labels of the rows to consider, and of the rows the session writes. */
  readonly labels?: Labels | undefined;
  /**
   * Verify the row before using it. In append mode, when the latest row fails verification, the
   * newest row that verifies is used instead, with a warning naming the damaged row.
   */
  readonly verify?: VerifyMode | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Options of `checkpoint.select(row, options)`. */
export interface SelectOptions extends OpenOptions {}

function validateLabels(name: string, labels: unknown): Labels {
  if (labels === undefined) return {};
  if (typeof labels !== "object" || labels === null || Array.isArray(labels))
    throw new CheckpointOptionError(
      "labels",
      "labels must be an object of string, number, boolean or null values.",
      {
        checkpoint: name,
      },
    );
  for (const [key, value] of Object.entries(labels))
    if (
      !(
        value === null ||
        typeof value === "string" ||
        typeof value === "boolean" ||
        (typeof value === "number" && Number.isFinite(value))
      )
    )
      throw new CheckpointOptionError(
        "labels",
        `label '${key}' must be a string, a finite number, a boolean or null.`,
        { checkpoint: name },
      );
  checkLabelLimits(name, labels as Labels);
  return labels as Labels;
}

function labelsEqual(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key])
  );
}

function matches(row: Labels, wanted: Labels): boolean {
  return Object.entries(wanted).every(([key, value]) => Object.hasOwn(row, key) && row[key] === value);
}

/**
 * A named catalog of restart points in a store: the TypeScript face of earth2studio's
 * `Checkpoint`. Constructing one does no I/O (the store is opened on first use) and makes it the
 * checkpoint that states bound outside any session wait for; one that never enters a session (only
 * read from) leaves them to the next session of an older checkpoint (see `bindCheckpointState`).
 *
 * @example
 * const checkpoint = new Checkpoint("my-forecast", { store: "memory://runs", mode: "append", historySize: 8 });
 * await checkpoint.run(async (session) => {
 *   for (let step = session.writeCount; step < 24; step++) await session.write({ leadTime: step * 6 });
 * });
 * const latest = await checkpoint.select(-1);
 */
export class Checkpoint {
  /** Always `true` (a `NullCheckpoint` says `false`): the idiom for the original's truthiness. */
  readonly enabled = true as const;
  /** The checkpoint's name: one safe key segment. */
  readonly name: string;
  readonly mode: CheckpointMode;
  /** Rows kept per label set: 1 in overwrite mode, `null` (all) or N in append mode. */
  readonly historySize: number | null;
  /** Commit every N writes; `null`: only on `flush()`. */
  readonly flushInterval: number | null;
  /** Commit at the next write once this many milliseconds passed since the last commit; `null`: off. */
  readonly flushAfter: number | null;
  /** Whether `write`/`flush` commit in the background by default. */
  readonly async: boolean;
  /** Background commits started and not yet durable, at most. */
  readonly maxInFlight: number;
  readonly level: CheckpointLevel;
  readonly rank: number;
  /** `undefined` when a rank is known but no world size is. */
  readonly worldSize: number | undefined;
  /** Opaque to ckpt, handed to components. */
  readonly device: string;
  /** This rank's folder in the store: `<name>` or `<name>/rank_000003`. */
  readonly root: string;
  readonly #options: ResolvedOptions;
  #store: Promise<Store> | undefined;
  #client: Promise<CatalogClient> | undefined;

  constructor(name: string, options: CheckpointOptions = {}) {
    validateCheckpointName(name);
    const resolved = resolveOptions(name, options);
    const rank = resolveRank({ rank: resolved.rank, worldSize: resolved.worldSize }, resolved.env, name);
    this.name = name;
    this.mode = resolved.mode;
    this.historySize = resolved.historySize;
    this.flushInterval = resolved.flushInterval;
    this.flushAfter = resolved.flushAfter;
    this.async = resolved.async;
    this.maxInFlight = resolved.maxInFlight;
    this.level = resolved.level;
    this.rank = rank.rank;
    this.worldSize = rank.worldSize;
    this.device = resolved.device;
    this.root = rankRoot(name, rank);
    this.#options = resolved;
    registerCheckpoint(this);
  }

  /** Where the catalog lives, without credentials, e.g. `file:///data/runs/my-forecast/rank_000001`. */
  get location(): string {
    const store = this.#options.store;
    let base: string;
    if (store !== undefined && typeof store !== "string") base = store.url;
    else {
      const url = store ?? defaultStoreUrl(this.#options.env);
      try {
        base = parseStoreUrl(url).href;
      } catch {
        base = url;
      }
    }
    return `${redactUrl(base).replace(/\/+$/, "")}/${this.root}`;
  }

  /** The store, opened on first use from the `store` option (or the default store URL). */
  store(): Promise<Store> {
    if (this.#store === undefined) {
      const option = this.#options.store;
      this.#store =
        option !== undefined && typeof option !== "string"
          ? Promise.resolve(option)
          : openStore(option ?? defaultStoreUrl(this.#options.env));
      // A failed open is not cached: the next call tries again.
      this.#store.catch(() => {
        this.#store = undefined;
      });
    }
    return this.#store;
  }

  /** @internal The catalog client of this checkpoint's folder, created on first use. */
  [catalogClient](): Promise<CatalogClient> {
    if (this.#client === undefined) {
      this.#client = this.store().then(
        (store) =>
          new CatalogClient({
            store,
            checkpoint: this.name,
            root: this.root,
            mode: this.mode,
            historySize: this.historySize,
            rank: this.rank,
            // A rank without a known size records the smallest world it can be part of.
            worldSize: this.worldSize ?? this.rank + 1,
            level: this.level,
            concurrency: this.#options.concurrency,
            retry: this.#options.retry,
            cleanup: this.#options.cleanup,
            warn: (message) => this[emitWarning](message),
          }),
      );
      this.#client.catch(() => {
        this.#client = undefined;
      });
    }
    return this.#client;
  }

  /** @internal */
  async [settleCleanup](): Promise<void> {
    if (this.#client !== undefined) await (await this.#client).settle();
  }

  /** @internal */
  [emitWarning](message: string): void {
    if (this.#options.warn !== undefined) this.#options.warn(message);
    else process.emitWarning(message, "CkptWarning");
  }

  /** The innermost session of this checkpoint active in the current async context, if any. */
  get active(): CheckpointSession | undefined {
    return activeSessions().findLast((session) => session.checkpoint === this);
  }

  /**
   * The committed rows, oldest first, read from the store (each call re-reads `catalog.json`; a
   * missing or damaged catalog is rebuilt from the commits' manifests and written back).
   */
  async catalog(options?: { signal?: AbortSignal | undefined }): Promise<readonly CheckpointEntry[]> {
    const client = await this[catalogClient]();
    const rows = await client.rows({ signal: options?.signal });
    return rows.map((row) => new CheckpointEntry(row));
  }

  /**
   * A session on one row. `row` is a position in the catalog (negative counts from the end) among
   * the rows whose labels match `options.labels`; without `row`, the latest matching row, or a new
   * session (writing rows with those labels) when none matches. The session's labels are
   * `options.labels`, else the selected row's.
   *
   * @throws CheckpointSelectionError when no row matches a given `row`, or `row` is out of range.
   */
  async select(row?: number, options: SelectOptions = {}): Promise<CheckpointSession> {
    if (row !== undefined && !Number.isSafeInteger(row))
      throw new CheckpointSelectionError(this.name, `row must be an integer, got ${String(row)}.`);
    const wanted = options.labels === undefined ? undefined : validateLabels(this.name, options.labels);
    const verify = options.verify ?? "off";
    if (verify !== "off" && verify !== "latest" && verify !== "all")
      throw new CheckpointOptionError("verify", "verify must be 'off', 'latest' or 'all'.", {
        checkpoint: this.name,
      });
    const all = await this.catalog(options);
    const entries = wanted === undefined ? all : all.filter((entry) => matches(entry.labels, wanted));
    let index: number | undefined;
    if (row !== undefined) {
      if (entries.length === 0)
        throw new CheckpointSelectionError(this.name, "No checkpoint entries match this selection.");
      index = row < 0 ? entries.length + row : row;
      if (index < 0 || index >= entries.length)
        throw new CheckpointSelectionError(
          this.name,
          `Row ${row} is out of range: ${entries.length} checkpoint ${entries.length === 1 ? "entry matches" : "entries match"} this selection.`,
        );
    } else if (entries.length > 0) index = entries.length - 1;
    const client = await this[catalogClient]();
    const entry =
      index === undefined
        ? undefined
        : await this.#verified(client, entries, index, verify, row === undefined, options.signal);
    const loaded =
      entry !== undefined && this.level > 0
        ? await loadStates(client, entry, { signal: options.signal, concurrency: this.#options.concurrency })
        : new Map();
    return new CheckpointSession(this, {
      entry,
      labels: wanted ?? entry?.labels ?? {},
      loaded,
      client,
      warn: (message) => this[emitWarning](message),
    });
  }

  async #verified(
    client: CatalogClient,
    entries: readonly CheckpointEntry[],
    index: number,
    verify: VerifyMode,
    latest: boolean,
    signal: AbortSignal | undefined,
  ): Promise<CheckpointEntry> {
    const selected = entries[index]!;
    if (verify === "off") return selected;
    const damaged = new Map<string, CheckpointIntegrityError>();
    const check = async (entry: CheckpointEntry): Promise<boolean> => {
      try {
        await client.verify(entry.row, { signal });
        return true;
      } catch (error) {
        if (!(error instanceof CheckpointIntegrityError)) throw error;
        damaged.set(entry.commitId, error);
        return false;
      }
    };
    const fallback = latest && this.mode === "append";
    if (verify === "all") for (const entry of entries) await check(entry);
    else await check(selected);
    const failure = damaged.get(selected.commitId) ?? damaged.values().next().value;
    if (failure === undefined) return selected;
    // Only an implicit "latest" in append mode may fall back: older rows are then real history.
    if (!fallback) throw failure;
    for (let candidate = index; candidate >= 0; candidate--) {
      const entry = entries[candidate]!;
      if (damaged.has(entry.commitId)) continue;
      if (verify === "all" || (await check(entry))) {
        this[emitWarning](
          `Checkpoint "${this.name}": ${[...damaged.keys()].map((id) => `row ${id}`).join(", ")} failed verification (${failure.message}); using ${entry.commitId}, the newest row that verifies.`,
        );
        return entry;
      }
    }
    throw failure;
  }

  /**
   * The session `run` would use: the active session of this checkpoint in the current async
   * context, else the latest row (matching `options.labels`), else a new session.
   */
  async open(options: OpenOptions = {}): Promise<CheckpointSession> {
    const active = this.active;
    if (active !== undefined && (options.labels === undefined || labelsEqual(active.labels, options.labels)))
      return active;
    return this.select(undefined, options);
  }

  /**
   * Runs `fn` in a session of this checkpoint (see {@link open}), then commits pending writes when
   * `fn` returns (not when it throws). A `run` inside a `run` of the same checkpoint re-enters the
   * same session.
   *
   * @example
   * const result = await checkpoint.run(async (session) => {
   *   const rng = bindCheckpointState(RngState, { seed: 1, counter: 0 });
   *   await session.write({ leadTime: 6 });
   *   return rng.value.counter;
   * });
   */
  async run<T>(
    fn: (session: CheckpointSession) => T | Promise<T>,
    options: OpenOptions = {},
  ): Promise<Awaited<T>> {
    const session = await this.open(options);
    return session.run(fn);
  }

  /** The catalog as a table (behaviour item 39), e.g. for `console.log(await checkpoint.format())`. */
  async format(): Promise<string> {
    const entries = await this.catalog();
    return formatCatalog(
      {
        name: this.name,
        location: this.location,
        mode: this.mode,
        level: this.level,
        rank: this.rank,
        worldSize: this.worldSize,
      },
      entries,
    );
  }

  /** Verifies every object of `entry` (size and checksum); `CheckpointIntegrityError` names the damaged key. */
  async verify(entry: CheckpointEntry, options?: { signal?: AbortSignal | undefined }): Promise<void> {
    const client = await this[catalogClient]();
    await client.verify(entry.row, options);
  }

  /** Removes commit folders no row references, older than `olderThan` ms (a grace period for writers in flight). */
  async gc(options: GcOptions): Promise<GcResult> {
    const client = await this[catalogClient]();
    return client.gc(options);
  }

  /**
   * Ends the sessions made so far (their `write`/`flush` then throw `CheckpointSessionError`),
   * drains their background commits (rejecting with the first failure, after the rest below), waits
   * for background clean-up of retired commits, then closes the store when this checkpoint
   * opened it from a URL (a `Store` passed in is left open for its owner). The checkpoint stays
   * usable: a later `run` or `open` starts a new session.
   */
  async close(): Promise<void> {
    endSessions(this);
    try {
      await drainSessions(this);
    } finally {
      await this.#closeStore();
    }
  }

  async #closeStore(): Promise<void> {
    await this[settleCleanup]();
    const option = this.#options.store;
    if (this.#store === undefined || (option !== undefined && typeof option !== "string")) return;
    const store = await this.#store;
    this.#store = undefined;
    this.#client = undefined;
    await store.close?.();
  }
}
