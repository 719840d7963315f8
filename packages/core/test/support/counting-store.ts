import type { Store } from "../../src/store/index.js";

/** A store wrapper that logs every call (op and key), to count the round trips of a commit. */
export class CountingStore implements Store {
  readonly calls: { op: string; key: string }[] = [];
  constructor(readonly inner: Store) {}

  get url(): string {
    return this.inner.url;
  }

  put: Store["put"] = (key, body, options) => {
    this.calls.push({ op: options?.ifMatch || options?.ifNoneMatch ? "put?" : "put", key });
    return this.inner.put(key, body, options);
  };
  get: Store["get"] = (key, options) => {
    this.calls.push({ op: "get", key });
    return this.inner.get(key, options);
  };
  getStream: Store["getStream"] = (key, options) => {
    this.calls.push({ op: "getStream", key });
    return this.inner.getStream(key, options);
  };
  head: Store["head"] = (key, options) => {
    this.calls.push({ op: "head", key });
    return this.inner.head(key, options);
  };
  list: Store["list"] = (prefix, options) => {
    this.calls.push({ op: "list", key: prefix });
    return this.inner.list(prefix, options);
  };
  delete: Store["delete"] = (keys, options) => {
    this.calls.push({ op: "delete", key: keys.join(",") });
    return this.inner.delete(keys, options);
  };
}
