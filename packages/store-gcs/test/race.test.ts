// 8 separate Node processes race commits to one checkpoint on the fake Cloud Storage (TEST
// FIXTURE) through GcsStore and the real SDK, 20 rounds (a fresh checkpoint each): the catalog's
// generation compare-and-swap must lose no row, every round.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CatalogClient } from "@ckpt/core";
import { collectOutput } from "@ckpt/test-servers";
import { fixtureStorageOptions, freshBucket } from "@ckpt/test-servers/vitest";
import { describe, expect, inject, it } from "vitest";
import { GcsStore } from "../src/index.js";

const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
const writerScript = fileURLToPath(new URL("./support/race-writer.ts", import.meta.url));
const WRITERS = 8;
const ROUNDS = 20;
const COMMITS = 2;

async function runWriter(bucket: string, writer: string): Promise<{ round: number; commitId: string }[]> {
  const args = [inject("gcsServerUrl"), bucket, writer, String(WRITERS), String(ROUNDS), String(COMMITS)];
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@ckpt/source", writerScript, ...args],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const { code, stdout, stderr } = await collectOutput(child);
  if (code !== 0) throw new Error(`writer ${writer} exited with ${code}: ${stderr}`);
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { round: number; commitId: string });
}

describe(`${WRITERS} processes racing commits to one checkpoint`, () => {
  it(`lose no row, ${ROUNDS} rounds out of ${ROUNDS}`, async () => {
    const bucket = await freshBucket("race");
    const writers = Array.from({ length: WRITERS }, (_, i) => `w${i}`);
    const reported = (await Promise.all(writers.map((writer) => runWriter(bucket, writer)))).flat();
    expect(reported).toHaveLength(WRITERS * ROUNDS * COMMITS);

    const store = new GcsStore({ bucket, prefix: "race", storageOptions: fixtureStorageOptions() });
    let perfectRounds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const catalog = new CatalogClient({
        store,
        checkpoint: `round-${round}`,
        root: `round-${round}`,
        mode: "append",
        historySize: null,
        rank: 0,
        worldSize: 1,
        level: 2,
      });
      const rows = await catalog.rows();
      const expected = reported.filter((r) => r.round === round).map((r) => r.commitId);
      expect(rows.map((row) => row.commitId).sort()).toEqual(expected.sort());
      for (const writer of writers)
        expect(rows.filter((row) => row.labels.writer === writer).map((row) => row.writeCount)).toEqual(
          Array.from({ length: COMMITS }, (_, i) => i + 1),
        );
      await catalog.verify(rows.at(-1)!);
      perfectRounds++;
    }
    expect(perfectRounds).toBe(ROUNDS);
  }, 170_000);
});
