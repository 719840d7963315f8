/**
 * What world restarts cost (DESIGN §6): a rank's commit makes the same store calls at world sizes
 * 4, 16 and 64 (world mode adds none); the first rank's world restart reads each rank's
 * catalog.json once and records the world marker, and every later rank's reads its own catalog and
 * the marker only. In-process ranks with distinct `rank` options on one memfs volume, each
 * through its own call-counting store. Prints the time of a whole world restart (not asserted).
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { bindCheckpointState, Checkpoint, checkpointState, openStore, type Store } from "../src/index.js";
import { CountingStore } from "./support/counting-store.js";
import "@ckpt/store-fs";

const Step = checkpointState("world-cost.Step", z.object({ step: z.number() }));
const WRITES = 5;

async function job(store: Store, rank: number, worldSize: number, writes = WRITES): Promise<string[][]> {
  const counted = new CountingStore(store);
  const checkpoint = new Checkpoint("cost", { store: counted, rank, worldSize, env: {}, cleanup: "await" });
  const perCommit: string[][] = [];
  await checkpoint.run(async (session) => {
    const state = bindCheckpointState(Step, { step: 0 });
    for (let step = session.writeCount + 1; step <= writes; step++) {
      state.value.step = step;
      counted.calls.length = 0;
      await session.write({ step });
      perCommit.push(counted.calls.map((call) => `${call.op} ${call.key.split("/").at(-1)}`));
    }
  });
  return perCommit;
}

describe("world restart cost on memfs", () => {
  const figures: string[] = [];
  it.each([4, 16, 64])(
    "world size %i: per-commit calls do not grow; one scan, then the marker",
    async (worldSize) => {
      const store = await openStore(`memory://world-cost-${process.pid}-${worldSize}`);
      const commits = await Promise.all(
        Array.from({ length: worldSize }, (_, rank) => job(store, rank, worldSize)),
      );
      // Steady state (write 4 on): objects and manifest, the catalog swap, the retired commit's
      // deletes (its manifest first, then its objects no remaining row references).
      for (const perCommit of commits)
        for (const calls of perCommit.slice(3)) {
          expect(calls.slice(0, 3)).toEqual(["put state.json", "put? manifest.json", "put? catalog.json"]);
          expect(calls.slice(3).map((call) => call.split(" ")[0])).toEqual(["delete", "delete"]);
        }

      // Rank 0's restart finds no marker: it reads every rank's catalog once and records the boundary.
      const counted = new CountingStore(store);
      const rank0 = new Checkpoint("cost", { store: counted, rank: 0, worldSize, env: {} });
      expect((await rank0.open()).writeCount).toBe(WRITES);
      const catalogGets = (calls: readonly { op: string; key: string }[]) =>
        calls.filter((call) => call.op === "get" && call.key.endsWith("/catalog.json"));
      expect(
        catalogGets(counted.calls)
          .map((call) => call.key)
          .sort(),
      ).toEqual(
        Array.from(
          { length: worldSize },
          (_, rank) => `cost/rank_${String(rank).padStart(6, "0")}/catalog.json`,
        ),
      );
      const writes = (calls: readonly { op: string; key: string }[]) =>
        calls.filter((call) => call.op.startsWith("put") || call.op === "delete");
      expect(writes(counted.calls)).toEqual([{ op: "put?", key: "cost/world.json" }]);
      const scan = counted.calls.length;

      // Every other rank's restart: its own catalog and the marker, then its own row; no write.
      const other = new CountingStore(store);
      const last = new Checkpoint("cost", { store: other, rank: worldSize - 1, worldSize, env: {} });
      expect((await last.open()).writeCount).toBe(WRITES);
      const json = other.calls.filter((call) => call.key.endsWith(".json")).map((call) => call.key);
      // The catalog and the marker are read side by side.
      expect(json.slice(0, 2).sort()).toEqual([
        `cost/rank_${String(worldSize - 1).padStart(6, "0")}/catalog.json`,
        "cost/world.json",
      ]);
      expect(json.slice(2)).toEqual([
        expect.stringMatching(/manifest\.json$/),
        expect.stringMatching(/state\.json$/),
      ]);
      expect(writes(other.calls)).toEqual([]);

      // The whole world restarting at once, after more steps (the marker is stale again).
      await Promise.all(
        Array.from({ length: worldSize }, (_, rank) => job(store, rank, worldSize, WRITES + 2)),
      );
      const together = new CountingStore(store);
      const started = performance.now();
      const sessions = await Promise.all(
        Array.from({ length: worldSize }, (_, rank) =>
          new Checkpoint("cost", { store: together, rank, worldSize, env: {} }).open(),
        ),
      );
      const elapsed = performance.now() - started;
      expect(new Set(sessions.map((opened) => opened.writeCount))).toEqual(new Set([WRITES + 2]));
      figures.push(
        `world ${worldSize}: ${commits[0]![2]!.length} store calls per rank commit; rank 0's restart (scan): ${scan} calls; another rank's: ${other.calls.length} calls; whole world at once: ${catalogGets(together.calls).length} catalog reads, ${together.calls.filter((call) => call.key.endsWith("world.json")).length} marker calls, ${elapsed.toFixed(0)} ms`,
      );
      if (worldSize === 64) console.log(`[world-cost] memfs\n${figures.join("\n")}`);
    },
  );
});
