import { describeReadOnlyReads } from "@ckpt/core/testing";
import { fixtureStore } from "./support/stores.js";

describeReadOnlyReads({ name: "GcsStore on the fixture", create: () => fixtureStore() });
