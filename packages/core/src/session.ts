import { BackgroundCommits } from "./background.js";
import { type CheckpointStateHandle, resolveBinding, type StateBinding, type StateValue } from "./binding.js";
import { BufferPool, type CapturedObjects, captureObjects, EARLY_CAPTURE_BYTES } from "./capture.js";
import type { Checkpoint } from "./checkpoint.js";
import { checksumOf } from "./checksum.js";
import type { JsonValue } from "./commit/catalog-format.js";
import type {
  CatalogClient,
  CatalogReader,
  CommitObject,
  CommitRequest,
  Labels,
  Manifest,
} from "./commit/index.js";
import { mapBounded } from "./commit/pool.js";
import { activeSessions, runInSession, setRunning } from "./context.js";
import { CheckpointEntry } from "./entry.js";
import {
  CheckpointDecodeError,
  CheckpointIntegrityError,
  CheckpointSessionError,
  CheckpointSourceChangedError,
  CheckpointStateCollisionError,
} from "./errors.js";
import { attachBinding } from "./internal.js";
import { commitFolder } from "./layout.js";
import { checkMetadataLimits } from "./limits.js";
import { encodeMetadata, type MetadataInput, metadataRecord } from "./metadata.js";
import { addPending, takePending } from "./pending.js";
import { type PreemptionOptions, PreemptionWatch } from "./preemption.js";
import { encodeState, restoreState } from "./state/codec.js";
import type { CheckpointStateType } from "./state/declare.js";
import { throwIfAborted } from "./store/signal.js";

/** A write boundary captured for a background commit: its request and the copies it holds. */
interface Capture {
  readonly request: Omit<CommitRequest, "signal">;
  readonly captured: CapturedObjects;
}

// Blobs view the live typed arrays (a capture copies them); state.json bodies are fresh bytes.
const viewsLiveMemory = (object: CommitObject) => object.key.endsWith(".npy");

function copiedBytes(objects: readonly CommitObject[]): number {
  let bytes = 0;
  for (const object of objects) if (viewsLiveMemory(object)) bytes += object.size;
  return bytes;
}

/** The saved bytes of one state of a selected row, read when the session was selected. */
export interface LoadedState {
  readonly stateJson: Uint8Array;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  /** Store key of the state's folder, for messages. */
  readonly folder: string;
}

const STATE_JSON = "state.json";
const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

// How many times each checkpoint was closed: a session made before the last close() has ended.
const closes = new WeakMap<Checkpoint, number>();

// The sessions of each checkpoint that started a background commit: `close()` drains them.
const uploading = new WeakMap<Checkpoint, Set<CheckpointSession>>();

/** Ends every session of `checkpoint` made so far: `close()` calls it. */
export function endSessions(checkpoint: Checkpoint): void {
  closes.set(checkpoint, (closes.get(checkpoint) ?? 0) + 1);
}

/**
 * Waits for the background commits of every session of `checkpoint`, then throws the first
 * failure among them: `close()` calls it.
 */
export async function drainSessions(checkpoint: Checkpoint): Promise<void> {
  const sessions = [...(uploading.get(checkpoint) ?? [])];
  const results = await Promise.allSettled(sessions.map((session) => session.drain()));
  const failed = results.find((result) => result.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

/** Per-call options of `write` and `flush`. */
export interface CommitCallOptions {
  /**
   * Commit in the background: the call resolves once the state of this write boundary is
   * captured. Default: the checkpoint's `async` option.
   */
  readonly async?: boolean | undefined;
  /** Aborts the call; an aborted commit leaves the catalog unchanged and is rolled back. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reads the saved states of `entry` (their state.json and blobs), each verified against the
 * manifest, so that binding a state later can restore it synchronously.
 */
export async function loadStates(
  client: CatalogReader,
  entry: CheckpointEntry,
  options: { signal?: AbortSignal | undefined; concurrency?: number | undefined } = {},
): Promise<ReadonlyMap<string, LoadedState>> {
  const loaded = new Map<string, LoadedState>();
  if (entry.stateIds.length === 0) return loaded;
  const manifest: Manifest = await client.manifest(entry.row, options);
  const states = Object.entries(manifest.states).map(([stateId, { path }]) => {
    const prefix = `${path}/`;
    const keys = manifest.objects.map((object) => object.key).filter((key) => key.startsWith(prefix));
    return { stateId, path, prefix, keys };
  });
  // The objects of every state in one bounded pool: states are not read one after another.
  const all = states.flatMap((state) => state.keys);
  const read = await mapBounded(all, options.concurrency ?? 8, options.signal, (key, signal) =>
    client.readObject(manifest, key, { signal }),
  );
  const bytesOf = new Map(all.map((key, index) => [key, read[index]!]));
  for (const { stateId, path, prefix, keys } of states) {
    const blobs = new Map<string, Uint8Array>();
    let stateJson: Uint8Array | undefined;
    for (const key of keys) {
      const name = key.slice(prefix.length);
      if (name === STATE_JSON) stateJson = bytesOf.get(key);
      else blobs.set(name, bytesOf.get(key)!);
    }
    const folder = `${client.commitFolder(entry.commitId)}/${path}`;
    if (stateJson === undefined)
      throw new CheckpointIntegrityError(
        `${folder}/${STATE_JSON}`,
        `state ${stateId} is listed in the manifest of commit ${entry.commitId} without its ${STATE_JSON}`,
      );
    loaded.set(stateId, { stateJson, blobs, folder });
  }
  return loaded;
}

/**
 * How a session starts: its row (if any), its labels, the states read from the row, the catalog
 * client it commits through, and where its warnings go.
 */
export interface SessionInit {
  readonly entry: CheckpointEntry | undefined;
  readonly labels: Labels;
  readonly loaded: ReadonlyMap<string, LoadedState>;
  readonly client: CatalogClient;
  readonly warn: (message: string) => void;
}

/**
 * A checkpoint row being resumed, or a new row being written: the handle through which a workflow
 * records restart boundaries (`write`), commits (`flush`), binds component state, and reads the
 * row's metadata. Get one from `checkpoint.run(fn)`, `checkpoint.open()` or `checkpoint.select(row)`.
 *
 * `write` and `flush` are serialized per session: a second call waits for the first to finish.
 */
export class CheckpointSession {
  /** The checkpoint this session belongs to. */
  readonly checkpoint: Checkpoint;
  #entry: CheckpointEntry | undefined;
  readonly #labels: Labels;
  #writeCount: number;
  #pending = new Map<string, JsonValue>();
  #dirty: boolean;
  readonly #bound = new Map<string, StateBinding>();
  readonly #reusable = new Set<string>();
  #loaded: ReadonlyMap<string, LoadedState>;
  #adopted = false;
  #runEnded = false;
  readonly #closesAtStart: number;
  readonly #client: CatalogClient;
  readonly #warn: (message: string) => void;
  #tail: Promise<void> | undefined;
  #preemption: PreemptionWatch | undefined;
  readonly #background: BackgroundCommits;
  readonly #pool = new BufferPool();
  #lastCommitAt = Date.now();
  // A background commit failed since the last capture: the live state is not in the catalog.
  #lostCommit = false;
  // The store's clean-up as it was when the latest background commit started (never rejects).
  #olderCleanup: Promise<void> = Promise.resolve();

  /** @internal Sessions come from `Checkpoint.run`, `open` and `select`. */
  constructor(checkpoint: Checkpoint, init: SessionInit) {
    this.checkpoint = checkpoint;
    this.#entry = init.entry;
    this.#labels = Object.freeze({ ...init.labels });
    this.#writeCount = init.entry?.writeCount ?? 0;
    // A new session has a row to create: its first flush commits even without writes.
    this.#dirty = init.entry === undefined;
    this.#loaded = init.loaded;
    this.#closesAtStart = closes.get(checkpoint) ?? 0;
    this.#client = init.client;
    this.#warn = init.warn;
    this.#background = new BackgroundCommits(checkpoint.maxInFlight);
  }

  /**
   * Whether the session ended: its `run()` returned or threw, or its checkpoint was closed. An
   * ended session still reads (metadata, labels), but `write`, `flush`, `bind` and `run` throw
   * `CheckpointSessionError`: a row committed after the job finished would be one nobody expects.
   */
  get ended(): boolean {
    return this.#endedBy() !== undefined;
  }

  #endedBy(): string | undefined {
    if (this.#runEnded) return "the session ended when its run() returned or threw";
    if ((closes.get(this.checkpoint) ?? 0) !== this.#closesAtStart)
      return "the session ended when its checkpoint was closed";
    return undefined;
  }

  #assertOpen(what: string): void {
    const reason = this.#endedBy();
    if (reason !== undefined)
      throw new CheckpointSessionError(
        this.checkpoint.name,
        `${what} refused: ${reason}; nothing was changed. Start a new session with checkpoint.run(...) or checkpoint.open().`,
      );
  }

  /** Whether this session resolves to an existing catalog row. */
  get exists(): boolean {
    return this.#entry !== undefined;
  }

  /** Whether this session is the innermost active session of the current async context. */
  get isActive(): boolean {
    return activeSessions().at(-1) === this;
  }

  /** The commit id of the session's row; `undefined` before its first commit. */
  get commitId(): string | undefined {
    return this.#entry?.commitId;
  }

  /** The session's row; `undefined` before its first commit. */
  get entry(): CheckpointEntry | undefined {
    return this.#entry;
  }

  /** The store folder of the session's commit. Throws for a session that has no row yet. */
  get commitFolder(): string {
    if (this.#entry === undefined)
      throw new CheckpointSessionError(this.checkpoint.name, "This checkpoint session does not exist.");
    return commitFolder(this.checkpoint.root, this.#entry.commitId);
  }

  /** The checkpoint's device (opaque to ckpt). */
  get device(): string {
    return this.checkpoint.device;
  }

  /** The labels of the session's row (or those given to `select`); `{}` by default. */
  get labels(): Labels {
    return this.#labels;
  }

  /** Restart boundaries recorded: the row's count when resumed, plus the writes since. */
  get writeCount(): number {
    return this.#writeCount;
  }

  /** Metadata of the session's row, decoded once (`{}` for a session without a row). */
  get metadata(): Readonly<Record<string, unknown>> {
    return this.#entry?.metadata ?? NO_METADATA;
  }

  /** Alias of `metadata` (the original's compatibility name). */
  get artifacts(): Readonly<Record<string, unknown>> {
    return this.metadata;
  }

  /** `metadata.leadTime`, when present. */
  get leadTime(): unknown {
    return this.#entry?.leadTime;
  }

  /**
   * One metadata value of the session's row. A missing name is a `CheckpointSessionError`.
   *
   * @example
   * const latest = await checkpoint.select(-1);
   * const leadTime = latest.metadataValue("leadTime");
   */
  metadataValue(name: string): unknown {
    const metadata = this.metadata;
    if (!Object.hasOwn(metadata, name))
      throw new CheckpointSessionError(
        this.checkpoint.name,
        `Metadata '${name}' not found in checkpoint session.`,
      );
    return metadata[name];
  }

  /** Alias of `metadataValue` (the original's compatibility name). */
  artifact(name: string): unknown {
    return this.metadataValue(name);
  }

  /**
   * Binds a live state object to this session (restoring it from the row at level > 0), like
   * `bindCheckpointState` inside `run`, but without needing the session to be active.
   */
  bind<V extends object>(handle: CheckpointStateHandle<V>): CheckpointStateHandle<V>;
  bind<T extends CheckpointStateType>(
    type: T,
    initialValue: StateValue<T>,
  ): CheckpointStateHandle<StateValue<T>>;
  bind(typeOrHandle: unknown, initialValue?: unknown): CheckpointStateHandle {
    this.#assertOpen("bind()");
    return this[attachBinding](resolveBinding(typeOrHandle, initialValue));
  }

  /** @internal Binds (and restores) `binding` in this session. */
  [attachBinding](binding: StateBinding): CheckpointStateHandle {
    const id = binding.type.id;
    const existing = this.#bound.get(id);
    if (existing === binding) {
      if (binding.session !== this) binding.attach(this.checkpoint, this, binding.stateLoaded);
      return binding.handle;
    }
    if (existing !== undefined && !this.#reusable.has(id))
      throw new CheckpointStateCollisionError(id, this.checkpoint.name);
    const saved = this.checkpoint.level > 0 ? this.#loaded.get(id) : undefined;
    if (saved !== undefined)
      try {
        restoreState(binding.type, binding.value, saved.stateJson, (name) => {
          const blob = saved.blobs.get(name);
          if (blob === undefined)
            throw new CheckpointIntegrityError(
              `${saved.folder}/${name}`,
              `state ${id} names a blob that its commit does not hold`,
            );
          return blob;
        });
      } catch (error) {
        // The codec names the value and the file; the reader also needs to know where it is stored.
        if (!(error instanceof CheckpointDecodeError)) throw error;
        const detail = error.message.slice(error.path.length + 2);
        throw new CheckpointDecodeError(error.path, `${detail} (stored under "${saved.folder}/")`, {
          cause: error,
        });
      }
    this.#reusable.delete(id);
    binding.attach(this.checkpoint, this, saved !== undefined);
    this.#bound.set(id, binding);
    return binding.handle;
  }

  /**
   * Records a safe restart boundary: `writeCount += 1`, the metadata is merged into the pending
   * metadata (it accumulates across writes; one-element typed arrays become scalars), and the
   * session is dirty. When `flushInterval` is set and `writeCount % flushInterval === 0` it commits;
   * It also commits when `flushAfter` has passed since the session's last commit (or its start).
   * If that commit fails (or `options.signal` aborts it), `writeCount`, the pending metadata and
   * dirtiness are restored and the error is rethrown.
   *
   * In sync mode, await `write()` before changing bound state: the upload reads the live arrays,
   * and a commit whose bytes changed while it uploaded fails with `CheckpointSourceChangedError`
   * (`E_INTEGRITY`, naming the state and field) before its catalog swap. In async mode (`options.async`, or the checkpoint's `async`) it
   * resolves once the state is captured, the caller may change everything at once, and the commit
   * uploads in the background (see {@link drain}); a write that would start more than
   * `maxInFlight` background commits waits for the oldest to be durable. A failed background
   * commit rejects the next `write`, `flush` or `drain`.
   *
   * @returns the committed row when this write committed in sync mode, else `undefined`.
   */
  write(metadata?: MetadataInput, options: CommitCallOptions = {}): Promise<CheckpointEntry | undefined> {
    try {
      this.#assertOpen("write()");
      throwIfAborted(options.signal, this.checkpoint.name);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serial(async () => {
      this.#background.throwFailure();
      const pending = new Map([...this.#pending, ...encodeMetadata(metadata)]);
      checkMetadataLimits(this.checkpoint.name, pending);
      const before = { writeCount: this.#writeCount, pending: this.#pending, dirty: this.#dirty };
      this.#writeCount += 1;
      this.#pending = pending;
      this.#dirty = true;
      // After a preemption signal every boundary commits, whatever flushInterval says, and in the
      // foreground: the process exits once run() settles, so the row must be durable first.
      const preempted = this.#preemption?.received !== undefined;
      if (!preempted && !this.#flushDue()) return undefined;
      let entry: CheckpointEntry | undefined;
      try {
        entry = await this.#flushNow(new Map(), preempted ? { ...options, async: false } : options);
      } catch (error) {
        this.#writeCount = before.writeCount;
        this.#pending = before.pending;
        this.#dirty = before.dirty || this.#lostCommit;
        throw error;
      }
      // Also when the signal came during this write's own commit: its boundary is saved (an async
      // one once the background commits are durable).
      if (this.#preemption?.received !== undefined) {
        if (entry === undefined) {
          await this.#background.drain();
          entry = this.#entry;
        }
        throw this.#preemption.error(entry);
      }
      return entry;
    });
  }

  /**
   * Commits the session: the bound states (level > 0) and the pending metadata plus `metadata`
   * as overrides. With nothing written since the last commit and no overrides, commits nothing.
   * Only a successful commit makes the metadata the committed metadata and the session clean;
   * `writeCount` is unchanged by `flush`. `options` as for {@link write}: in async mode the
   * commit uploads in the background and `flush` resolves once the state is captured.
   *
   * @returns the committed row (sync mode), or `undefined` when there was nothing to commit or
   *   the commit went to the background.
   */
  flush(metadata?: MetadataInput, options: CommitCallOptions = {}): Promise<CheckpointEntry | undefined> {
    try {
      this.#assertOpen("flush()");
      throwIfAborted(options.signal, this.checkpoint.name);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serial(async () => {
      this.#background.throwFailure();
      return this.#flushNow(encodeMetadata(metadata), options);
    });
  }

  /**
   * Resolves when every commit started so far (in the background, by async `write`/`flush`) is
   * durable, its catalog swap done, and the commits they retired are deleted (in overwrite mode a
   * commit's retired predecessor is deleted while the next background commit uploads); rejects
   * with the first failure among the commits (then the catalog holds none of the failed commits,
   * and the session is dirty again so a later `flush` retries). A failed deletion only warns, as
   * it does for sync commits: `gc` removes what it left. `run()` and `checkpoint.close()` drain
   * before they resolve.
   *
   * @returns the session's newest committed row.
   */
  async drain(): Promise<CheckpointEntry | undefined> {
    await this.#tail;
    try {
      await this.#background.drain();
    } finally {
      // The retired commits' deletions too: a drained session leaves nothing behind in the store.
      await this.#client.settle();
    }
    return this.#entry;
  }

  #flushDue(): boolean {
    const interval = this.checkpoint.flushInterval;
    if (interval !== null && this.#writeCount % interval === 0) return true;
    const after = this.checkpoint.flushAfter;
    return after !== null && Date.now() - this.#lastCommitAt >= after;
  }

  /**
   * Runs `fn` with this session active in the current async context (so `bindCheckpointState`
   * finds it), then commits pending writes when `fn` returns; when `fn` throws, nothing is
   * committed. Entering adopts the states bound to the checkpoint before any session was active
   * (once per session). Running a session that is already active in this context re-enters it:
   * the outermost run alone adopts, watches signals and flushes.
   *
   * `fn` gets the session and an `AbortSignal` that aborts when one of `options.signals` arrives.
   * Then the next `write()` commits its boundary (whatever `flushInterval` says) and throws
   * `CheckpointPreemptedError`, `run()` rejects with it, and (unless `exitOnPreemption: false`) the
   * process exits with 128 + the signal's number. See {@link PreemptionOptions}.
   */
  async run<T>(
    fn: (session: CheckpointSession, preempted: AbortSignal) => T | Promise<T>,
    options: PreemptionOptions = {},
  ): Promise<Awaited<T>> {
    if (activeSessions().includes(this))
      return await runInSession(this, () =>
        fn(this, this.#preemption?.signal ?? new AbortController().signal),
      );
    this.#assertOpen("run()");
    const watch = new PreemptionWatch(
      this.checkpoint.name,
      options,
      () => this.#writeCount - (this.#entry?.writeCount ?? 0),
    );
    this.#adoptOnce();
    this.#preemption = watch;
    watch.start();
    try {
      const result = await this.#runOutermost(fn, watch.signal);
      watch.end(undefined);
      return result;
    } catch (error) {
      watch.end(error);
      throw error;
    }
  }

  async #runOutermost<T>(
    fn: (session: CheckpointSession, preempted: AbortSignal) => T | Promise<T>,
    preempted: AbortSignal,
  ): Promise<Awaited<T>> {
    setRunning(this, true);
    let result: Awaited<T>;
    try {
      result = await runInSession(this, () => fn(this, preempted));
    } catch (error) {
      // Commits already started still land (or fail) before the run reports its own error.
      await this.drain().catch(() => undefined);
      if (this.#dirty && this.#writeCount > (this.#entry?.writeCount ?? 0))
        this.#warn(
          `Checkpoint "${this.checkpoint.name}": the run failed; ${this.#writeCount - (this.#entry?.writeCount ?? 0)} write(s) since the last commit were not committed.`,
        );
      this.#leave();
      throw error;
    }
    try {
      await this.flush();
      await this.drain();
      // Retired commits are deleted in the background; a run that returned leaves none behind.
      await this.#client.settle();
    } finally {
      this.#leave();
    }
    return result;
  }

  // A session adopts the states waiting for it once, when it is first entered.
  #adoptOnce(): void {
    if (this.#adopted) return;
    this.#adopted = true;
    const pending = takePending(this.checkpoint);
    if (pending.length === 0) return;
    const foreign = new Map<string, string[]>();
    for (const { binding, waitedFor } of pending)
      if (waitedFor !== undefined)
        foreign.set(waitedFor.name, [...(foreign.get(waitedFor.name) ?? []), binding.type.id]);
    for (const [name, ids] of foreign)
      this.#warn(
        `Checkpoint "${this.checkpoint.name}": state ${ids.join(", ")} was bound outside run() while checkpoint "${name}" was the newest one constructed; "${name}" started no session, so this session saves it. Bind state inside run() or with session.bind(...) to choose the checkpoint.`,
      );
    if (this.exists && pending.some((item) => !item.reusable))
      this.#warn(
        `Checkpoint "${this.checkpoint.name}": state was bound before an existing checkpoint session was active (${pending
          .filter((item) => !item.reusable)
          .map((item) => item.binding.type.id)
          .join(
            ", ",
          )}). Saved state is being restored late; side effects of construction that depended on it ` +
          "are not replayed. Bind restartable state inside checkpoint.run(...) when it must be restored during initialization.",
      );
    for (const item of pending) {
      this[attachBinding](item.binding);
      if (item.reusable) this.#reusable.add(item.binding.type.id);
    }
  }

  // Leaving ends the session and keeps the states tied to the checkpoint, pending and reusable for
  // its next session.
  #leave(): void {
    this.#runEnded = true;
    setRunning(this, false);
    this.#pool.clear();
    uploading.get(this.checkpoint)?.delete(this);
    for (const binding of this.#bound.values()) {
      if (binding.session === this) binding.attach(this.checkpoint);
      addPending(this.checkpoint, binding, true);
    }
  }

  async #flushNow(
    overrides: ReadonlyMap<string, JsonValue>,
    options: CommitCallOptions,
  ): Promise<CheckpointEntry | undefined> {
    if (!this.#dirty && overrides.size === 0) return undefined;
    const metadata = new Map([...this.#pending, ...overrides]);
    checkMetadataLimits(this.checkpoint.name, metadata);
    if (options.async ?? this.checkpoint.async) {
      // A write that must wait for a slot captures first when the copy is small enough: its
      // boundary is fixed when it is called, and its upload starts the moment the slot frees
      // instead of after a copy (which would leave the store idle for it at every step).
      const request = this.#background.full ? this.#request(metadata, false) : undefined;
      const early =
        request !== undefined && copiedBytes(request.objects) <= EARLY_CAPTURE_BYTES
          ? this.#capture(request)
          : undefined;
      await this.#background.slot();
      try {
        // The commit waited for may have failed: report it rather than queue behind it.
        this.#background.throwFailure();
      } catch (error) {
        if (early !== undefined) this.#pool.give(early.captured.buffers);
        throw error;
      }
      this.#startBackground(early ?? this.#capture(this.#request(metadata, false)), metadata, options.signal);
      return undefined;
    }
    // Rows land in write order: a sync commit waits for the background ones started before it.
    await this.#background.drain();
    const entry = await this.#commit(metadata, options.signal);
    this.#committed(metadata);
    this.#entry = entry;
    return entry;
  }

  #committed(metadata: Map<string, JsonValue>): void {
    this.#pending = metadata;
    this.#dirty = false;
    this.#lostCommit = false;
    this.#lastCommitAt = Date.now();
    // The states of the new commit are the ones bound now: nothing is left to restore from it.
    this.#loaded = new Map();
  }

  // Captures the state of this write boundary: blobs copied into pooled buffers.
  #capture(request: Omit<CommitRequest, "signal">): Capture {
    return { request, captured: captureObjects(request.objects, this.#pool, viewsLiveMemory) };
  }

  // Queues the upload of a captured boundary; on failure the session is dirty again, so a later
  // flush commits the live state.
  #startBackground(
    { request, captured }: Capture,
    metadata: Map<string, JsonValue>,
    signal: AbortSignal | undefined,
  ): void {
    this.#committed(metadata);
    let sessions = uploading.get(this.checkpoint);
    if (sessions === undefined) {
      sessions = new Set();
      uploading.set(this.checkpoint, sessions);
    }
    sessions.add(this);
    this.#background.start({
      run: async () => {
        // The deletion of the commit the previous one retired overlaps this upload (on a store that
        // serves requests in parallel they cost the time of the longer one, not the sum); older
        // deletions finish first, so at most one runs beside an upload.
        const older = this.#olderCleanup;
        this.#olderCleanup = this.#client.settle();
        await older;
        const row = await this.#client.commit({ ...request, objects: captured.objects, signal });
        this.#entry = new CheckpointEntry(row);
      },
      settle: (failure) => {
        this.#pool.give(captured.buffers);
        if (failure === undefined) return;
        this.#dirty = true;
        this.#lostCommit = true;
      },
    });
  }

  #request(metadata: ReadonlyMap<string, JsonValue>, sumBlobs: boolean) {
    const states: Record<string, { path: string; schemaHash: string }> = {};
    const objects: CommitObject[] = [];
    if (this.checkpoint.level > 0)
      for (const [stateId, binding] of this.#bound) {
        const path = `states/${stateId}`;
        const { stateJson, blobs } = encodeState(binding.type, binding.value);
        states[stateId] = { path, schemaHash: binding.type.schemaHash };
        objects.push({ key: `${path}/${STATE_JSON}`, chunks: [stateJson], size: stateJson.byteLength });
        // Blobs view the live arrays: summed now (or, incremental, digested before the put), the
        // upload can tell when they changed under it.
        for (const blob of blobs)
          objects.push({
            key: `${path}/${blob.name}`,
            chunks: blob.chunks,
            size: blob.size,
            ...(!sumBlobs
              ? {}
              : this.#client.incremental
                ? { live: true }
                : { checksum: checksumOf(blob.chunks) }),
          });
      }
    return {
      writeCount: this.#writeCount,
      labels: this.#labels,
      metadata: metadataRecord(metadata),
      states,
      objects,
    };
  }

  async #commit(
    metadata: ReadonlyMap<string, JsonValue>,
    signal: AbortSignal | undefined,
  ): Promise<CheckpointEntry> {
    const request = this.#request(metadata, true);
    try {
      return new CheckpointEntry(await this.#client.commit({ ...request, signal }));
    } catch (error) {
      throw this.#nameChangedField(error);
    }
  }

  // An upload that found its source bytes changed names the state and the field they belong to.
  #nameChangedField(error: unknown): unknown {
    if (!(error instanceof CheckpointSourceChangedError)) return error;
    const match = /\/states\/([^/]+)\/([^/]+)\.npy$/.exec(error.key);
    if (match === null) return error;
    const [, stateId, field] = match;
    return new CheckpointSourceChangedError(
      error.key,
      `field ${field} of state ${stateId} changed while its commit uploaded it, so nothing was committed; in sync mode await write() and flush() before changing bound state, or use async commits`,
      { stateId, field, cause: error },
    );
  }

  // Starts `op` at once when the session is idle (so `write` counts synchronously), else after the
  // operation in flight settles.
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    const result = previous === undefined ? op() : previous.then(op);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
    return result;
  }
}
