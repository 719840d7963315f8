import type { Store } from "../../src/store/index.js";
import { ForwardingStore, type StoreCall } from "../../src/testing/index.js";

/** A store wrapper that logs every call (op and key), to count the round trips of a commit. */
export class CountingStore extends ForwardingStore {
  readonly calls: { op: string; key: string }[] = [];

  constructor(inner: Store) {
    super(inner);
  }

  protected override around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    const conditional = call.op === "put" && (call.options?.ifMatch || call.options?.ifNoneMatch);
    this.calls.push({ op: conditional ? "put?" : call.op, key: call.key });
    return run();
  }
}
