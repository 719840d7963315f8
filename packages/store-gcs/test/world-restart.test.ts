import { describeWorldRestart } from "@ckpt/core/testing";
import { fixtureStore } from "./support/stores.js";

describeWorldRestart({ name: "GcsStore on the fixture", create: () => fixtureStore() });
