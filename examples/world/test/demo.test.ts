import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openStore, readWorld } from "@ckpt/core";
import "@ckpt/store-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorldDemo } from "../src/demo.js";

// Lives that end in SIGKILLs; more with CKPT_WORLD_LIVES (each life is four processes).
const LIVES = Number(process.env.CKPT_WORLD_LIVES ?? 3);
// Rank processes; more with CKPT_WORLD_RANKS.
const RANKS = Number(process.env.CKPT_WORLD_RANKS ?? 4);
// A life starts RANKS processes: allow for it when scaled up.
const TIMEOUT = 60_000 + (LIVES + 1) * RANKS * 3_000;
// Enough steps that every killed life still has steps to run.
const STEPS = Math.max(10, 3 * LIVES);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ckpt-world-demo-test-"));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe("the world demo: 4 rank processes on a folder, SIGKILLed mid-step, restarted as a whole", () => {
  it(
    `every restart of ${LIVES} resumes all ranks at one write count, at least the newest every rank acknowledged, each with its own state`,
    async () => {
      const storeUrl = pathToFileURL(join(work, "store")).href;
      const lines: string[] = [];
      const reports = await runWorldDemo({
        storeUrl,
        lives: LIVES,
        worldSize: RANKS,
        steps: STEPS,
        seed: 7,
        log: (line) => lines.push(line),
      });
      expect(reports).toHaveLength(LIVES + 1);
      expect(reports[0]!.resumed).toHaveLength(RANKS);
      let floor = 0;
      for (const report of reports) {
        expect(new Set(report.resumed).size, lines.join("\n")).toBe(1);
        expect(report.resumed[0], lines.join("\n")).toBeGreaterThanOrEqual(floor);
        expect(report.ownState).toEqual(Array(RANKS).fill(true));
        floor = Math.min(...report.acknowledged);
      }
      expect(lines.at(-1)).toContain(`ran to step ${STEPS}`);
      expect(lines.at(-1)).toMatch(/^life \d+: every rank resumed from writeCount (\d+)(, \1)* \(/);
      const store = await openStore(storeUrl);
      const world = await readWorld({ store, name: "world-demo", worldSize: RANKS });
      expect(world.complete.at(-1)?.writeCount).toBe(STEPS);
      await store.close?.();
    },
    TIMEOUT,
  );
});
