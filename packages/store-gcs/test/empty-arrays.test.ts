import { describeEmptyArrayRestore } from "@ckpt/core/testing";
import { fixtureStore } from "./support/stores.js";

describeEmptyArrayRestore({
  name: "GcsStore (fake Cloud Storage)",
  create: async () => fixtureStore(),
});
