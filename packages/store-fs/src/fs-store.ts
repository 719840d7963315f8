import * as nodeFs from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Body,
  bodyChunks,
  type CallOptions,
  type GetOptions,
  type GetResult,
  type GetStreamOptions,
  type GetStreamResult,
  InvalidKeyError,
  knownBodySize,
  type ListOptions,
  type ListPage,
  mapBounded,
  NotFoundError,
  type ObjectInfo,
  PreconditionFailedError,
  type PreparedPut,
  type PutOptions,
  parseStoreOptions,
  raceAbort,
  type Store,
  StoreError,
  type SweepOptions,
  type SweepResult,
  sleep,
  TooLargeError,
  throwIfAborted,
  validateKey,
  validatePrefix,
  validatePutOptions,
} from "@ckpt/core";
import { z } from "zod";
import { FolderSyncs } from "./folder-syncs.js";
import type { FsApi, FsBigIntStats, FsFileHandle } from "./fs-api.js";
import { errorCode, ioError, retryingFileLimits } from "./io.js";
import { ownedFileName, RESERVED_PREFIX, withKeyLock } from "./lock.js";
import { RECYCLE_MIN_BYTES, type RecycledFile, RecycledFiles } from "./recycle.js";
import { sweepFolder } from "./sweep.js";
import { resolveFsUrl } from "./url.js";
import { walkKeys } from "./walk.js";

const READ_CHUNK = 1024 * 1024;
/** Default {@link FsStoreOptions.recycleBytes} on the disk. */
const DISK_RECYCLE_BYTES = 2 * 1024 ** 3;
/** Bytes per read of `get`: large enough to keep syscalls few, small enough to overlap digesting. */
const GET_PIECE = 8 * READ_CHUNK;
/** Longest file name on the filesystems we target (ext4, xfs, tmpfs, APFS). */
const MAX_NAME_BYTES = 255;
/** A clock this far behind the last mtime is not waited out (see {@link nextMtimeMs}). */
const MAX_CLOCK_WAIT_MS = 1000;

const optionsSchema = z
  .object({
    root: z
      .string()
      .min(1)
      .refine((root) => isAbsolute(root), "must be an absolute path"),
    fs: z
      .custom<FsApi>(
        (value) =>
          typeof value === "object" &&
          value !== null &&
          ["open", "rename", "link", "unlink", "mkdir", "readdir", "stat", "readFile", "rmdir"].every(
            (name) => typeof (value as Record<string, unknown>)[name] === "function",
          ),
        "must be an object with the fs.promises API (open, rename, link, unlink, mkdir, rmdir, readdir, stat, readFile)",
      )
      .optional(),
    url: z.string().min(1).optional(),
    pageSize: z.number().int().min(1).max(100_000).default(1000),
    lockStaleMs: z.number().int().min(10).default(30_000),
    durable: z.boolean().default(true),
    concurrency: z.number().int().min(1).max(1024).default(16),
    recycleBytes: z.number().int().min(0).optional(),
    recycleMs: z.number().int().min(0).default(60_000),
  })
  .strict();

/** Options of {@link FsStore}. */
export interface FsStoreOptions {
  /** Absolute folder holding the objects; created on the first put. */
  root: string;
  /** The fs.promises API to use: `node:fs/promises` (default) or memfs's `vol.promises`. */
  fs?: FsApi;
  /** Shown as the store's `url`; default `file://<root>`. */
  url?: string;
  /** Largest `list` page (default 1000). */
  pageSize?: number;
  /** Age after which a key lock is stale even if its holder seems alive (default 30,000 ms). */
  lockStaleMs?: number;
  /**
   * fsync files and folders on put (default true). `false` leaves written objects in the page
   * cache, as earth2studio and `torch.save` do: a crash of the process loses nothing, but a
   * power loss or kernel crash can lose the latest commits (the catalog may then point at objects
   * that never reached the disk). For scratch disks; also `file:///folder?durable=false`.
   */
  durable?: boolean;
  /** Parallel fs calls within one `list` or `delete` (default 16). */
  concurrency?: number;
  /**
   * Bytes of deleted objects' files kept for later puts to overwrite: default 2 GiB on the disk,
   * 0 with a custom `fs` such as a memfs volume (where it measured no faster); 0 keeps none. A
   * store that has put an object of 1 MiB or more, deleting one of 1 MiB or more, renames its file
   * to a temp name in its folder instead of unlinking it; a later put of 1 MiB or more (of known
   * size) overwrites it instead of creating a file. On disk that spares the kernel freeing and
   * allocating the file's pages and blocks, about 40 % of a steady commit's file-system time (a
   * checkpoint retires a commit's files as it writes the next). The key is gone at once; only its
   * disk space comes back later: when a put takes the file, after `recycleMs`, beyond this many
   * bytes (oldest first), on `close()`, or when the process exits. A killed process leaves them
   * as temp files that `sweep` (and `ckpt gc`) removes.
   */
  recycleBytes?: number;
  /** How long a kept file waits for a put before it is unlinked (default 60,000 ms). */
  recycleMs?: number;
}

function parseOptions(options: FsStoreOptions): z.output<typeof optionsSchema> {
  return parseStoreOptions(optionsSchema, options, "FsStore");
}

/**
 * The opaque version of an object file. Sound because every object of a key gets an mtime
 * strictly after the previous object's: a put replacing an object does so under the key's lock,
 * one past its mtime if the clock has not passed it; a delete waits, under the lock, for the clock
 * to pass the object's mtime before unlinking it (see {@link nextMtimeMs}), so a put that then
 * finds the key free takes a later mtime, with or without the lock. Two objects ever stored under
 * one key differ in mtime, whatever the inode (memfs and ext4 both reuse inode numbers) and
 * whatever the bytes.
 */
function versionOf(stats: FsBigIntStats): string {
  return `${stats.ino.toString(36)}.${stats.mtimeNs.toString(36)}.${stats.size.toString(36)}`;
}

function infoOf(key: string, stats: FsBigIntStats): ObjectInfo {
  return {
    key,
    size: Number(stats.size),
    version: versionOf(stats),
    lastModified: new Date(Number(stats.mtimeNs / 1_000_000n)),
  };
}

function wholeMs(stats: FsBigIntStats): number {
  return Number(stats.mtimeNs / 1_000_000n);
}

/**
 * Waits, under a deleted object's key lock, until the clock has passed that object's mtime
 * (`previousMs`), so a later object of the key gets a later mtime. A clock stepped back by more
 * than a second is not waited out.
 */
async function nextMtimeMs(previousMs: number | undefined, signal: AbortSignal | undefined, key: string) {
  let now = Date.now();
  if (previousMs === undefined || now > previousMs) return now;
  if (previousMs - now >= MAX_CLOCK_WAIT_MS) return previousMs + 1;
  while (now <= previousMs) {
    await sleep(previousMs - now + 1, signal, key);
    now = Date.now();
  }
  return now;
}

async function statOrUndefined(fs: FsApi, path: string): Promise<FsBigIntStats | undefined> {
  try {
    const stats = await fs.stat(path, { bigint: true });
    return stats.isFile() ? stats : undefined;
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Errors of `link` on a filesystem without hard links. */
const NO_HARD_LINKS = new Set(["EPERM", "ENOSYS", "EOPNOTSUPP", "ENOTSUP", "EMLINK"]);
/** Folders a store remembers as existing (beyond this, it forgets them all and starts over). */
const KNOWN_FOLDERS = 4096;

function keyIsFolder(key: string, url: string, cause: unknown): StoreError {
  return new StoreError(
    "E_KEY_CONFLICT",
    `Cannot put "${key}" in ${url}: it is a folder of other keys on this filesystem store`,
    { key, cause },
  );
}

/** A prepared put's temp file, written, timed and synced (see {@link FsStore.prepare}). */
interface WrittenTemp {
  readonly handle: FsFileHandle;
  readonly tempPath: string;
  readonly path: string;
  readonly dir: string;
  readonly madeFolders: readonly NewFolders[];
  readonly mtimeMs: number;
  readonly stats: FsBigIntStats;
  /** The key was free when looked at, and hard links work: publish by link, without the lock. */
  readonly free: boolean;
}

/** A folder chain a put made: `durable` resolves once the entries it added are on disk. */
interface NewFolders {
  readonly durable: Promise<void>;
}

async function setMtime(handle: FsFileHandle, mtimeMs: number): Promise<void> {
  // Mid-millisecond, so float seconds round back to exactly this millisecond on read.
  const seconds = (mtimeMs + 0.5) / 1000;
  await handle.utimes(seconds, seconds);
}

/** The file's stats, read while it is fsynced (when `durable`). */
async function statBesideSync(handle: FsFileHandle, durable: boolean): Promise<FsBigIntStats> {
  const [stats] = await Promise.all([handle.stat({ bigint: true }), durable ? handle.sync() : undefined]);
  return stats;
}

/** Writes `chunk` at `position`, carried on after short writes. */
async function writeAllAt(handle: FsFileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset, position + offset);
    offset += bytesWritten;
  }
}

/** One `writev` of the buffers at `position`, carried on after short writes. */
async function writevAllAt(handle: FsFileHandle, buffers: readonly Uint8Array[], position: number) {
  let pending = [...buffers];
  let at = position;
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev!(pending, at);
    at += bytesWritten;
    let consumed = 0;
    while (consumed < pending.length && bytesWritten >= pending[consumed]!.byteLength) {
      bytesWritten -= pending[consumed]!.byteLength;
      consumed++;
    }
    const rest = pending.slice(consumed);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
    pending = rest;
  }
}

/**
 * Bytes per write call, as Node's `writeFile`: on Linux 6.18 ext4 here, writes of 2 MiB and more
 * into the page cache ran 3-8 x slower; after some GiB of new files, 1 MiB writes slowed so too,
 * several files before 512 KiB ones did (BENCHMARKS.md, "Write size on disk" and "The slowdown of
 * new files"). Pieces also let an abort stop a large put between them.
 */
const WRITE_PIECE = 512 * 1024;
/** Buffers per `writev` call: well under IOV_MAX (1024 on Linux). */
const WRITEV_BUFFERS = 256;
/**
 * Pieces of one file written at once, each at its own position: while the JavaScript thread is
 * busy (hashing the next arrays), the thread pool still holds the next pieces of this one.
 */
const PIECES_IN_FLIGHT = 4;

/** One write call's share of a body: buffers written together, and where in the file. */
interface Piece {
  readonly buffers: readonly Uint8Array[];
  readonly position: number;
}

/** Cuts `chunks` into pieces of at most `size` bytes from `position` on (small chunks joined). */
function piecesOf(chunks: readonly Uint8Array[], size: number, position: number): Piece[] {
  const pieces: Piece[] = [];
  let batch: Uint8Array[] = [];
  let bytes = 0;
  let at = position;
  const close = () => {
    if (batch.length === 0) return;
    pieces.push({ buffers: batch, position: at });
    at += bytes;
    batch = [];
    bytes = 0;
  };
  for (const chunk of chunks)
    for (let offset = 0; offset < chunk.byteLength; ) {
      const take = Math.min(size - bytes, chunk.byteLength - offset);
      batch.push(chunk.subarray(offset, offset + take));
      bytes += take;
      offset += take;
      if (bytes === size || batch.length === WRITEV_BUFFERS) close();
    }
  close();
  return pieces;
}

/**
 * Writes the chunks from `position` on, in calls of at most `piece` bytes (small chunks joined by
 * `writev`), up to {@link PIECES_IN_FLIGHT} at once; resolves to the position after them. A failed
 * or aborted piece starts no further one and waits for those in flight.
 */
async function writeChunks(
  handle: FsFileHandle,
  chunks: readonly Uint8Array[],
  piece: number,
  position: number,
  signal: AbortSignal | undefined,
  key: string,
): Promise<number> {
  const pieces = piecesOf(chunks, piece, position);
  await mapBounded(pieces, PIECES_IN_FLIGHT, undefined, async ({ buffers, position: at }) => {
    throwIfAborted(signal, key);
    if (buffers.length > 1 && handle.writev !== undefined) return writevAllAt(handle, buffers, at);
    for (const buffer of buffers) {
      await writeAllAt(handle, buffer, at);
      at += buffer.byteLength;
    }
  });
  return chunks.reduce((end, chunk) => end + chunk.byteLength, position);
}

function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (key === "" || encodeCursor(key) !== cursor)
    throw new StoreError("E_CURSOR", `Invalid list cursor ${JSON.stringify(cursor)}`);
  return key;
}

/**
 * A {@link Store} over a folder, through the `fs.promises` API: the real disk by default, or
 * memfs for `memory://` stores. Objects are plain files named by their key.
 *
 * - put: the body is written to a temp file (`.ckpt-tmp-<pid>.<host>.<random>`, never listed) in
 *   the target folder, given an mtime and fsynced. Into a free key (no `ifMatch`) the temp file is
 *   then hard-linked to the key, which fails if the key was taken meanwhile, and unlinked: no lock.
 *   Otherwise, under the key's lock, preconditions are checked, the mtime is confirmed or redone
 *   (see {@link versionOf}), and the temp file is renamed over the target. Then the folder is
 *   fsynced (one fsync shared by puts that finish together).
 * - preconditions hold across processes on one host: `ifNoneMatch` by the exclusive link, `ifMatch`
 *   under the lock, a symlink (or a file) created exclusively (see `lock.ts` for how stale locks
 *   of killed writers are recognised).
 *
 * @example
 * const store = new FsStore({ root: "/data/checkpoints" });
 * await store.put("runs/a/catalog.json", bytes, { ifNoneMatch: "*" });
 */
export class FsStore implements Store {
  readonly url: string;
  readonly root: string;
  /** Whether puts fsync their files and folders (the `durable` option). */
  readonly durable: boolean;
  readonly #fs: FsApi;
  readonly #options: z.output<typeof optionsSchema>;
  readonly #folderSyncs: FolderSyncs;
  readonly #writePiece: number;
  readonly #makingFolders = new Map<string, Promise<NewFolders>>();
  readonly #lastMtimes = new Map<string, number>();
  /** Folders seen to exist: a put into a new folder below one makes it without a failed open first. */
  readonly #knownFolders = new Set<string>();
  /** Folders this store made whose entry in their parent is not yet synced: resolves when it is. */
  readonly #unsyncedFolders = new Map<string, Promise<void>>();
  /** Cleared when `link` fails for want of hard links: every put then takes the key's lock. */
  #hardLinks = true;
  /** Deleted objects' files kept for puts to overwrite (see {@link FsStoreOptions.recycleBytes}). */
  readonly #recycled: RecycledFiles;
  /** Set by the first put of a large body: only a store that writes them keeps deleted files. */
  #putsLarge = false;

  constructor(options: FsStoreOptions) {
    this.#options = parseOptions(options);
    this.root = resolve(this.#options.root);
    this.#fs = retryingFileLimits(this.#options.fs ?? (nodeFs as unknown as FsApi));
    this.#folderSyncs = new FolderSyncs((dir) => this.#syncFolder(dir));
    this.#writePiece = this.#options.fs?.wholeWrites === true ? Number.POSITIVE_INFINITY : WRITE_PIECE;
    this.url = this.#options.url ?? pathToFileURL(this.root).href;
    this.durable = this.#options.durable;
    const onDisk = this.#options.fs === undefined;
    this.#recycled = new RecycledFiles({
      limitBytes: this.#options.recycleBytes ?? (onDisk ? DISK_RECYCLE_BYTES : 0),
      keepMs: this.#options.recycleMs,
      discard: (file) => this.#discardRecycled(file),
      onDisk,
    });
  }

  /** Unlinks the deleted objects' files this store kept for reuse (see {@link FsStoreOptions.recycleBytes}). */
  async close(): Promise<void> {
    await this.#recycled.clear();
  }

  async #discardRecycled(file: RecycledFile): Promise<void> {
    await this.#fs.unlink(file.path).catch(() => undefined);
    await this.#pruneFolders(file.dir);
  }

  /**
   * Opens `file:///abs/folder` (the real disk; plain paths go through `openStore`) or
   * `memory://name/optional/folder` (a memfs volume, one fresh volume per name per process).
   * `?durable=false` in the URL turns fsync off (see {@link FsStoreOptions.durable}); a
   * `durable` in `options` takes precedence over the URL's.
   *
   * @example
   * const scratch = FsStore.fromUrl("memory://tests");
   * const fast = FsStore.fromUrl("file:///scratch/runs?durable=false");
   */
  static fromUrl(location: string | URL, options?: Omit<FsStoreOptions, "root" | "fs" | "url">): FsStore {
    const { durable, ...where } = resolveFsUrl(location);
    return new FsStore({ ...(durable === undefined ? {} : { durable }), ...options, ...where });
  }

  /**
   * Now, or one past the mtime this store last gave the same path when that is not in the past:
   * successive puts of one key within a millisecond (a catalog under fast commits) then need no
   * second utimes and fsync under the lock.
   */
  #provisionalMtimeMs(path: string): number {
    const last = this.#lastMtimes.get(path);
    const now = Date.now();
    return last !== undefined && last >= now ? last + 1 : now;
  }

  #rememberMtime(path: string, mtimeMs: number): void {
    // Entries behind the clock no longer matter: drop them once there are many.
    if (this.#lastMtimes.size >= 1024) {
      const now = Date.now();
      for (const [known, ms] of this.#lastMtimes) if (ms < now) this.#lastMtimes.delete(known);
    }
    this.#lastMtimes.set(path, mtimeMs);
  }

  /** The path of a key, after validating it (before any I/O). */
  #pathOf(key: string): string {
    validateKey(key);
    const segments = key.split("/");
    for (const segment of segments) {
      if (segment.startsWith(RESERVED_PREFIX))
        throw new InvalidKeyError(key, `segments starting with "${RESERVED_PREFIX}" are reserved by FsStore`);
      if (Buffer.byteLength(segment, "utf8") > MAX_NAME_BYTES)
        throw new InvalidKeyError(key, `a segment longer than ${MAX_NAME_BYTES} bytes cannot be a file name`);
    }
    return join(this.root, ...segments);
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    return (await this.prepare(key, body, options)).publish();
  }

  /**
   * The first half of a put: the body is written to a temp file in the key's folder, given its
   * mtime and fsynced (`durable`), and `ifNoneMatch: "*"` is checked; nothing is visible yet.
   * `publish()` then does the rest of {@link put} (link or lock, check and rename, folder sync)
   * with the same options and outcomes; `discard()` removes the temp file. A caller that knows a
   * body before it may make it visible (the commit protocol's manifest, written while the
   * objects it lists are still being synced) calls this early and publishes later.
   */
  async prepare(key: string, body: Body, options?: PutOptions): Promise<PreparedPut> {
    const path = this.#pathOf(key);
    validatePutOptions(key, options);
    const signal = options?.signal;
    throwIfAborted(signal, key);
    const fs = this.#fs;
    const dir = dirname(path);
    const tempPath = join(dir, ownedFileName("tmp"));
    const createOnly = options?.ifMatch === undefined && this.#hardLinks;
    let handle: FsFileHandle | undefined;
    let tempGone = false;
    const cleanUp = async () => {
      const open = handle;
      handle = undefined;
      if (open !== undefined) await open.close().catch(() => undefined);
      if (!tempGone) await fs.unlink(tempPath).catch(() => undefined);
      tempGone = true;
    };
    const failed = (error: unknown) =>
      error instanceof StoreError ? error : ioError("put", key, this.url, error);
    let written: WrittenTemp;
    // Streams are never written over a kept file: their length is known only once read.
    const size = knownBodySize(body);
    if (size !== undefined && size >= RECYCLE_MIN_BYTES) this.#putsLarge = true;
    try {
      const temp = await this.#createTemp(key, dir, tempPath, size);
      handle = temp.handle;
      // Looked at while the body is written (not before the open: the folder and temp file come
      // first on the thread pool): a put into a free key needs no lock (see #publish).
      const before = createOnly ? statOrUndefined(fs, path) : undefined;
      before?.catch(() => undefined);
      await this.#writeBody(handle, key, body, signal);
      // A kept file larger than the body: its tail goes.
      if (temp.reusedBytes !== undefined && size !== undefined && temp.reusedBytes > size)
        await handle.truncate?.(size);
      const existing = before === undefined ? undefined : await before;
      if (existing !== undefined && options?.ifNoneMatch === "*")
        throw new PreconditionFailedError(key, "the key exists (ifNoneMatch: *)");
      // Taken after the key was seen free (after the deletion of any earlier object, which waits
      // for the clock to pass that object's mtime), so later than every earlier version; a locked
      // put confirms it under the lock. Set before the fsync, so one fsync covers data and mtime.
      const mtimeMs = this.#provisionalMtimeMs(path);
      await setMtime(handle, mtimeMs);
      // The file's stats do not change with its name: read beside the fsync.
      const stats = await statBesideSync(handle, this.#options.durable);
      written = {
        handle,
        tempPath,
        path,
        dir,
        madeFolders: temp.madeFolders,
        mtimeMs,
        stats,
        free: createOnly && existing === undefined,
      };
    } catch (error) {
      await cleanUp();
      throw failed(error);
    }
    let settled = false;
    return {
      publish: async () => {
        if (settled)
          throw new StoreError(
            "E_INVALID_ARGUMENT",
            `The prepared put of "${key}" was already published or discarded`,
            {
              key,
            },
          );
        settled = true;
        try {
          return await this.#publish(key, written, options, () => {
            handle = undefined;
            tempGone = true;
          });
        } catch (error) {
          throw failed(error);
        } finally {
          await cleanUp();
        }
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await cleanUp();
      },
    };
  }

  /**
   * The second half of a put. Into a key found free: the temp file is hard-linked to the key,
   * which fails if the key was taken meanwhile, and no lock is taken (its mtime is later than
   * every earlier object's: see {@link prepare}). Otherwise under the key's lock: preconditions
   * checked, mtime confirmed or redone (see {@link versionOf}), temp file renamed over the key.
   * `took` is called once the temp file is the key's (closed and unlinked, or renamed).
   */
  async #publish(key: string, written: WrittenTemp, options: PutOptions | undefined, took: () => void) {
    const { handle: open, tempPath, path, dir, madeFolders } = written;
    const fs = this.#fs;
    const signal = options?.signal;
    // Started only once the key's new entry is in place (link or rename): see FolderSyncs.
    const durableFolders = () =>
      this.#options.durable
        ? Promise.all([this.#folderSyncs.sync(dir), ...madeFolders.map((made) => made.durable)])
        : undefined;
    throwIfAborted(signal, key);
    let { mtimeMs, stats } = written;
    if (written.free) {
      const linked = await this.#linkNew(key, tempPath, path);
      if (linked === "linked") {
        this.#rememberMtime(path, mtimeMs);
        took();
        // The temp name goes while the folder is synced: only the link must be durable.
        await Promise.all([open.close(), fs.unlink(tempPath), durableFolders()]);
        return infoOf(key, stats);
      }
      if (linked === "exists" && options?.ifNoneMatch === "*")
        throw new PreconditionFailedError(key, "the key exists (ifNoneMatch: *)");
    }
    const done = await withKeyLock(
      { fs, dir, name: path.slice(dir.length + 1), key, staleMs: this.#options.lockStaleMs, signal },
      async () => {
        for (;;) {
          const current = await statOrUndefined(fs, path);
          if (options?.ifNoneMatch === "*" && current !== undefined)
            throw new PreconditionFailedError(key, "the key exists (ifNoneMatch: *)");
          if (options?.ifMatch !== undefined) {
            if (current === undefined)
              throw new PreconditionFailedError(key, `the key does not exist (ifMatch: ${options.ifMatch})`);
            if (versionOf(current) !== options.ifMatch)
              throw new PreconditionFailedError(
                key,
                `the version is ${versionOf(current)}, not ${options.ifMatch} (ifMatch)`,
              );
          }
          const previousMs = current && wholeMs(current);
          let nextMs = mtimeMs;
          if (previousMs !== undefined && mtimeMs <= previousMs) {
            // Another process put this key within the same millisecond (or its clock is ahead):
            // one past it, rather than waiting for the clock (see versionOf).
            nextMs = previousMs + 1;
          } else if (current === undefined && mtimeMs < Date.now()) {
            // Deleted meanwhile: its deletion waited for the clock to pass its mtime, so now
            // is after it, where the provisional mtime may not be.
            nextMs = this.#provisionalMtimeMs(path);
          }
          if (nextMs !== mtimeMs) {
            mtimeMs = nextMs;
            await setMtime(open, mtimeMs);
            stats = await statBesideSync(open, this.#options.durable);
          }
          // Last moment to back out: after the rename the put has happened.
          throwIfAborted(signal, key);
          // A free key is taken with link, which fails if a lock-free create took it first.
          const linked =
            current === undefined && this.#hardLinks
              ? await this.#linkNew(key, tempPath, path)
              : "unsupported";
          if (linked === "exists") continue;
          this.#rememberMtime(path, mtimeMs);
          await Promise.all([
            open.close(),
            linked === "linked" ? fs.unlink(tempPath) : this.#renameOver(key, tempPath, path),
          ]);
          took();
          // The rename is durable once its folder is synced; a folder chain made for the put
          // once its parents are (that sync is shared by every put into the chain). The lock
          // guards only the check and the rename, so it is released while the folder syncs.
          const durable = durableFolders();
          durable?.catch(() => undefined);
          return { info: infoOf(key, stats), durable };
        }
      },
    );
    await done.durable;
    return done.info;
  }

  /** Links the temp file to a key that must be free: `exists` if it is not, `unsupported` without hard links. */
  async #linkNew(key: string, tempPath: string, path: string): Promise<"linked" | "exists" | "unsupported"> {
    try {
      await this.#fs.link(tempPath, path);
      return "linked";
    } catch (error) {
      const code = errorCode(error);
      if (code === "EEXIST") {
        const taken = await this.#fs.stat(path, { bigint: true }).catch(() => undefined);
        if (taken?.isDirectory()) throw keyIsFolder(key, this.url, error);
        return "exists";
      }
      if (NO_HARD_LINKS.has(code ?? "")) {
        this.#hardLinks = false;
        return "unsupported";
      }
      throw error;
    }
  }

  async #renameOver(key: string, tempPath: string, path: string): Promise<void> {
    try {
      await this.#fs.rename(tempPath, path);
    } catch (error) {
      const code = errorCode(error);
      if (code === "EISDIR" || code === "ENOTEMPTY" || code === "EEXIST")
        throw keyIsFolder(key, this.url, error);
      throw error;
    }
  }

  /**
   * Makes the folder and an exclusive temp file in it; `madeFolders`: the folder chains it made.
   * A body of known `size` takes a kept file instead when there is one (`reusedBytes`: its size).
   */
  async #createTemp(
    key: string,
    dir: string,
    tempPath: string,
    size: number | undefined,
  ): Promise<{ handle: FsFileHandle; madeFolders: NewFolders[]; reusedBytes?: number }> {
    const madeFolders: NewFolders[] = [];
    // Usually the folder exists (a commit's later objects, every catalog put): open first. A new
    // folder under one known to exist (a new commit's) is made first: no failed open.
    let makeFolder = !this.#knownFolders.has(dir) && this.#knownAncestor(dir) !== undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        if (makeFolder) {
          madeFolders.push(await this.#makeFolder(dir));
        }
        const reused = size === undefined ? undefined : await this.#reuse(size, tempPath);
        if (reused !== undefined) {
          this.#knowFolder(dir);
          return { handle: reused.handle, madeFolders, reusedBytes: reused.bytes };
        }
        const handle = await this.#fs.open(tempPath, "wx", 0o666);
        this.#knowFolder(dir);
        return { handle, madeFolders };
      } catch (error) {
        const code = errorCode(error);
        // Missing folder, or pruned by a concurrent delete between mkdir and open: make it (again).
        if (code === "ENOENT" && attempt < 10) {
          this.#knownFolders.delete(dir);
          makeFolder = true;
          continue;
        }
        if (code === "ENOTDIR" || code === "EEXIST")
          throw new StoreError(
            "E_KEY_CONFLICT",
            `Cannot put "${key}" in ${this.url}: a part of its folder path is an object on this filesystem store`,
            { key, cause: error },
          );
        throw error;
      }
    }
  }

  /**
   * A kept file renamed to `tempPath` and opened for overwriting, or undefined (none fits, or it
   * went meanwhile: the put then creates its file). Its old folder is pruned if left empty.
   */
  async #reuse(size: number, tempPath: string): Promise<{ handle: FsFileHandle; bytes: number } | undefined> {
    const file = this.#recycled.take(size);
    if (file === undefined) return undefined;
    const fs = this.#fs;
    try {
      await fs.rename(file.path, tempPath);
    } catch {
      await this.#discardRecycled(file);
      return undefined;
    }
    if (file.dir !== dirname(tempPath)) void this.#pruneFolders(file.dir);
    try {
      const handle = await fs.open(tempPath, "r+");
      if (handle.truncate !== undefined || file.size === size) return { handle, bytes: file.size };
      await handle.close();
    } catch {
      // Unreadable or gone: the put creates its file instead.
    }
    await fs.unlink(tempPath).catch(() => undefined);
    return undefined;
  }

  async #writeBody(
    handle: FsFileHandle,
    key: string,
    body: Body,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (Array.isArray(body) || body instanceof Uint8Array) {
      throwIfAborted(signal, key);
      await writeChunks(
        handle,
        body instanceof Uint8Array ? [body] : (body as readonly Uint8Array[]),
        this.#writePiece,
        0,
        signal,
        key,
      );
      return;
    }
    const chunks = bodyChunks(body)[Symbol.asyncIterator]();
    let position = 0;
    try {
      for (;;) {
        // Racing the producer: a stalled body must not hold an aborted put.
        const next = await raceAbort(chunks.next(), signal, key);
        if (next.done) return;
        throwIfAborted(signal, key);
        position = await writeChunks(handle, [next.value], this.#writePiece, position, signal, key);
      }
    } catch (error) {
      void Promise.resolve(chunks.return?.()).catch(() => undefined);
      throw error;
    }
  }

  #knowFolder(folder: string): void {
    if (this.#knownFolders.size >= KNOWN_FOLDERS) this.#knownFolders.clear();
    this.#knownFolders.add(folder);
  }

  /** `dir` and the folders above it, up to and including the root (none if `dir` is outside it). */
  *#foldersUpToRoot(dir: string): Generator<string> {
    for (let folder = dir; folder.startsWith(this.root); folder = dirname(folder)) {
      yield folder;
      if (folder === this.root || folder.length <= this.root.length) return;
    }
  }

  /** The nearest folder above `dir`, up to the root, that this store has seen exist. */
  #knownAncestor(dir: string): string | undefined {
    if (dir === this.root) return undefined;
    for (const folder of this.#foldersUpToRoot(dirname(dir)))
      if (this.#knownFolders.has(folder)) return folder;
    return undefined;
  }

  /**
   * Makes `dir` and its missing parents. Puts racing into the same new folder share one mkdir and
   * one sync of the parents whose entries it added (started once the mkdir is done), and each
   * waits for that sync before it resolves: none can return while the folder holding its object
   * might still vanish in a crash, and the chain is synced once, not once per put. Below a folder
   * known to exist the missing ones are made one by one (Node's recursive mkdir first fails on
   * the deepest); a put finding a folder that another put of this store made waits for its sync too.
   */
  #makeFolder(dir: string): Promise<NewFolders> {
    let making = this.#makingFolders.get(dir);
    if (making === undefined) {
      making = this.#makeMissing(dir).finally(() => this.#makingFolders.delete(dir));
      this.#makingFolders.set(dir, making);
    }
    return making;
  }

  async #makeMissing(dir: string): Promise<NewFolders> {
    const fs = this.#fs;
    const made: string[] = [];
    const pending: Promise<void>[] = [];
    const ancestor = this.#knownAncestor(dir);
    let levels: string[] | undefined;
    if (ancestor !== undefined) {
      levels = [];
      for (let folder = dir; folder !== ancestor; folder = dirname(folder)) levels.unshift(folder);
    }
    for (const folder of levels ?? []) {
      try {
        await fs.mkdir(folder, { recursive: false });
        made.push(folder);
      } catch (error) {
        const code = errorCode(error);
        if (code === "EEXIST") {
          const unsynced = this.#unsyncedFolders.get(folder);
          if (unsynced !== undefined) pending.push(unsynced);
          continue;
        }
        // A folder above was removed meanwhile (pruned by a delete): make the rest in one call.
        if (code !== "ENOENT") throw error;
        for (const known of this.#foldersUpToRoot(dirname(folder))) this.#knownFolders.delete(known);
        levels = undefined;
        break;
      }
    }
    if (levels === undefined) {
      const first = await fs.mkdir(dir, { recursive: true });
      // Node answers with the first folder it made (memfs with the deepest: then fewer syncs).
      if (typeof first === "string")
        for (let folder = dir; folder.length >= first.length; folder = dirname(folder)) made.push(folder);
    }
    for (const folder of this.#foldersUpToRoot(dir)) this.#knowFolder(folder);
    if (!this.#options.durable) return { durable: Promise.resolve() };
    for (const folder of made) {
      // A parent gone before its sync was removed with the folder made in it (a sweep of empty
      // folders): nothing of it needs to be durable, and the put makes its folder again.
      const synced = this.#folderSyncs.sync(dirname(folder)).catch((error: unknown) => {
        if (errorCode(error) !== "ENOENT") throw error;
      });
      this.#unsyncedFolders.set(folder, synced);
      const forget = () => {
        if (this.#unsyncedFolders.get(folder) === synced) this.#unsyncedFolders.delete(folder);
      };
      synced.then(forget, forget);
      pending.push(synced);
    }
    const durable = Promise.all(pending).then(() => undefined);
    // Awaited by the puts that get this far; one that fails before must not leave it unhandled.
    durable.catch(() => undefined);
    return { durable };
  }

  async #syncFolder(dir: string): Promise<void> {
    const folder = await this.#fs.open(dir, "r");
    try {
      await folder.sync();
    } finally {
      // The sync is what the put waits for; the descriptor is let go beside it.
      folder.close().catch(() => undefined);
    }
  }

  /** Opens an object for reading; its info comes from the same open file as the bytes. */
  async #openObject(
    key: string,
    options: GetStreamOptions | undefined,
  ): Promise<{ handle: FsFileHandle; info: ObjectInfo }> {
    const path = this.#pathOf(key);
    throwIfAborted(options?.signal, key);
    let handle: FsFileHandle;
    try {
      handle = await this.#fs.open(path, "r");
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR")
        throw new NotFoundError(key, { cause: error, store: this.url });
      throw ioError("read", key, this.url, error);
    }
    try {
      const stats = await handle.stat({ bigint: true });
      if (!stats.isFile()) throw new NotFoundError(key, { store: this.url });
      const info = infoOf(key, stats);
      if (options?.maxBytes !== undefined && info.size > options.maxBytes)
        throw new TooLargeError(key, options.maxBytes);
      return { handle, info };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error instanceof StoreError ? error : ioError("read", key, this.url, error);
    }
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    const { handle, info } = await this.#openObject(key, options);
    const onChunk = options?.onChunk;
    let inFlight: Promise<unknown> | undefined;
    try {
      // Not zero-filled (every byte is read over) and not pooled (the caller owns the buffer).
      const buffer = Buffer.allocUnsafeSlow(info.size);
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const readAt = (offset: number) => {
        const read = handle.read(bytes, offset, Math.min(bytes.byteLength - offset, GET_PIECE), offset);
        inFlight = read;
        return read;
      };
      let offset = 0;
      let next = bytes.byteLength > 0 ? readAt(0) : undefined;
      while (next !== undefined) {
        const { bytesRead } = await next;
        inFlight = undefined;
        if (bytesRead === 0) break;
        const start = offset;
        offset += bytesRead;
        throwIfAborted(options?.signal, key);
        // The next piece is read while the caller digests this one.
        next = offset < bytes.byteLength ? readAt(offset) : undefined;
        onChunk?.(bytes.subarray(start, offset), start);
      }
      await this.#confirmUnchanged(handle, key, info);
      return { info, bytes: offset === bytes.byteLength ? bytes : bytes.subarray(0, offset) };
    } catch (error) {
      throw error instanceof StoreError ? error : ioError("read", key, this.url, error);
    } finally {
      // Never close the file under a read still in flight (the caller's callback may have thrown).
      await Promise.resolve(inFlight).catch(() => undefined);
      await handle.close().catch(() => undefined);
    }
  }

  async getStream(key: string, options?: GetStreamOptions): Promise<GetStreamResult> {
    const { handle, info } = await this.#openObject(key, options);
    const url = this.url;
    const confirmUnchanged = () => this.#confirmUnchanged(handle, key, info);
    async function* stream(): AsyncGenerator<Uint8Array> {
      try {
        let position = 0;
        for (;;) {
          throwIfAborted(options?.signal, key);
          const chunk = new Uint8Array(Math.min(READ_CHUNK, Math.max(info.size - position, 1)));
          const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, position);
          if (bytesRead === 0) {
            await confirmUnchanged();
            return;
          }
          position += bytesRead;
          yield bytesRead === chunk.byteLength ? chunk : chunk.subarray(0, bytesRead);
        }
      } catch (error) {
        throw error instanceof StoreError ? error : ioError("read", key, url, error);
      } finally {
        await handle.close().catch(() => undefined);
      }
    }
    return { info, stream: stream() };
  }

  /**
   * Fails a read whose file changed since it was opened: a delete that kept the file (see
   * {@link FsStoreOptions.recycleBytes}) and a put overwriting it. The object was deleted during
   * the read, so the reader learns it is gone, as one that opened the key a moment later would.
   */
  async #confirmUnchanged(handle: FsFileHandle, key: string, opened: ObjectInfo): Promise<void> {
    const now = await handle.stat({ bigint: true });
    if (versionOf(now) !== opened.version)
      throw new NotFoundError(key, { store: this.url, cause: new Error("deleted while it was read") });
  }

  async head(key: string, options?: CallOptions): Promise<ObjectInfo | undefined> {
    const path = this.#pathOf(key);
    throwIfAborted(options?.signal, key);
    try {
      const stats = await statOrUndefined(this.#fs, path);
      return stats && infoOf(key, stats);
    } catch (error) {
      throw ioError("stat", key, this.url, error);
    }
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    validatePrefix(prefix);
    if (prefix.split("/").some((segment) => segment.startsWith(RESERVED_PREFIX))) return { items: [] };
    const signal = options?.signal;
    throwIfAborted(signal, prefix);
    const limit = Math.max(1, Math.min(options?.limit ?? this.#options.pageSize, this.#options.pageSize));
    const after = options?.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const walk = walkKeys(this.#fs, this.root, prefix, after);
    const keys: string[] = [];
    let more = false;
    try {
      for await (const key of walk) {
        if (keys.length === limit) {
          more = true;
          break;
        }
        keys.push(key);
        if (keys.length % 256 === 0) throwIfAborted(signal, prefix);
      }
      const infos = await mapBounded(keys, this.#options.concurrency, undefined, async (key) => {
        // A key deleted since the folder was read is simply not listed.
        const stats = await statOrUndefined(this.#fs, join(this.root, ...key.split("/")));
        return stats && infoOf(key, stats);
      });
      throwIfAborted(signal, prefix);
      const items = infos.filter((info): info is ObjectInfo => info !== undefined);
      return more ? { items, cursor: encodeCursor(keys.at(-1)!) } : { items };
    } catch (error) {
      throw error instanceof StoreError ? error : ioError("list", prefix, this.url, error);
    } finally {
      await walk.return(undefined);
    }
  }

  async delete(keys: readonly string[], options?: CallOptions): Promise<void> {
    const paths = new Map<string, string>();
    for (const key of keys) paths.set(key, this.#pathOf(key));
    const signal = options?.signal;
    throwIfAborted(signal);
    await mapBounded([...paths], this.#options.concurrency, signal, async ([key, path]) => {
      throwIfAborted(signal, key);
      try {
        await this.#deleteOne(key, path, signal);
      } catch (error) {
        throw error instanceof StoreError ? error : ioError("delete", key, this.url, error);
      }
    });
  }

  async #deleteOne(key: string, path: string, signal: AbortSignal | undefined): Promise<void> {
    const fs = this.#fs;
    if ((await statOrUndefined(fs, path)) === undefined) return;
    const dir = dirname(path);
    const recycled = await withKeyLock(
      { fs, dir, name: path.slice(dir.length + 1), key, staleMs: this.#options.lockStaleMs, signal },
      async (): Promise<RecycledFile | undefined> => {
        const current = await statOrUndefined(fs, path);
        if (current === undefined) return undefined;
        // Before the unlink: a put that then finds the key free takes an mtime later than this
        // object's without asking for the lock (see versionOf).
        await nextMtimeMs(wholeMs(current), undefined, key);
        const bytes = Number(current.size);
        if (this.#putsLarge && this.#recycled.accepts(bytes)) {
          const kept = join(dir, ownedFileName("tmp"));
          try {
            await fs.rename(path, kept);
            return { path: kept, dir, size: bytes, since: Date.now() };
          } catch {
            // Not renamed: unlinked as usual.
          }
        }
        await fs.unlink(path);
        return undefined;
      },
    );
    // A kept file holds the folder: it is pruned when the file goes.
    if (recycled !== undefined) this.#recycled.add(recycled);
    else await this.#pruneFolders(dir);
  }

  /**
   * Removes what killed writers left under `prefix` and `list` never shows, once older than
   * `olderThan` ms: temp files of puts (`.ckpt-tmp-*`) and lock staging files (`.ckpt-stage-*`),
   * key locks, and folders left empty. A temp file goes only when its writer's process no longer
   * exists on this host, or (a writer on another host) it is older than `lockStaleMs`; a lock only
   * when a put would break it (holder dead on this host, or older than `lockStaleMs`). So a put in
   * flight on this host is never broken, whatever `olderThan` is. Objects are never touched.
   * `bytes` counts the files removed.
   *
   * @example
   * const { count, bytes } = await store.sweep("runs/", { olderThan: 3_600_000 });
   */
  async sweep(prefix: string, options: SweepOptions): Promise<SweepResult> {
    validatePrefix(prefix);
    throwIfAborted(options.signal, prefix);
    try {
      return await sweepFolder(prefix, {
        fs: this.#fs,
        root: this.root,
        staleMs: this.#options.lockStaleMs,
        olderThan: options.olderThan,
        dryRun: options.dryRun === true,
        signal: options.signal,
      });
    } catch (error) {
      throw ioError("sweep", prefix, this.url, error);
    }
  }

  /** Removes folders left empty, up to the root. Best effort: a racing put just makes them again. */
  async #pruneFolders(dir: string): Promise<void> {
    let folder = dir;
    while (folder.length > this.root.length && folder.startsWith(this.root)) {
      try {
        await this.#fs.rmdir(folder);
      } catch {
        return;
      }
      this.#knownFolders.delete(folder);
      folder = dirname(folder);
    }
  }
}
