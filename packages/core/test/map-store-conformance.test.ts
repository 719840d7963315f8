import { describeStoreConformance } from "../src/testing/index.js";
import { MapStore } from "./support/map-store.js";

// Runs the suite against the reference store, so a bug in the suite shows up here first.
describeStoreConformance({ name: "MapStore (reference)", create: async () => new MapStore() });
