import type { CatalogView } from "./commit/catalog-reader.js";
import type { GcOptions, GcResult } from "./commit/gc.js";
import { CatalogClient, type Labels } from "./commit/index.js";
import { retryPolicy, sleep } from "./commit/retry.js";
import { activeSessions } from "./context.js";
import { CheckpointEntry } from "./entry.js";
import {
  CheckpointDecodeError,
  CheckpointIntegrityError,
  CheckpointOptionError,
  CheckpointSelectionError,
  CheckpointWorldError,
} from "./errors.js";
import { formatCatalog } from "./format.js";
import { manifestKey } from "./layout.js";
import { checkLabelLimits } from "./limits.js";
import {
  type CheckpointLevel,
  type CheckpointMode,
  type CheckpointOptions,
  type ResolvedOptions,
  type RestartMode,
  resolveOptions,
  validateCheckpointName,
} from "./options.js";
import { registerCheckpoint } from "./pending.js";
import type { PreemptionOptions } from "./preemption.js";
import { type RankCoupling, rankRoot, resolveRank } from "./ranks.js";
import { loadRestorable, verifyRow } from "./restore-check.js";
import { CheckpointSession, drainSessions, endSessions, type LoadedState } from "./session.js";
import { defaultStoreUrl, openStore, parseStoreUrl, redactUrl } from "./store/open.js";
import type { Store } from "./store/types.js";
import { chooseWorldBoundary, matchingRows, readWorld, rowAtBoundary } from "./world.js";
import {
  bindingMark,
  markedRow,
  readWorldMarker,
  type WorldMarkerRead,
  writeWorldMarker,
} from "./world-marker.js";

/** Pauses of a rank other than 0 re-reading the world marker before it scans (1.6 s in all). */
const MARKER_WAITS_MS = [25, 50, 100, 200, 400, 800];

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
   * Verify the row before using it (default `"off"`: the restore's own reads are the check).
   * Whatever the verify mode, when no row is asked for and the latest row is damaged (a checksum
   * or a decode failure), the newest older row that restores is used, with a warning naming the
   * damaged row.
   */
  readonly verify?: VerifyMode | undefined;
  /** How a restart without an explicit row picks its row; default the checkpoint's {@link Checkpoint.restart}. */
  readonly restart?: RestartMode | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Options of `checkpoint.run(fn, options)`: where to open the session, and preemption. */
export interface RunOptions extends OpenOptions, PreemptionOptions {}

/** Options of `checkpoint.select(row, options)`. */
export interface SelectOptions extends OpenOptions {}

/**
 * Which row `checkpoint.select` takes: a position in the catalog (negative counts from the end),
 * `{ writeCount }` (the step: the newest row committed at that write count), or `{ commitId }`.
 */
export type RowSelector = number | { readonly writeCount: number } | { readonly commitId: string };

/** Options of `checkpoint.latestStep()` and `checkpoint.allSteps()`. */
export interface StepOptions {
  /** Only rows whose labels match these. */
  readonly labels?: Labels | undefined;
  readonly signal?: AbortSignal | undefined;
}

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

/** The write counts of `entries`, in order, each once. */
function stepsOf(entries: readonly { readonly writeCount: number }[]): number[] {
  return [...new Set(entries.map((entry) => entry.writeCount))];
}

/** Runs `read`; a checksum or decode failure is returned (the row is damaged), anything else thrown. */
async function damageOf(read: () => Promise<unknown>): Promise<Error | undefined> {
  try {
    await read();
    return undefined;
  } catch (error) {
    if (error instanceof CheckpointIntegrityError || error instanceof CheckpointDecodeError) return error;
    throw error;
  }
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
  /** Whether the launcher's ranks share a step (`"coupled"`) or are independent tasks (DESIGN §6). */
  readonly coupling: RankCoupling;
  /**
   * How `open`/`run`/`select` without an explicit row pick it: `"world"`, the newest boundary
   * every rank committed; `"rank"`, this rank's newest row. The `restart` option, else `"world"`
   * for coupled ranks with `worldSize` above 1, else `"rank"`.
   */
  readonly restart: RestartMode;
  /** Opaque to ckpt, handed to components. */
  readonly device: string;
  /** This rank's folder in the store: `<name>` or `<name>/rank_000003`. */
  readonly root: string;
  readonly #options: ResolvedOptions;
  #store: Promise<Store> | undefined;
  #client: Promise<CatalogClient> | undefined;
  #writer: CatalogClient | undefined;

  constructor(name: string, options: CheckpointOptions = {}) {
    validateCheckpointName(name);
    const resolved = resolveOptions(name, options);
    const rank = resolveRank({ rank: resolved.rank, worldSize: resolved.worldSize }, resolved.env, name);
    this.name = name;
    this.flushInterval = resolved.flushInterval;
    this.flushAfter = resolved.flushAfter;
    this.async = resolved.async;
    this.maxInFlight = resolved.maxInFlight;
    this.level = resolved.level;
    this.rank = rank.rank;
    this.worldSize = rank.worldSize;
    this.coupling = rank.coupling;
    this.restart = this.#restartMode(resolved.restart, "restart");
    this.device = resolved.device;
    this.root = rankRoot(name, rank);
    this.#options = resolved;
    registerCheckpoint(this);
  }

  /**
   * How the checkpoint keeps rows. Once its catalog was read (any of `catalog`, `select`, `open`,
   * `run`, `format`, `repair`), the mode the checkpoint records (or the `mode` option for a new
   * checkpoint, or with `changeMode`); before that, which does no I/O, the `mode` option, else
   * `"overwrite"`.
   */
  get mode(): CheckpointMode {
    return this.#writer?.policy?.mode ?? this.#options.mode;
  }

  /**
   * Rows kept per label set: 1 in overwrite mode, `null` (all) or N in append mode. Like
   * {@link mode}: the recorded value once the catalog was read, the options' before.
   */
  get historySize(): number | null {
    const policy = this.#writer?.policy;
    if (policy === undefined) return this.#options.historySize;
    return policy.mode === "overwrite" ? 1 : policy.historySize;
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

  /** The catalog client of this checkpoint's folder, created on first use. */
  #catalogClient(): Promise<CatalogClient> {
    if (this.#client === undefined) {
      this.#client = this.store().then(
        (store) =>
          new CatalogClient({
            store,
            checkpoint: this.name,
            root: this.root,
            mode: this.#options.requestedMode,
            historySize: this.#options.requestedHistorySize,
            changeMode: this.#options.changeMode,
            rank: this.rank,
            // A rank without a known size records the smallest world it can be part of.
            worldSize: this.worldSize ?? this.rank + 1,
            level: this.level,
            concurrency: this.#options.concurrency,
            retry: this.#options.retry,
            cleanup: this.#options.cleanup,
            incremental: this.#options.incremental,
            warn: (message) => this.#warn(message),
          }),
      );
      this.#client.then(
        (client) => {
          this.#writer = client;
        },
        () => {},
      );
      this.#client.catch(() => {
        this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #settleCleanup(): Promise<void> {
    if (this.#client !== undefined) await (await this.#client).settle();
  }

  #warn(message: string): void {
    if (this.#options.warn !== undefined) this.#options.warn(message);
    else process.emitWarning(message, "CkptWarning");
  }

  /** The innermost session of this checkpoint active in the current async context, if any. */
  get active(): CheckpointSession | undefined {
    return activeSessions().findLast((session) => session.checkpoint === this);
  }

  /**
   * The committed rows, oldest first, read from the store (each call re-reads `catalog.json`).
   * Reading never writes: a missing (with commits present) or damaged catalog is rebuilt in memory
   * from the commits' manifests, with a warning; the next commit or {@link repair} writes it back.
   */
  async catalog(options?: { signal?: AbortSignal | undefined }): Promise<readonly CheckpointEntry[]> {
    const client = await this.#catalogClient();
    const rows = await client.rows({ signal: options?.signal });
    return rows.map((row) => new CheckpointEntry(row));
  }

  /**
   * A session on one row. `row` picks it among the rows whose labels match `options.labels`: a
   * position (negative counts from the end), `{ writeCount }` (the step: the newest row committed
   * at that write count, like Orbax's `restore(step)`), or `{ commitId }`. Without `row`: the
   * latest matching row, or a new session (writing rows with those labels) when none matches;
   * should the latest row be damaged (its restore fails a checksum or decoding), the newest older
   * row that restores is used, with a warning naming the damaged row. The session's labels are
   * `options.labels`, else the selected row's.
   *
   * @throws CheckpointSelectionError when no row matches a given `row`, or `row` is out of range.
   * @example
   * const session = await checkpoint.select({ writeCount: await checkpoint.latestStep() ?? 0 });
   */
  async select(row?: RowSelector, options: SelectOptions = {}): Promise<CheckpointSession> {
    const wanted = options.labels === undefined ? undefined : validateLabels(this.name, options.labels);
    const verify = options.verify ?? "off";
    if (verify !== "off" && verify !== "latest" && verify !== "all")
      throw new CheckpointOptionError("verify", "verify must be 'off', 'latest' or 'all'.", {
        checkpoint: this.name,
      });
    this.#checkSelector(row);
    const restart =
      options.restart === undefined ? this.restart : this.#restartMode(options.restart, "restart");
    const world = row === undefined && restart === "world" && (this.worldSize ?? 1) > 1;
    const client = await this.#catalogClient();
    // The world marker is read beside the own catalog: one round trip for both.
    const marker = world
      ? readWorldMarker(client.store, this.name, retryPolicy(this.#options.retry), options.signal)
      : undefined;
    marker?.catch(() => {});
    const view = await client.read({ signal: options.signal });
    const all = view.rows.map((entry) => new CheckpointEntry(entry));
    const entries = wanted === undefined ? all : all.filter((entry) => matches(entry.labels, wanted));
    // A session may commit: a mode that conflicts with the recorded one is refused now.
    client.assertPolicy();
    if (row === undefined && entries.length === 0)
      return this.#session(client, undefined, wanted ?? {}, new Map());
    if (marker !== undefined) {
      // One boundary for every rank: no fallback to an older row, which would diverge from the others.
      const index = await this.#worldRow(
        client,
        all,
        entries,
        wanted,
        view.source,
        await marker,
        options.signal,
      );
      if (index === undefined) return this.#session(client, undefined, wanted ?? {}, new Map());
      const { entry, loaded } = await this.#restoreRow(client, entries, index, verify, options.signal);
      if (
        entries.some(
          (other) => other.writeCount > entry.writeCount && labelsEqual(other.labels, entry.labels),
        )
      )
        await this.#retireRolledBack(client, entry, options.signal);
      return this.#session(client, entry, wanted ?? entry.labels, loaded);
    }
    const index = row === undefined ? entries.length - 1 : this.#indexOf(entries, row);
    const { entry, loaded } =
      row === undefined
        ? await this.#restoreLatest(client, entries, verify, options.signal)
        : await this.#restoreRow(client, entries, index, verify, options.signal);
    return this.#session(client, entry, wanted ?? entry.labels, loaded);
  }

  #restartMode(requested: RestartMode | undefined, option: string): RestartMode {
    if (requested === undefined)
      return this.coupling === "coupled" && (this.worldSize ?? 1) > 1 ? "world" : "rank";
    if (requested !== "world" && requested !== "rank")
      throw new CheckpointOptionError(option, "restart must be 'world' or 'rank'.", {
        checkpoint: this.name,
      });
    if (requested === "world" && this.worldSize === undefined)
      throw new CheckpointOptionError(
        option,
        `restart 'world' needs a known worldSize (rank ${this.rank} came without one); pass worldSize.`,
        { checkpoint: this.name },
      );
    return requested;
  }

  /**
   * Rows above the boundary belong to a life the world rolled back: retired before this rank
   * steps on, so no later restart mixes them with the other ranks' rows of a newer life. Their
   * manifests go too, so a rebuild of a damaged catalog cannot bring them back (the other objects
   * are left to `gc`).
   */
  async #retireRolledBack(
    client: CatalogClient,
    entry: CheckpointEntry,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const dropped = await client.retireAbove(entry.labels, entry.writeCount, { signal });
    if (dropped.length === 0) return;
    try {
      await client.store.delete(dropped.map((row) => manifestKey(this.root, row.commitId)));
    } catch (error) {
      this.#warn(
        `Checkpoint "${this.name}": could not delete the manifests of the rolled-back row(s) ${dropped.map((row) => row.commitId).join(", ")}; gc removes them: ${error}`,
      );
    }
  }

  /**
   * The world boundary's row of this rank. From the world marker when this rank's rows are as the
   * marker recorded (two small reads: the own catalog, in hand, and the marker); a rank other than
   * 0 waits briefly for rank 0 to record a fresh marker. Else every rank's catalog is read once
   * (this rank's rows are in hand), the newest boundary all ranks hold is taken and recorded in
   * the marker. `undefined` when the world has none.
   */
  async #worldRow(
    client: CatalogClient,
    all: readonly CheckpointEntry[],
    entries: readonly CheckpointEntry[],
    wanted: Labels | undefined,
    source: CatalogView["source"],
    read: WorldMarkerRead,
    signal: AbortSignal | undefined,
  ): Promise<number | undefined> {
    const policy = retryPolicy(this.#options.retry);
    const fromMarker = (marker: WorldMarkerRead) =>
      markedRow(marker.file, {
        worldSize: this.worldSize!,
        rank: this.rank,
        wanted,
        rows: entries.map((entry) => entry.row),
        intact: source === "catalog",
      });
    let marker = read;
    let marked = fromMarker(marker);
    // Rank 0 scans at once; the others give it a moment, so a world restarting together reads
    // each catalog about once in all rather than once per rank. Only a cost: the scan follows.
    for (const delay of this.rank === 0 ? [] : MARKER_WAITS_MS) {
      if (marked !== undefined) break;
      await sleep(delay, signal);
      marker = await readWorldMarker(client.store, this.name, policy, signal);
      marked = fromMarker(marker);
    }
    if (marked !== undefined) return marked;
    const view = await readWorld({
      store: client.store,
      name: this.name,
      worldSize: this.worldSize!,
      concurrency: this.#options.concurrency,
      retry: this.#options.retry,
      warn: (message) => this.#warn(message),
      known: new Map([[this.rank, { rank: this.rank, rows: all.map((entry) => entry.row), source }]]),
      signal,
    });
    const bound = bindingMark(marker.file, view, wanted, (rows) => matchingRows(rows, wanted));
    if (bound !== undefined) {
      if (
        !view.complete.some(
          (item) => item.writeCount === bound.writeCount && labelsEqual(item.labels, bound.labels),
        )
      )
        throw new CheckpointWorldError(
          this.name,
          `a rank's rows are as the world marker recorded, so it restarts from writeCount ${bound.writeCount}, but not every rank holds that boundary any more. The ranks drifted apart (DESIGN §6); restore a row of your choice with checkpoint.select(row), or each rank's own with restart: "rank".`,
          { worldSize: this.worldSize! },
        );
      return rowAtBoundary(entries, bound);
    }
    const choice = chooseWorldBoundary(view, wanted, this.name);
    if (choice.boundary === undefined) {
      this.#warn(choice.reason);
      return undefined;
    }
    const failure = await writeWorldMarker(
      client.store,
      this.name,
      marker,
      view,
      choice.boundary,
      wanted,
      (rows) => matchingRows(rows, wanted),
    );
    if (failure !== undefined)
      this.#warn(
        `Checkpoint "${this.name}": could not record the world marker (${failure.message}); the next world restart reads every rank's catalog again.`,
      );
    return rowAtBoundary(entries, choice.boundary);
  }

  #session(
    client: CatalogClient,
    entry: CheckpointEntry | undefined,
    labels: Labels,
    loaded: ReadonlyMap<string, LoadedState>,
  ): CheckpointSession {
    return new CheckpointSession(this, {
      entry,
      labels,
      loaded,
      client,
      warn: (message) => this.#warn(message),
    });
  }

  #checkSelector(row: RowSelector | undefined): void {
    if (row === undefined) return;
    if (typeof row === "number") {
      if (!Number.isSafeInteger(row))
        throw new CheckpointSelectionError(this.name, `row must be an integer, got ${String(row)}.`);
      return;
    }
    if (typeof row === "object" && row !== null) {
      if ("writeCount" in row && Number.isSafeInteger(row.writeCount) && row.writeCount >= 0) return;
      if ("commitId" in row && typeof row.commitId === "string") return;
    }
    throw new CheckpointSelectionError(
      this.name,
      "row must be an integer position, { writeCount: n } or { commitId: id }.",
    );
  }

  #indexOf(entries: readonly CheckpointEntry[], row: RowSelector): number {
    if (entries.length === 0)
      throw new CheckpointSelectionError(this.name, "No checkpoint entries match this selection.");
    if (typeof row === "number") {
      const index = row < 0 ? entries.length + row : row;
      if (index < 0 || index >= entries.length)
        throw new CheckpointSelectionError(
          this.name,
          `Row ${row} is out of range: ${entries.length} checkpoint ${entries.length === 1 ? "entry matches" : "entries match"} this selection.`,
        );
      return index;
    }
    if ("commitId" in row) {
      const index = entries.findIndex((entry) => entry.commitId === row.commitId);
      if (index < 0)
        throw new CheckpointSelectionError(
          this.name,
          `No row with commit id ${row.commitId} matches this selection.`,
        );
      return index;
    }
    const index = entries.findLastIndex((entry) => entry.writeCount === row.writeCount);
    if (index < 0)
      throw new CheckpointSelectionError(
        this.name,
        `No row was committed at writeCount ${row.writeCount}; the steps are ${stepsOf(entries).join(", ")}.`,
      );
    return index;
  }

  /** The saved states of `entry`, read once through their checksums and decoded (none at level 0). */
  #load(
    client: CatalogClient,
    entry: CheckpointEntry,
    signal: AbortSignal | undefined,
  ): Promise<ReadonlyMap<string, LoadedState>> {
    if (this.level === 0) return Promise.resolve(new Map());
    return loadRestorable(client, entry, { signal, concurrency: this.#options.concurrency });
  }

  /** An explicit row: verified as asked, then restored; any damage is the error (no fallback). */
  async #restoreRow(
    client: CatalogClient,
    entries: readonly CheckpointEntry[],
    index: number,
    verify: VerifyMode,
    signal: AbortSignal | undefined,
  ): Promise<{ entry: CheckpointEntry; loaded: ReadonlyMap<string, LoadedState> }> {
    const selected = entries[index]!;
    if (verify === "all") {
      let first: unknown;
      for (const entry of entries) {
        const failure = await damageOf(() => client.verify(entry.row, { signal }));
        if (failure !== undefined && (first === undefined || entry === selected)) first = failure;
      }
      if (first !== undefined) throw first;
    } else if (verify === "latest") await client.verify(selected.row, { signal });
    return { entry: selected, loaded: await this.#load(client, selected, signal) };
  }

  /**
   * The implicit latest row: the newest row whose restore succeeds. The restore is the check (each
   * object read once); `verify` adds a full read of the candidate (or of every row) first. A row
   * that fails either way is skipped, and the row used is named in one warning.
   */
  async #restoreLatest(
    client: CatalogClient,
    entries: readonly CheckpointEntry[],
    verify: VerifyMode,
    signal: AbortSignal | undefined,
  ): Promise<{ entry: CheckpointEntry; loaded: ReadonlyMap<string, LoadedState> }> {
    const damaged = new Map<string, Error>();
    if (verify === "all")
      for (const entry of entries) {
        const failure = await damageOf(() => client.verify(entry.row, { signal }));
        if (failure !== undefined) damaged.set(entry.commitId, failure);
      }
    for (let candidate = entries.length - 1; candidate >= 0; candidate--) {
      const entry = entries[candidate]!;
      if (damaged.has(entry.commitId)) continue;
      if (verify === "latest") {
        const failure = await damageOf(() => client.verify(entry.row, { signal }));
        if (failure !== undefined) {
          damaged.set(entry.commitId, failure);
          continue;
        }
      }
      let loaded: ReadonlyMap<string, LoadedState> | undefined;
      const failure = await damageOf(async () => {
        loaded = await this.#load(client, entry, signal);
      });
      if (failure !== undefined) {
        damaged.set(entry.commitId, failure);
        continue;
      }
      if (damaged.size > 0) {
        const [first] = damaged.values();
        this.#warn(
          `Checkpoint "${this.name}": ${[...damaged.keys()].map((id) => `row ${id}`).join(", ")} failed verification (${first!.message}); using ${entry.commitId}, the newest row that verifies.`,
        );
      }
      return { entry, loaded: loaded! };
    }
    const newest = entries.at(-1)!;
    const failure = damaged.get(newest.commitId) ?? [...damaged.values()][0]!;
    failure.message = `${failure.message}. No row of checkpoint "${this.name}" restores (${damaged.size} damaged). To go on: restore a row of your choice with checkpoint.select(row); drop a damaged row with \`ckpt rm <store> ${this.name} <commitId>\` (checkpoint.remove(commitId)); see every damaged object with \`ckpt verify <store> ${this.name} --all\`; or start afresh under other labels or another name.`;
    throw failure;
  }

  /**
   * The write count (the step) of the latest row matching `options.labels`; `undefined` when the
   * catalog has none. Orbax's `latest_step()`.
   */
  async latestStep(options: StepOptions = {}): Promise<number | undefined> {
    return (await this.allSteps(options)).at(-1);
  }

  /**
   * The write counts (steps) of the rows matching `options.labels`, in catalog order (oldest
   * first), each once. Orbax's `all_steps()`; pass one to `select({ writeCount })`.
   */
  async allSteps(options: StepOptions = {}): Promise<number[]> {
    const wanted = options.labels === undefined ? undefined : validateLabels(this.name, options.labels);
    const all = await this.catalog(options);
    return stepsOf(wanted === undefined ? all : all.filter((entry) => matches(entry.labels, wanted)));
  }

  /**
   * Writes back a catalog that reading found missing (with commits present) or damaged, rebuilt
   * from the commits' manifests, by compare-and-swap (reads never write it). Resolves to whether
   * anything was written; an intact catalog is left as it is.
   */
  async repair(options?: { signal?: AbortSignal | undefined }): Promise<boolean> {
    const client = await this.#catalogClient();
    return (await client.repair(options)).repaired;
  }

  /**
   * Drops the row of `commitId` from the catalog by compare-and-swap (for example a damaged row),
   * leaving its objects for `gc`. `CheckpointSelectionError` when no row has that id.
   */
  async remove(commitId: string, options?: { signal?: AbortSignal | undefined }): Promise<CheckpointEntry> {
    const client = await this.#catalogClient();
    return new CheckpointEntry(await client.remove(commitId, options));
  }

  /**
   * The session `run` would use: the active session of this checkpoint in the current async
   * context, else the latest row (matching `options.labels`) that restores, else a new session.
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
   * With `signals` (e.g. `PREEMPTION_SIGNALS`), a preemption notice makes the next `write()` commit
   * its boundary and throw `CheckpointPreemptedError`; `run()` rejects with it and the process then
   * exits with 128 + the signal's number (143 for SIGTERM) unless `exitOnPreemption` is `false`.
   * `fn`'s second parameter is an `AbortSignal` aborted when the signal arrives.
   *
   * @example
   * const result = await checkpoint.run(async (session) => {
   *   const rng = bindCheckpointState(RngState, { seed: 1, counter: 0 });
   *   await session.write({ leadTime: 6 });
   *   return rng.value.counter;
   * });
   */
  async run<T>(
    fn: (session: CheckpointSession, preempted: AbortSignal) => T | Promise<T>,
    options: RunOptions = {},
  ): Promise<Awaited<T>> {
    const session = await this.open(options);
    return session.run(fn, options);
  }

  /** The catalog as a table, with the checkpoint's recorded mode, e.g. for `console.log(await checkpoint.format())`. */
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

  /**
   * Verifies `entry` as a restore would use it: every object's size and checksum, then every state
   * decoded (`CheckpointIntegrityError` or `CheckpointDecodeError`, naming the damaged key).
   */
  async verify(entry: CheckpointEntry, options?: { signal?: AbortSignal | undefined }): Promise<void> {
    const client = await this.#catalogClient();
    await verifyRow(client, entry.row, options);
  }

  /** Removes commit folders no row references, older than `olderThan` ms (a grace period for writers in flight). */
  async gc(options: GcOptions): Promise<GcResult> {
    const client = await this.#catalogClient();
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
    await this.#settleCleanup();
    const option = this.#options.store;
    if (this.#store === undefined || (option !== undefined && typeof option !== "string")) return;
    const store = await this.#store;
    this.#store = undefined;
    this.#client = undefined;
    await store.close?.();
  }
}
