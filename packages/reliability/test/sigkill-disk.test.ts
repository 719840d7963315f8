import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FsStore } from "@ckpt/store-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild } from "./support/children.js";
import { runKillLoop } from "./support/kill-loop.js";

const KILLS = Number(process.env.CKPT_RELIABILITY_DISK_KILLS ?? 200);

describe("SIGKILL loop on the real disk (FsStore, file://)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ckpt-reliability-kill-"));
    await bundleChild("committer");
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it(`a committer killed ${KILLS} times loses no acknowledged row and leaves nothing unreferenced`, async () => {
    const figures = await runKillLoop({
      url: pathToFileURL(root).href,
      store: new FsStore({ root }),
      folder: root,
      name: "crash-disk",
      kills: KILLS,
      maxDelayMs: 250,
    });
    console.log(`[reliability] sigkill disk ${JSON.stringify(figures)}`);
    expect(figures.acknowledged).toBeGreaterThan(0);
  }, 900_000);
});
