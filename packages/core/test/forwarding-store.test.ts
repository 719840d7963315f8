import "@ckpt/store-fs";
import { describe, expect, it } from "vitest";
import { openStore, type Store, type SweepOptions, type SweepResult } from "../src/index.js";
import { ForwardingStore, type StoreCall } from "../src/testing/index.js";
import { MapStore } from "./support/map-store.js";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Logs every call the hook sees, with the key and whether a signal came along. */
class LoggingStore extends ForwardingStore {
  readonly seen: string[] = [];
  protected override around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    const keys = call.op === "delete" ? ` [${call.keys.length}]` : "";
    this.seen.push(`${call.op} ${call.key}${keys}${call.options?.signal ? " signal" : ""}`);
    return run();
  }
}

describe("ForwardingStore", () => {
  it("passes every call through its one hook to the inner store, with key, keys and options", async () => {
    const inner = new MapStore();
    const store = new LoggingStore(inner);
    const signal = new AbortController().signal;
    const info = await store.put("a/b", bytes("x"), { signal });
    expect((await store.get("a/b")).bytes).toEqual(bytes("x"));
    const streamed = await store.getStream("a/b");
    for await (const _ of streamed.stream);
    expect(await store.head("a/b")).toEqual(info);
    expect((await store.list("a/")).items.map((item) => item.key)).toEqual(["a/b"]);
    await store.delete(["a/b", "c"]);
    expect(await inner.head("a/b")).toBeUndefined();
    expect(store.seen).toEqual([
      "put a/b signal",
      "get a/b",
      "getStream a/b",
      "head a/b",
      "list a/",
      "delete a/b,c [2]",
    ]);
    expect(store.url).toBe(inner.url);
    expect(store.inner).toBe(inner);
  });

  it("has sweep only when the inner store has one, and sends it through the hook", async () => {
    expect(new LoggingStore(new MapStore()).sweep).toBeUndefined();
    expect("sweep" in new LoggingStore(new MapStore())).toBe(false);
    class SweepingMapStore extends MapStore {
      readonly sweeps: [string, SweepOptions][] = [];
      async sweep(prefix: string, options: SweepOptions): Promise<SweepResult> {
        this.sweeps.push([prefix, options]);
        return { count: 2, bytes: 10 };
      }
    }
    const inner = new SweepingMapStore();
    const store = new LoggingStore(inner);
    expect(await store.sweep!("run/", { olderThan: 5, dryRun: true })).toEqual({ count: 2, bytes: 10 });
    expect(inner.sweeps).toEqual([["run/", { olderThan: 5, dryRun: true }]]);
    expect(store.seen).toEqual(["sweep run/"]);
  });

  it("has prepare only when the inner store has one and put is not replaced; its publish goes through the hook as a put", async () => {
    expect(new LoggingStore(new MapStore()).prepare).toBeUndefined();
    const inner = await openStore(`memory://forwarding-prepare-${process.pid}`);
    const store = new LoggingStore(inner);
    const prepared = await store.prepare!("a/m", bytes("m"), { ifNoneMatch: "*" });
    expect(store.seen).toEqual([]);
    expect(await inner.head("a/m")).toBeUndefined();
    await prepared.publish();
    expect(store.seen).toEqual(["put a/m"]);
    expect((await inner.get("a/m")).bytes).toEqual(bytes("m"));
    class OwnPut extends LoggingStore {
      override async put(...args: Parameters<Store["put"]>) {
        return super.put(...args);
      }
    }
    expect(new OwnPut(inner).prepare).toBeUndefined();
    const replaced = Object.assign(new LoggingStore(inner), { put: inner.put.bind(inner) });
    expect(replaced.prepare).toBeUndefined();
  });

  it("lets a subclass hold or change one kind of call and forward the rest", async () => {
    class ReadOnly extends ForwardingStore {
      protected override around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
        if (call.op === "put" || call.op === "delete") throw new Error(`read-only: ${call.op} ${call.key}`);
        return run();
      }
    }
    const inner: Store = await openStore("memory://forwarding-read-only");
    await inner.put("k", bytes("kept"));
    const store = new ReadOnly(inner);
    await expect(store.put("k", bytes("new"))).rejects.toThrow("read-only: put k");
    await expect(store.delete(["k"])).rejects.toThrow("read-only: delete k");
    expect((await store.get("k")).bytes).toEqual(bytes("kept"));
    await store.close();
  });
});
