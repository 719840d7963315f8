import { describeReadOnlyReads } from "@ckpt/core/testing";
import type { S3Store } from "../src/index.js";
import { emptyStore, radosgwStore } from "./support/stores.js";

describeReadOnlyReads({
  name: "S3Store on radosgw",
  create: async () => radosgwStore("read-only-reads"),
  destroy: (store) => emptyStore(store as S3Store),
});
