import { expect } from "vitest";
import type { LifeReport } from "../src/demo.js";

// Lives that end in SIGKILLs; more with CKPT_WORLD_LIVES (each life is RANKS processes).
export const LIVES = Number(process.env.CKPT_WORLD_LIVES ?? 3);
// Rank processes; more with CKPT_WORLD_RANKS.
export const RANKS = Number(process.env.CKPT_WORLD_RANKS ?? 4);
// A life starts RANKS processes: allow for it when scaled up.
export const TIMEOUT = 60_000 + (LIVES + 1) * RANKS * 3_000;
// Enough steps that every killed life still has steps to run.
export const STEPS = Math.max(10, 3 * LIVES);

/**
 * Every life resumed all ranks at one write count, at least the newest step every rank had
 * acknowledged before the previous life died, each rank with its own state; the last ran to the end.
 */
export function expectConsistentLives(reports: readonly LifeReport[], lines: readonly string[]): void {
  let floor = 0;
  for (const report of reports) {
    expect(new Set(report.resumed).size, lines.join("\n")).toBe(1);
    expect(report.resumed[0], lines.join("\n")).toBeGreaterThanOrEqual(floor);
    expect(report.ownState).toEqual(Array(RANKS).fill(true));
    floor = Math.min(...report.acknowledged);
  }
  expect(lines.at(-1)).toContain(`ran to step ${STEPS}`);
}
