import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openStore, readWorld } from "@ckpt/core";
import "@ckpt/store-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorldDemo } from "../src/demo.js";
import { expectConsistentLives, LIVES, RANKS, STEPS, TIMEOUT } from "./lives.js";

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
      expectConsistentLives(reports, lines);
      expect(lines.at(-1)).toMatch(/^life \d+: every rank resumed from writeCount (\d+)(, \1)* \(/);
      const store = await openStore(storeUrl);
      const world = await readWorld({ store, name: "world-demo", worldSize: RANKS });
      expect(world.complete.at(-1)?.writeCount).toBe(STEPS);
      await store.close?.();
    },
    TIMEOUT,
  );
});
