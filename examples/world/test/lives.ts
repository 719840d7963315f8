import { expect } from "vitest";
import { type LifeReport, runWorldDemo, type WorldDemoOptions } from "../src/demo.js";

// Lives that end in SIGKILLs; more with CKPT_WORLD_LIVES (each life is RANKS processes).
export const LIVES = Number(process.env.CKPT_WORLD_LIVES ?? 3);
// Rank processes; more with CKPT_WORLD_RANKS.
export const RANKS = Number(process.env.CKPT_WORLD_RANKS ?? 4);
// Write boundaries of the job; more with CKPT_WORLD_STEPS. Enough that every killed life still has steps to run.
export const STEPS = Math.max(Number(process.env.CKPT_WORLD_STEPS ?? 10), 3 * LIVES);
// A life starts RANKS processes and runs up to STEPS steps: allow for it when scaled up (a loaded
// 2-core machine starts a rank process in 1-3 s).
export const TIMEOUT = 60_000 + (LIVES + 1) * RANKS * 6_000 + STEPS * RANKS * 200;
// One life may run every step: give it the time a step of every rank takes on a loaded machine.
export const LIFE_TIMEOUT = 120_000 + STEPS * RANKS * 100;

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

/** One line for the record: lives, kills, where every restart resumed. */
export function summarize(reports: readonly LifeReport[], started: number): string {
  const kills = reports.reduce((sum, report) => sum + report.killed.length, 0);
  const inCommit = reports.reduce((sum, report) => sum + report.diedInCommit.length, 0);
  const damaged = reports.filter((report) => report.damaged !== null).length;
  return `${reports.length} lives of ${RANKS} ranks, ${STEPS} steps: ${kills} rank kills (${inCommit} inside a commit), ${damaged} damaged catalogs; resumed at ${reports.map((report) => report.resumed[0]).join(" ")}; ${((performance.now() - started) / 1000).toFixed(0)} s`;
}

/**
 * Runs the demo at the scale of the knobs above on `storeUrl`, checks every life, prints one line
 * for the record (`where`: the store) and returns the reports.
 */
export async function runLives(
  where: string,
  storeUrl: string,
  seed: number,
  options: Partial<WorldDemoOptions> = {},
): Promise<LifeReport[]> {
  const lines: string[] = [];
  const started = performance.now();
  const reports = await runWorldDemo({
    storeUrl,
    lives: LIVES,
    worldSize: RANKS,
    steps: STEPS,
    seed,
    timeoutMs: LIFE_TIMEOUT,
    log: (line) => lines.push(line),
    ...options,
  });
  expect(reports).toHaveLength(LIVES + 1);
  expect(reports[0]!.resumed).toHaveLength(RANKS);
  expectConsistentLives(reports, lines);
  expect(lines.at(-1)).toMatch(/^life \d+: every rank resumed from writeCount (\d+)(, \1)* \(/);
  console.log(`[world demo, ${where}] ${summarize(reports, started)}`);
  return reports;
}
