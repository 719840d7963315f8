import { describeWorldRestart } from "@ckpt/core/testing";
import type { S3Store } from "../src/index.js";
import { emptyStore, radosgwStore } from "./support/stores.js";

describeWorldRestart({
  name: "S3Store on radosgw",
  create: async () => radosgwStore("world-restart"),
  destroy: (store) => emptyStore(store as S3Store),
});
