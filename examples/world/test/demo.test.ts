import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openStore, readWorld } from "@ckpt/core";
import "@ckpt/store-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorldDemoOptions } from "../src/demo.js";
import { LIVES, RANKS, runLives, STEPS, TIMEOUT } from "./lives.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ckpt-world-demo-test-"));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function lives(name: string, options: Partial<WorldDemoOptions>, seed: number) {
  const storeUrl = pathToFileURL(join(work, name)).href;
  const reports = await runLives(`folder, ${name}`, storeUrl, seed, options);
  const store = await openStore(storeUrl);
  const world = await readWorld({ store, name: "world-demo", worldSize: RANKS, warn: () => {} });
  expect(world.complete.at(-1)?.writeCount).toBe(STEPS);
  await store.close?.();
  return reports;
}

describe(`the world demo: ${RANKS} rank processes on a folder, SIGKILLed mid-step, restarted as a whole`, () => {
  it(
    `every restart of ${LIVES} resumes all ranks at one write count, at least the newest every rank acknowledged, each with its own state`,
    () => lives("plain", {}, 7),
    TIMEOUT,
  );

  it(
    `ranks killed inside their commit (at an object put, at the catalog swap after the manifest): ${LIVES} consistent restarts`,
    async () => {
      const reports = await lives("mid-commit", { midCommit: true }, 21);
      expect(reports.some((report) => report.diedInCommit.length > 0)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    `one rank's catalog.json corrupted or deleted before every restart: ${LIVES} consistent restarts`,
    async () => {
      const reports = await lives("damaged", { damage: true, midCommit: true }, 5);
      expect(reports.slice(1).every((report) => report.damaged !== null)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    `async ranks (a step is acknowledged once durable), killed with commits in flight: ${LIVES} consistent restarts`,
    () => lives("async", { async: true, midCommit: true }, 3),
    TIMEOUT,
  );
});
