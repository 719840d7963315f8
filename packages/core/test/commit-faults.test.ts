import { FsStore } from "@ckpt/store-fs";
import { describeCommitProtocolFaults } from "../src/testing/index.js";
import { MemoryStore } from "./support/memory-store.js";

// Core's own runs of the fault suite: on the Map-backed test store and on FsStore over memfs
// (a devDependency). The store packages run it on disk, S3 and GCS.
describeCommitProtocolFaults({
  name: "MemoryStore (core test support)",
  create: async () => new MemoryStore(),
});

let volume = 0;
describeCommitProtocolFaults({
  name: "FsStore on memfs",
  create: async () => FsStore.fromUrl(`memory://commit-faults-${++volume}`),
});
