import { describeCommitProtocolFaults } from "@ckpt/core/testing";
import type { S3Store } from "../src/index.js";
import { emptyStore, radosgwStore } from "./support/stores.js";

// The commit protocol with a fault injected at every store call, against radosgw through the
// real SDK: the catalog is always exactly the old rows or the new ones.
describeCommitProtocolFaults({
  name: "S3Store on radosgw",
  create: async () => radosgwStore("commit-faults"),
  destroy: async (store) => emptyStore(store as S3Store),
});
