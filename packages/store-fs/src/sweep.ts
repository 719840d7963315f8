import { join } from "node:path";
import { type SweepResult, throwIfAborted } from "@ckpt/core";
import type { FsApi } from "./fs-api.js";
import { errorCode } from "./io.js";
import { isLockFileName, ownerMayWrite, RESERVED_PREFIX, sweepLock } from "./lock.js";

/** What {@link sweepFolder} needs to know. */
export interface FsSweepOptions {
  readonly fs: FsApi;
  readonly root: string;
  readonly staleMs: number;
  readonly olderThan: number;
  readonly dryRun: boolean;
  readonly signal: AbortSignal | undefined;
}

interface Tally {
  count: number;
  bytes: number;
}

/**
 * Removes what killed writers left under `prefix` (a key prefix, as `list` takes it), once older
 * than `olderThan`: temp and lock-staging files (`.ckpt-tmp-*`, `.ckpt-stage-*`) and locks and
 * lock breakers' files whose writer is gone by the rules of `lock.ts` (never one a live process
 * may still write or hold), and folders left empty. Objects are never touched.
 *
 * A folder goes with `rmdir`, which fails on a folder that is not empty, so a put that has made
 * its temp file in it keeps it; a put that finds its folder gone between making it and opening
 * its temp file makes it again (see `FsStore.#createTemp`).
 */
export async function sweepFolder(prefix: string, options: FsSweepOptions): Promise<SweepResult> {
  const cut = prefix.lastIndexOf("/") + 1;
  const tally: Tally = { count: 0, bytes: 0 };
  const folder = join(options.root, ...prefix.slice(0, cut).split("/").filter(Boolean));
  // The folder of a prefix ending in "/" is itself under the prefix; the root never goes.
  const removable = cut > 0 && cut === prefix.length;
  const emptied = await sweepEntries(folder, prefix.slice(cut), options, tally);
  if (removable && emptied.empty) await removeFolder(folder, emptied.changed, options, tally);
  return tally;
}

/**
 * Sweeps the entries of `folder` whose names start with `namePrefix`; `empty`: the folder holds
 * (or, in a dry run, would hold) nothing any more; `changed`: this sweep removed something in it.
 */
async function sweepEntries(
  folder: string,
  namePrefix: string,
  options: FsSweepOptions,
  tally: Tally,
): Promise<{ empty: boolean; changed: boolean }> {
  throwIfAborted(options.signal, folder);
  const { fs } = options;
  let entries: Awaited<ReturnType<FsApi["readdir"]>>;
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return { empty: false, changed: false };
    throw error;
  }
  let kept = 0;
  let changed = false;
  for (const entry of entries) {
    const name = String(entry.name);
    if (!name.startsWith(namePrefix)) {
      kept++;
      continue;
    }
    const path = join(folder, name);
    if (entry.isDirectory()) {
      const below = await sweepEntries(path, "", options, tally);
      if (below.empty && (await removeFolder(path, below.changed, options, tally))) changed = true;
      else kept++;
    } else if (name.startsWith(RESERVED_PREFIX) && (await sweepLeftover(path, name, options, tally))) {
      changed = true;
    } else {
      kept++;
    }
  }
  return { empty: kept === 0, changed };
}

/** Removes one `.ckpt-` file when it is a leftover; whether it went (or would go). */
async function sweepLeftover(
  path: string,
  name: string,
  options: FsSweepOptions,
  tally: Tally,
): Promise<boolean> {
  const { fs, olderThan, dryRun } = options;
  let bytes: number | undefined;
  if (isLockFileName(name)) {
    bytes = await sweepLock(fs, path, options);
  } else {
    const stats = await fs.stat(path, { bigint: true }).catch(() => undefined);
    if (stats === undefined || !stats.isFile()) return false;
    const age = Date.now() - Number(stats.mtimeNs / 1_000_000n);
    if (age < olderThan || ownerMayWrite(name, age, options.staleMs)) return false;
    bytes = Number(stats.size);
    if (!dryRun) {
      try {
        await fs.unlink(path);
      } catch (error) {
        // Renamed into place or removed by its writer meanwhile: not a leftover after all.
        if (errorCode(error) === "ENOENT") return false;
        throw error;
      }
    }
  }
  if (bytes === undefined) return false;
  tally.count++;
  tally.bytes += bytes;
  return true;
}

/**
 * Removes an empty folder that was last changed more than `olderThan` ago, or that this sweep
 * emptied; whether it went (or would go). `rmdir` refuses a folder a writer has put a file in since.
 */
async function removeFolder(
  path: string,
  emptiedNow: boolean,
  options: FsSweepOptions,
  tally: Tally,
): Promise<boolean> {
  const { fs, olderThan, dryRun } = options;
  if (!emptiedNow) {
    const stats = await fs.stat(path, { bigint: true }).catch(() => undefined);
    if (stats === undefined || Date.now() - Number(stats.mtimeNs / 1_000_000n) < olderThan) return false;
  }
  if (!dryRun) {
    try {
      await fs.rmdir(path);
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOENT") return false;
      throw error;
    }
  }
  tally.count++;
  return true;
}
