// Preloaded into a `ckpt` child process by tests: registers the `hold:` scheme, a store that
// forwards to `inner` and, after `after` successful puts, prints HOLDING on stderr and never
// answers again, so the test can SIGKILL the process at exactly that point of a copy.
// URL: hold:?after=5&inner=<url-encoded store URL>
import type { Body, ObjectInfo, PutOptions, Store } from "@ckpt/core";
import { openStore, registerStoreOpener } from "@ckpt/core";

const never = new Promise<never>(() => {});

registerStoreOpener("hold:", async (url) => {
  const after = Number(url.searchParams.get("after"));
  const inner = await openStore(url.searchParams.get("inner")!);
  let puts = 0;
  const held: Store = {
    get url() {
      return `hold:${inner.url}`;
    },
    async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
      if (puts >= after) return never;
      const info = await inner.put(key, body, options);
      puts += 1;
      if (puts === after) {
        process.stderr.write(`HOLDING after ${puts} puts (last: ${key})\n`);
        setInterval(() => {}, 60_000);
        return never;
      }
      return info;
    },
    get: (key, options) => inner.get(key, options),
    getStream: (key, options) => inner.getStream(key, options),
    head: (key, options) => inner.head(key, options),
    list: (prefix, options) => inner.list(prefix, options),
    delete: (keys, options) => inner.delete(keys, options),
  };
  return held;
});
