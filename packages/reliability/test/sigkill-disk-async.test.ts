import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FsStore } from "@ckpt/store-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild } from "./support/children.js";
import { runKillLoop } from "./support/kill-loop.js";

// Scaled by the same variable as the sync loop, at a quarter of its kills.
const KILLS = Math.max(1, Math.round(Number(process.env.CKPT_RELIABILITY_DISK_KILLS ?? 200) / 4));

describe("SIGKILL loop on the real disk with async commits (FsStore, file://)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-reliability-kill-async-"));
    await bundleChild("committer");
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it(`a committer killed ${KILLS} times loses only undrained commits; every drained row is present and whole`, async () => {
    const figures = await runKillLoop({
      url: pathToFileURL(root).href,
      store: new FsStore({ root }),
      name: "crash-disk-async",
      kills: KILLS,
      maxDelayMs: 250,
      async: true,
    });
    console.log(`[reliability] sigkill disk async ${JSON.stringify(figures)}`);
    expect(figures.acknowledged).toBeGreaterThan(0);
  }, 900_000);
});
