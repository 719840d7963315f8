import { mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
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
