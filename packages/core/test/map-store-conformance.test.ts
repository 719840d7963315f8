import { describeStoreConformance } from "../src/testing/index.js";
import { MapStore } from "./support/map-store.js";

// Runs the suite against the reference store, so a bug in the suite shows up here first. It ignores
// onChunk, as a third-party store may: readers then digest after the read.
describeStoreConformance({
  name: "MapStore (reference)",
  create: async () => new MapStore(),
  skip: { chunkCallback: true, sweep: true },
});
