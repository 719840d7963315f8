import { mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Checkpoint, openStore } from "@ckpt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRows } from "./support/fixtures.js";
import { runCli, storeFsPresent } from "./support/run-cli.js";
import { copyCommit } from "./support/store-helpers.js";
import { describeCliCommands } from "./support/suite.js";

let root: string;
let count = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ckpt-cli-"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeCliCommands({
  name: "a folder",
  skip: !storeFsPresent,
  fresh: async (label) => pathToFileURL(join(root, `${label}-${++count}`)).href,
});

async function setTreeTime(dir: string, time: Date): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await setTreeTime(path, time);
    else await utimes(path, time, time);
  }
}

describe.skipIf(!storeFsPresent)("ckpt on a folder, by plain path (needs @ckpt/store-fs)", () => {
  it("gc removes an unreferenced commit once it is older than the grace period", async () => {
    const dir = join(root, "gc-age");
    await writeRows(pathToFileURL(dir).href, "alpha", 1);
    const commits = join(dir, "alpha", "commits");
    const [kept] = await readdir(commits);
    const orphan = "commit_00000009_bbbbbbbbbbbb";
    await copyCommit(pathToFileURL(dir).href, "alpha", kept!, orphan);
    await setTreeTime(join(commits, orphan), new Date(Date.now() - 2 * 3_600_000));

    const run = await runCli(["gc", dir, "alpha", "--older-than", "1h"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`removed alpha/commits/${orphan}`);
    expect(run.stdout).toMatch(/removed 1 unreferenced commit folder\(s\), .* older than 1h/);
    expect(await readdir(commits)).toEqual([kept]);
  });
});

describe.skipIf(!storeFsPresent)("ckpt on a ranked checkpoint (needs @ckpt/store-fs)", () => {
  it("lists, shows, verifies and copies every rank", async () => {
    const url = pathToFileURL(join(root, "ranked")).href;
    await writeRows(url, "multi", 2, { rank: 0, worldSize: 2 });
    await writeRows(url, "multi", 1, { rank: 1, worldSize: 2 });
    const listing = await runCli(["ls", url]);
    expect(listing.code, listing.stderr).toBe(0);
    expect(listing.stdout).toMatch(/^multi\s+2\s+3\s/m);
    const tables = await runCli(["ls", url, "multi"]);
    expect(tables.code, tables.stderr).toBe(0);
    expect(tables.stdout).toContain(`location: ${url}/multi/rank_000000`);
    expect(tables.stdout).toContain("rank: 1/2");
    // The boundaries each rank holds, and the newest every rank holds: where a world restart resumes.
    expect(tables.stdout).toContain(
      "world of 2 ranks: newest boundary complete on every rank: writeCount 1\n",
    );
    expect(tables.stdout).toContain("  rank 0: write counts 1, 2\n  rank 1: write counts 1");
    expect(tables.stdout).toContain("world marker (the last restart that read every catalog): none\n");
    const json = JSON.parse((await runCli(["ls", url, "multi", "--json"])).stdout);
    expect(json.world).toMatchObject({
      worldSize: 2,
      ranks: [
        { rank: 0, writeCounts: [1, 2] },
        { rank: 1, writeCounts: [1] },
      ],
      newest: { labels: {}, writeCount: 1 },
    });
    const show = await runCli(["show", url, "multi", "--rank", "1"]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("multi/rank_000001");
    expect(show.stdout).toContain("world of 2 ranks: newest boundary complete on every rank: writeCount 1");
    const verify = await runCli(["verify", url, "multi", "--all"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain("verified 3 row(s)");
    const copy = pathToFileURL(join(root, "ranked-copy")).href;
    const cp = await runCli(["cp", url, copy]);
    expect(cp.code, cp.stderr).toBe(0);
    expect(cp.stdout).toContain("copied multi/rank_000000: 2 row(s)");
    expect(cp.stdout).toContain("copied multi/rank_000001: 1 row(s)");
    expect((await runCli(["verify", copy, "multi", "--all"])).code).toBe(0);
    expect((await runCli(["show", url, "multi", "--rank", "5"])).code).toBe(4);
    // A world restart reads every catalog and records the boundary in the world marker.
    const store = await openStore(url);
    await new Checkpoint("multi", { store, rank: 0, worldSize: 2, env: {}, warn: () => {} }).open();
    await store.close?.();
    const marked = await runCli(["ls", url, "multi"]);
    expect(marked.stdout).toContain(
      "world marker (the last restart that read every catalog): writeCount 1\n",
    );
    const shown = JSON.parse((await runCli(["show", url, "multi", "--rank", "1", "--json"])).stdout);
    expect(shown.world.marked).toEqual([{ selection: null, labels: {}, writeCount: 1 }]);
  });
});
