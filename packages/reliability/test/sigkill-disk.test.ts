import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FsStore } from "@ckpt/store-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild } from "./support/children.js";
import { runKillLoop } from "./support/kill-loop.js";

const KILLS = Number(process.env.CKPT_RELIABILITY_DISK_KILLS ?? 200);

// Async commits run a quarter of the kills: the child acknowledges a row only after drain().
describe.each([
  { how: "sync", async: false, kills: KILLS, claim: "loses no acknowledged row" },
  {
    how: "async",
    async: true,
    kills: Math.max(1, Math.round(KILLS / 4)),
    claim: "loses only undrained commits: every drained row is present and whole",
  },
])("SIGKILL loop on the real disk, $how commits (FsStore, file://)", ({ how, async, kills, claim }) => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-reliability-kill-"));
    await bundleChild("committer");
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it(`a committer killed ${kills} times ${claim}, and leaves nothing unreferenced`, async () => {
    const figures = await runKillLoop({
      url: pathToFileURL(root).href,
      store: new FsStore({ root }),
      folder: root,
      name: `crash-disk-${how}`,
      kills,
      maxDelayMs: 250,
      async,
    });
    console.log(`[reliability] sigkill disk ${how} ${JSON.stringify(figures)}`);
    expect(figures.acknowledged).toBeGreaterThan(0);
  }, 900_000);
});
