import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeEmptyArrayRestore, describeStoreConformance } from "@ckpt/core/testing";
import { afterAll } from "vitest";
import { FsStore } from "../src/index.js";

// The conformance suite and empty arrays on disk with fsync off (durable: false).
const base = await mkdtemp(join(tmpdir(), "ckpt-fs-no-fsync-"));
afterAll(() => rm(base, { recursive: true, force: true }));

let count = 0;
describeStoreConformance({
  name: "FsStore on disk, durable: false",
  create: async () => FsStore.fromUrl(`${pathToFileURL(join(base, `store-${++count}`)).href}?durable=false`),
});

describeEmptyArrayRestore({
  name: "FsStore on disk, durable: false",
  create: async () => new FsStore({ root: join(base, `empty-${++count}`), durable: false }),
});
