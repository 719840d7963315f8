import type { Store } from "../../src/store/index.js";
import { ForwardingStore } from "../../src/testing/index.js";

/** A store that forwards to `inner` except for the calls given. */
export function overriding(inner: Store, overrides: Partial<Store>): Store {
  return Object.assign(new ForwardingStore(inner), overrides);
}
