import { describeEmptyArrayRestore } from "@ckpt/core/testing";
import type { S3Store } from "../src/index.js";
import { emptyStore, radosgwStore } from "./support/stores.js";

describeEmptyArrayRestore({
  name: "S3Store on radosgw",
  create: async () => radosgwStore("empty-arrays"),
  destroy: async (store) => emptyStore(store as S3Store),
});
