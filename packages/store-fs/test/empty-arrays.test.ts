import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeEmptyArrayRestore } from "@ckpt/core/testing";
import { afterAll } from "vitest";
import { FsStore } from "../src/index.js";

const base = await mkdtemp(join(tmpdir(), "ckpt-fs-empty-arrays-"));
afterAll(() => rm(base, { recursive: true, force: true }));

let disk = 0;
describeEmptyArrayRestore({
  name: "FsStore on disk",
  create: async () => new FsStore({ root: join(base, `store-${++disk}`) }),
});

let memory = 0;
describeEmptyArrayRestore({
  name: "FsStore on memfs",
  create: async () => FsStore.fromUrl(`memory://empty-arrays-${++memory}`),
});
