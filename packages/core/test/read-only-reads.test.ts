import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { openStore } from "../src/index.js";
import { describeReadOnlyReads } from "../src/testing/index.js";
import "@ckpt/store-fs";

let dir: string;
let count = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-read-only-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describeReadOnlyReads({
  name: "memfs",
  create: () => openStore(`memory://read-only-${process.pid}-${count++}`),
});
describeReadOnlyReads({
  name: "a folder",
  create: () => openStore(pathToFileURL(join(dir, `store-${count++}`)).href),
});
