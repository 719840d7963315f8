/**
 * The SIGKILL loop: start a committer child (test/children/committer.ts) on a checkpoint, kill it
 * with SIGKILL at a random moment, check the checkpoint, repeat. Most kills land a random time
 * after the child said `ready` (so they hit every phase of a commit: object puts, the manifest,
 * the catalog swap, the clean-up of the retired commit); one in eight lands during start-up
 * (opening the store, reading the catalog, restoring the state).
 */
import { Checkpoint, type Store } from "@ckpt/core";
import { expect } from "vitest";
import { exited, onLines, startChild } from "./children.js";
import { seededRandom } from "./random.js";
import { checkEveryRow, gcLeavesOnlyReferenced } from "./row-check.js";

export interface KillLoopOptions {
  /** The store URL the child opens (credentials, if any, come from `env`). */
  readonly url: string;
  /** The same location, opened in this process, for the checks. */
  readonly store: Store;
  readonly name: string;
  readonly kills: number;
  /** Upper bound of the random delay after `ready`, in ms (about three commits). */
  readonly maxDelayMs: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Async commits in the child (acknowledged when drained, every third write). Default false. */
  readonly async?: boolean;
  /** The store's folder on disk, when it has one: then the disk itself is checked after gc. */
  readonly folder?: string;
}

/** The figures of one loop, for RELIABILITY.md. */
export interface KillLoopFigures {
  readonly kills: number;
  /** Rows verified and restored, summed over every check. */
  readonly rowsChecked: number;
  /** Commits the children acknowledged. */
  readonly acknowledged: number;
  /** Commits in the catalog at the end (the write count of the last row). */
  readonly lastWriteCount: number;
  /** Kills that landed before the child was ready. */
  readonly earlyKills: number;
  /** Unreferenced commit folders gc removed (commits cut off by a kill after their manifest). */
  readonly gcRemoved: number;
  /** Leftovers gc's sweep removed (temp files, locks, empty folders, incomplete uploads) and their bytes. */
  readonly gcLeftovers: number;
  readonly gcLeftoverBytes: number;
  /** Mean time from spawn to `ready` (children that got there), and of the checks after a kill. */
  readonly meanStartupMs: number;
  readonly meanCheckMs: number;
  readonly seconds: number;
  readonly seed: number;
}

export async function runKillLoop(options: KillLoopOptions): Promise<KillLoopFigures> {
  const random = seededRandom();
  const started = performance.now();
  const warnings: string[] = [];
  const checker = new Checkpoint(options.name, {
    store: options.store,
    mode: "append",
    historySize: 4,
    warn: (message) => warnings.push(message),
  });
  const verified = new Set<string>();
  let lastAcked: { n: number; commitId: string } | undefined;
  let latestSeen = 0;
  let rowsChecked = 0;
  let acknowledged = 0;
  let earlyKills = 0;
  let gcRemoved = 0;
  let gcLeftovers = 0;
  let gcLeftoverBytes = 0;
  let startupMs = 0;
  let checkMs = 0;
  for (let kill = 1; kill <= options.kills; kill++) {
    const where = `kill ${kill}/${options.kills} (seed ${random.seed})`;
    const spawnedAt = performance.now();
    const child = await startChild(
      "committer",
      [options.url, options.name, ...(options.async === true ? ["async"] : [])],
      options.env,
    );
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    let ready: () => void = () => {};
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const bad: string[] = [];
    let childAcked = 0;
    onLines(child, (line) => {
      const [word, n, commitId] = line.split(" ");
      if (word === "ready") {
        startupMs += performance.now() - spawnedAt;
        ready();
      } else if (word === "ack") {
        acknowledged++;
        lastAcked = { n: Number(n), commitId: commitId! };
        childAcked = Number(n);
      } else if (word === "bad") bad.push(line);
    });
    const early = random.next() < 1 / 8;
    if (early) {
      await new Promise((resolve) => setTimeout(resolve, random.int(0, 400)));
      if (child.exitCode === null) earlyKills++;
    } else {
      await Promise.race([isReady, exited(child)]);
      await new Promise((resolve) => setTimeout(resolve, random.int(0, options.maxDelayMs)));
    }
    child.kill("SIGKILL");
    await closed;
    expect(bad, where).toEqual([]);
    expect(child.signalCode, `${where}: the child died on its own (exit code ${child.exitCode})`).toBe(
      "SIGKILL",
    );

    const checkedAt = performance.now();
    const rows = await checkEveryRow(checker, verified);
    rowsChecked += rows.length;
    const counts = rows.map((row) => row.writeCount);
    expect(rows.length, where).toBeLessThanOrEqual(4);
    for (let i = 1; i < counts.length; i++)
      expect(counts[i]!, `${where}: ${counts}`).toBeGreaterThan(counts[i - 1]!);
    const latest = counts.at(-1) ?? 0;
    expect(latest, `${where}: the newest row went backwards`).toBeGreaterThanOrEqual(latestSeen);
    // Sync: one write is in flight at a time, so at most one commit landed unacknowledged. Async:
    // the writes since the last drain (at most three) may have landed undrained.
    expect(latest, `${where}: a row appeared that no write made`).toBeLessThanOrEqual(
      Math.max(latestSeen, childAcked) + (options.async === true ? 3 : 1),
    );
    latestSeen = latest;
    // The child keeps 4 rows (append, historySize 4): the acknowledged row may be retired only by
    // 4 newer ones, which lives killed before they acknowledged can add (async: several a life).
    const newer = lastAcked === undefined ? 0 : counts.filter((count) => count > lastAcked!.n).length;
    if (lastAcked !== undefined && newer < 4) {
      expect(
        rows.map((row) => row.commitId),
        `${where}: the last acknowledged commit is missing`,
      ).toContain(lastAcked.commitId);
    }
    const gc = await gcLeavesOnlyReferenced(checker, options.store, options.folder);
    gcRemoved += gc.removed;
    gcLeftovers += gc.leftovers;
    gcLeftoverBytes += gc.leftoverBytes;
    checkMs += performance.now() - checkedAt;
  }
  // Warnings are allowed (e.g. a rebuilt catalog), but never one about a damaged row.
  expect(warnings.filter((message) => /verif|damaged/i.test(message))).toEqual([]);
  return {
    kills: options.kills,
    rowsChecked,
    acknowledged,
    lastWriteCount: latestSeen,
    earlyKills,
    gcRemoved,
    gcLeftovers,
    gcLeftoverBytes,
    meanStartupMs: Math.round(startupMs / (options.kills - earlyKills)),
    meanCheckMs: Math.round(checkMs / options.kills),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    seed: random.seed,
  };
}
