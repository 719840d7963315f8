import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsStore } from "@ckpt/store-fs";
import { afterAll } from "vitest";
import { describeCommitProtocolFaults } from "../src/testing/index.js";
import { MemoryStore } from "./support/memory-store.js";

// Core's own runs of the fault suite: on the Map-backed test store and on FsStore (a
// devDependency) over memfs and on disk. The S3 and GCS packages run it on their servers.
describeCommitProtocolFaults({
  name: "MemoryStore (core test support)",
  create: async () => new MemoryStore(),
});

let volume = 0;
describeCommitProtocolFaults({
  name: "FsStore on memfs",
  create: async () => FsStore.fromUrl(`memory://commit-faults-${++volume}`),
});

const base = await mkdtemp(join(tmpdir(), "ckpt-commit-faults-"));
afterAll(() => rm(base, { recursive: true, force: true }));
let folder = 0;
describeCommitProtocolFaults({
  name: "FsStore on disk",
  create: async () => new FsStore({ root: join(base, `store-${++folder}`) }),
});
