import { describeCommitProtocolFaults } from "../src/testing/index.js";
import { MemoryStore } from "./support/memory-store.js";

// Core's own run of the fault suite, on the Map-backed test store; the store packages run it
// on FsStore (disk and memfs), S3Store and GcsStore.
describeCommitProtocolFaults({
  name: "MemoryStore (core test support)",
  create: async () => new MemoryStore(),
});
