import { createHash, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { sleep, throwIfAborted } from "@ckpt/core";
import type { FsApi } from "./fs-api.js";
import { errorCode } from "./io.js";

/** File names starting with this are the store's own (temp files, locks) and never keys. */
export const RESERVED_PREFIX = ".ckpt-";

/** What a lock file holds, so that another process can judge whether its holder is gone. */
interface LockRecord {
  readonly pid: number;
  readonly host: string;
  /** `Date.now()` when the lock was taken. */
  readonly created: number;
  readonly key: string;
  /** Unique per acquisition: identifies this lock instance when breaking or releasing it. */
  readonly token: string;
}

/** A lock file as found on disk. `record` is missing when the file is empty or partial. */
interface FoundLock {
  readonly record: LockRecord | undefined;
  /** The lock instance: its token, or inode+mtime for an unreadable file. */
  readonly identity: string;
  readonly createdMs: number;
  /** Bytes the lock holds (the record). */
  readonly bytes: number;
}

export interface KeyLockOptions {
  readonly fs: FsApi;
  /** The folder of the key; the lock lives beside the object. */
  readonly dir: string;
  /** The object's file name in `dir`. */
  readonly name: string;
  /** The key, recorded in the lock for people reading it. */
  readonly key: string;
  /** Age after which a lock is stale even if its holder seems alive. */
  readonly staleMs: number;
  readonly signal: AbortSignal | undefined;
}

/** The lock file of an object file name (hashed: a key segment may already be 255 bytes long). */
export function lockFileName(name: string): string {
  return `${RESERVED_PREFIX}lock-${createHash("sha256").update(name).digest("hex").slice(0, 32)}`;
}

/** This host, as temp file names carry it: a short hash, since a host name may be long. */
const HOST_TAG = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);

/**
 * A name for a file only this process writes (`<kind>` is `tmp` for a put's temp file, `stage`
 * for a lock's staging file): `.ckpt-<kind>-<pid>.<host tag>.<random>`, so that `sweep` can tell
 * whether its writer is still alive.
 */
export function ownedFileName(kind: "tmp" | "stage"): string {
  return `${RESERVED_PREFIX}${kind}-${process.pid}.${HOST_TAG}.${randomBytes(8).toString("hex")}`;
}

/**
 * Whether the file named by {@link ownedFileName} may still be written: its process is alive on
 * this host, whatever the file's age (a put may wait on a slow body), or, on another host, the
 * file is younger than `staleMs` (the age rule of {@link isStale} for locks). A name without an
 * owner (an older version's) has none alive.
 */
export function ownerMayWrite(name: string, ageMs: number, staleMs: number): boolean {
  const owner = /^\.ckpt-(?:tmp|stage)-(\d+)\.([0-9a-f]{8})\./.exec(name);
  if (owner === null) return false;
  const pid = Number(owner[1]);
  if (owner[2] === HOST_TAG) return pid === process.pid || isAlive(pid);
  return ageMs <= staleMs;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === "EPERM";
  }
}

/**
 * How a stale lock is recognised. A lock is stale when either
 * - it was taken on THIS host by a process that no longer exists (`kill(pid, 0)` fails with
 *   `ESRCH`): a writer killed mid-put frees its keys at once; or
 * - it is older than `staleMs` (default 30 s), whatever its holder: this covers holders on other
 *   hosts, reused pids and lock files left empty by a crash between create and write.
 * A lock is held only for the check and rename of a put (the data is written and fsynced
 * before), so a live holder keeps it for milliseconds; the age bound only has to exceed the
 * longest pause of a live process inside that window.
 */
function isStale(lock: FoundLock, staleMs: number): boolean {
  const record = lock.record;
  if (
    record !== undefined &&
    record.host === hostname() &&
    record.pid !== process.pid &&
    !isAlive(record.pid)
  )
    return true;
  return Date.now() - lock.createdMs > staleMs;
}

async function readLock(fs: FsApi, path: string): Promise<FoundLock | undefined> {
  if (fs.readlink !== undefined) {
    try {
      const target = await fs.readlink(path);
      const text = typeof target === "string" ? target : Buffer.from(target).toString("utf8");
      const record = parseRecord(text);
      // Written whole in one call, so the time it holds is there, unless it is not ckpt's at all
      // (then it is nobody's lock, and stale).
      const created = createdOf(text);
      return {
        record,
        identity: record?.token ?? `l${text}`,
        createdMs: created ?? 0,
        bytes: Buffer.byteLength(text),
      };
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT") return undefined;
      // EINVAL: a regular file, the lock of a process without symlinks; read it as a file.
      if (code !== "EINVAL") throw error;
    }
  }
  try {
    const [stat, content] = await Promise.all([fs.stat(path, { bigint: true }), fs.readFile(path)]);
    // Empty or partial: its holder is between create and write, or crashed there.
    const record = parseRecord(typeof content === "string" ? content : Buffer.from(content).toString("utf8"));
    const mtimeMs = Number(stat.mtimeNs / 1_000_000n);
    return {
      record,
      identity: record?.token ?? `i${stat.ino}m${stat.mtimeNs}`,
      createdMs: record?.created ?? mtimeMs,
      bytes: Number(stat.size),
    };
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

function createdOf(text: string): number | undefined {
  try {
    const created = JSON.parse(text)?.created;
    return typeof created === "number" ? created : undefined;
  } catch {
    return undefined;
  }
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed?.pid === "number" && typeof parsed?.token === "string") return parsed as LockRecord;
  } catch {
    // Not JSON: no record.
  }
  return undefined;
}

/** Errors of a filesystem or OS that cannot make symlinks (e.g. Windows without the privilege). */
const NO_SYMLINKS = new Set(["EPERM", "ENOSYS", "EOPNOTSUPP", "ENOTSUP"]);

/**
 * Creates `path` holding `content`, failing with `EEXIST` if it exists, so that it appears
 * complete or not at all: a process killed at any point never leaves an empty lock that only the
 * age bound could clear. Where symlinks work the lock is a symlink whose target is the content:
 * one call creates it and one reads it, which keeps a put's trips through the thread pool few.
 * Elsewhere the content is staged in a temp file and hard-linked into place (a killed process
 * may leave a `.ckpt-stage-*` file, which nothing reads and `list` never returns).
 */
async function createExclusive(fs: FsApi, path: string, content: string): Promise<void> {
  if (fs.symlink !== undefined && fs.readlink !== undefined) {
    try {
      await fs.symlink(content, path);
      return;
    } catch (error) {
      if (!NO_SYMLINKS.has(errorCode(error) ?? "")) throw error;
    }
  }
  const stage = join(dirname(path), ownedFileName("stage"));
  const handle = await fs.open(stage, "wx");
  try {
    await handle.write(Buffer.from(content));
  } finally {
    await handle.close();
  }
  try {
    await fs.link(stage, path);
  } finally {
    await unlinkQuietly(fs, stage);
  }
}

async function unlinkQuietly(fs: FsApi, path: string): Promise<void> {
  await fs.unlink(path).catch(() => undefined);
}

/**
 * Removes a stale lock without racing other breakers. A breaker first creates, exclusively, a
 * break file named after the stale lock's identity: only one process can break a given lock
 * instance, so no breaker can delete a fresh lock taken after the stale one went away. The lock
 * is re-read under the break file and removed only if it is still the same instance. A break
 * file left by a breaker that died is itself removed by the rules of {@link isStale}.
 */
async function breakStaleLock(
  options: Pick<KeyLockOptions, "fs" | "staleMs">,
  lockPath: string,
  stale: FoundLock,
): Promise<void> {
  const { fs, staleMs } = options;
  const breakPath = `${lockPath}.break-${stale.identity}`;
  try {
    const token = randomBytes(12).toString("hex");
    await createExclusive(
      fs,
      breakPath,
      JSON.stringify({ pid: process.pid, host: hostname(), created: Date.now(), key: "", token }),
    );
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error;
    const breaker = await readLock(fs, breakPath).catch(() => undefined);
    if (breaker !== undefined && isStale(breaker, staleMs)) await unlinkQuietly(fs, breakPath);
    return;
  }
  try {
    const current = await readLock(fs, lockPath);
    if (current?.identity === stale.identity) await unlinkQuietly(fs, lockPath);
  } finally {
    await unlinkQuietly(fs, breakPath);
  }
}

/**
 * Runs `critical` holding the per-key lock: a lock beside the object, created exclusively
 * (see {@link createExclusive}: atomic like O_EXCL but never seen half-written), which works
 * across processes on one host (and on memfs within the process). Waits with jittered backoff
 * while a live holder has it, breaks it when stale (see {@link isStale}), and releases it after.
 */
export async function withKeyLock<T>(options: KeyLockOptions, critical: () => Promise<T>): Promise<T> {
  const { fs, dir, name, key, signal } = options;
  const lockPath = join(dir, lockFileName(name));
  const token = randomBytes(12).toString("hex");
  const record: LockRecord = { pid: process.pid, host: hostname(), created: 0, key, token };
  let delay = 1;
  for (;;) {
    throwIfAborted(signal, key);
    try {
      await createExclusive(fs, lockPath, JSON.stringify({ ...record, created: Date.now() }));
      break;
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT") {
        // The folder was pruned by a delete in between: make it again.
        await fs.mkdir(dir, { recursive: true });
        continue;
      }
      if (code !== "EEXIST") throw error;
    }
    const holder = await readLock(fs, lockPath);
    if (holder === undefined) continue;
    if (isStale(holder, options.staleMs)) {
      await breakStaleLock(options, lockPath, holder);
      continue;
    }
    await sleep(delay * (0.5 + Math.random()), signal, key);
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await critical();
  } finally {
    // Only remove our own lock: if it was broken as stale, the file is someone else's now.
    const current = await readLock(fs, lockPath).catch(() => undefined);
    if (current?.identity === token) await unlinkQuietly(fs, lockPath);
  }
}

/** Whether a `.ckpt-` file name is a key lock or a lock breaker's file (see {@link breakStaleLock}). */
export function isLockFileName(name: string): boolean {
  return name.startsWith(`${RESERVED_PREFIX}lock-`);
}

/**
 * Removes the lock (or lock breaker's file) at `path` when the rules of {@link isStale} say its
 * holder is gone and it is older than `olderThan`; a lock of a live holder stays whatever
 * `olderThan` is. A key lock goes through {@link breakStaleLock}, so it never races a writer
 * that takes the key meanwhile. Resolves to the bytes of what was (or, with `dryRun`, would be)
 * removed, or `undefined` when it stays.
 */
export async function sweepLock(
  fs: FsApi,
  path: string,
  options: { readonly staleMs: number; readonly olderThan: number; readonly dryRun: boolean },
): Promise<number | undefined> {
  const found = await readLock(fs, path);
  if (found === undefined || !isStale(found, options.staleMs)) return undefined;
  if (Date.now() - found.createdMs < options.olderThan) return undefined;
  const bytes = found.bytes;
  if (options.dryRun) return bytes;
  if (path.includes(".break-")) {
    await unlinkQuietly(fs, path);
  } else {
    await breakStaleLock({ fs, staleMs: options.staleMs }, path, found);
  }
  const after = await readLock(fs, path).catch(() => undefined);
  return after?.identity === found.identity ? undefined : bytes;
}
