/**
 * Concurrent writers: 8 processes × 100 commits on one checkpoint on the real disk, while a
 * reader process restores continuously. Different labels (append mode, every row kept): no row
 * is lost. Same labels (overwrite mode): the surviving row is one writer's last commit, whole.
 * The reader never sees a row it cannot restore whole.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Checkpoint } from "@ckpt/core";
import { FsStore } from "@ckpt/store-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild } from "./support/children.js";
import { runRace } from "./support/race.js";
import { gcLeavesOnlyReferenced } from "./support/row-check.js";
import { fieldProblem, initialSmallField, SmallField } from "./support/workload.js";

const WRITERS = 8;
const COMMITS = Number(process.env.CKPT_RELIABILITY_RACE_COMMITS ?? 100);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ckpt-reliability-race-"));
  await Promise.all([bundleChild("racer"), bundleChild("reader")]);
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Restores every row and checks it whole; returns the rows. */
async function restoreAll(checkpoint: Checkpoint) {
  const rows = await checkpoint.catalog();
  for (const [index, entry] of rows.entries()) {
    await checkpoint.verify(entry);
    const value = (await checkpoint.select(index)).bind(SmallField, initialSmallField()).value;
    expect(fieldProblem(value, entry.writeCount, true), entry.commitId).toBeUndefined();
    expect(value.writer).toBe(entry.row.metadata.writer);
  }
  return rows;
}

describe(`${WRITERS} writer processes × ${COMMITS} commits on one checkpoint on disk, a reader restoring meanwhile`, () => {
  // Async writers scribble over their state after each write and acknowledge it once drained.
  it.each([
    { how: "sync", async: false },
    { how: "async", async: true },
  ])(
    "different labels (append), $how commits: no row lost",
    async ({ how, async }) => {
      const name = `race-labels-${how}`;
      const result = await runRace({
        url: pathToFileURL(root).href,
        name,
        writers: WRITERS,
        commits: COMMITS,
        mode: "append",
        labels: (writer) => ({ writer }),
        async,
      });
      const store = new FsStore({ root });
      const checkpoint = new Checkpoint(name, { store, mode: "append", warn: () => {} });
      const rows = await restoreAll(checkpoint);
      expect(rows).toHaveLength(WRITERS * COMMITS);
      expect(new Set(rows.map((row) => row.commitId))).toEqual(new Set(result.acked.flat()));
      for (let writer = 0; writer < WRITERS; writer++)
        expect(rows.filter((row) => row.labels.writer === writer).map((row) => row.writeCount)).toEqual(
          Array.from({ length: COMMITS }, (_, i) => i + 1),
        );
      expect((await gcLeavesOnlyReferenced(checkpoint, store)).removed).toBe(0);
      expect(result.reader.restored).toBeGreaterThan(0);
      expect(result.reader.excused).toBe(0);
      console.log(
        `[reliability] race different labels ${how} ${JSON.stringify({ rows: rows.length, ...result.reader, seconds: result.seconds })}`,
      );
    },
    600_000,
  );

  it("same labels (overwrite): the survivor is one writer's last commit, whole", async () => {
    const name = "race-same";
    const result = await runRace({
      url: pathToFileURL(root).href,
      name,
      writers: WRITERS,
      commits: COMMITS,
      mode: "overwrite",
      labels: () => ({ member: 1 }),
    });
    const store = new FsStore({ root });
    const checkpoint = new Checkpoint(name, { store, mode: "overwrite", warn: () => {} });
    const rows = await restoreAll(checkpoint);
    expect(rows).toHaveLength(1);
    const lastCommits = result.acked.map((acked) => acked.at(-1));
    expect(lastCommits).toContain(rows[0]!.commitId);
    expect(rows[0]!.writeCount).toBe(COMMITS);
    await gcLeavesOnlyReferenced(checkpoint, store);
    expect(result.reader.restored).toBeGreaterThan(0);
    console.log(
      `[reliability] race same labels ${JSON.stringify({ rows: rows.length, ...result.reader, seconds: result.seconds })}`,
    );
  }, 600_000);
});
