import { describeStoreConformance } from "@ckpt/core/testing";
import type { S3Store } from "../src/index.js";
import { emptyStore, radosgwStore } from "./support/stores.js";

// The shared suite against Ceph radosgw on 127.0.0.1, through the real SDK. Each store gets a
// unique prefix and is emptied afterwards (memstore keeps every object in RAM).
describeStoreConformance({
  name: "S3Store on radosgw",
  create: async () => radosgwStore("conformance"),
  destroy: async (store) => emptyStore(store as S3Store),
  quirks: {
    // S3's ETag is the MD5 of the bytes: identical bytes keep the version.
    contentHashVersions: true,
    // radosgw answers most racing If-Match losers with HTTP 500 (ECANCELED): an unknown outcome.
    unknownOutcomeLosers: true,
  },
});
