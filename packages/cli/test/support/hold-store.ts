// Preloaded into a `ckpt` child process by tests: registers the `hold:` scheme, a store that
// forwards to `inner` and, after `after` successful puts, prints HOLDING on stderr and never
// answers again, so the test can SIGKILL the process at exactly that point of a copy.
// URL: hold:?after=5&inner=<url-encoded store URL>
import { openStore, registerStoreOpener, type Store } from "@ckpt/core";
import { ForwardingStore, type StoreCall } from "@ckpt/core/testing";

const never = new Promise<never>(() => {});

class HoldingStore extends ForwardingStore {
  #puts = 0;

  constructor(
    inner: Store,
    readonly after: number,
  ) {
    super(inner);
  }

  override get url(): string {
    return `hold:${this.inner.url}`;
  }

  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (call.op !== "put") return run();
    if (this.#puts >= this.after) return never;
    const info = await run();
    this.#puts += 1;
    if (this.#puts === this.after) {
      process.stderr.write(`HOLDING after ${this.#puts} puts (last: ${call.key})\n`);
      setInterval(() => {}, 60_000);
      return never;
    }
    return info;
  }
}

registerStoreOpener("hold:", async (url) => {
  const inner = await openStore(url.searchParams.get("inner")!);
  return new HoldingStore(inner, Number(url.searchParams.get("after")));
});
