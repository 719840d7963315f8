import { describe, expect, it } from "vitest";
import { NotFoundError, PreconditionFailedError, StoreError, TransientStoreError } from "../src/index.js";
import { FaultyStore } from "../src/testing/index.js";
import { MapStore } from "./support/map-store.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = async (store: FaultyStore, key: string) =>
  Buffer.from((await store.inner.get(key)).bytes).toString();

describe("FaultyStore", () => {
  it("passes calls through and logs them", async () => {
    const store = new FaultyStore(new MapStore());
    await store.put("a/b", bytes("x"));
    await store.head("a/b");
    await store.list("a/");
    await store.delete(["a/b", "c"]);
    expect(store.calls).toEqual([
      { op: "put", key: "a/b" },
      { op: "head", key: "a/b" },
      { op: "list", key: "a/" },
      { op: "delete", key: "a/b,c" },
    ]);
  });

  it('"before" fails the k-th call without effect', async () => {
    const store = new FaultyStore(new MapStore());
    store.inject({ at: 2, kind: "before" });
    await store.put("k1", bytes("1"));
    await expect(store.put("k2", bytes("2"))).rejects.toBeInstanceOf(TransientStoreError);
    await store.put("k3", bytes("3"));
    expect(await store.inner.head("k2")).toBeUndefined();
    expect(store.calls.map((call) => call.fault)).toEqual([undefined, "before", undefined]);
  });

  it('"after" lets the call take effect, then throws TransientStoreError', async () => {
    const store = new FaultyStore(new MapStore());
    store.inject({ at: 1, kind: "after", ops: ["put"] });
    await expect(store.put("k", bytes("written"))).rejects.toBeInstanceOf(TransientStoreError);
    expect(await text(store, "k")).toBe("written");
  });

  it('"lose-response" takes effect and throws E_CONNECTION_LOST, hiding the real outcome', async () => {
    const store = new FaultyStore(new MapStore());
    await store.inner.put("cas", bytes("old"));
    store.inject({ at: 1, kind: "lose-response", ops: ["put"] });
    const error = await store.put("cas", bytes("new"), { ifNoneMatch: "*" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("E_CONNECTION_LOST");
    // The inner call failed its precondition: the caller sees only the lost connection.
    expect((error as StoreError).cause).toBeInstanceOf(PreconditionFailedError);
    expect(await text(store, "cas")).toBe("old");
  });

  it("counts `at` over the listed ops only, and each fault fires once", async () => {
    const store = new FaultyStore(new MapStore());
    store.inject({ at: 2, kind: "before", ops: ["get", "head"] });
    await store.put("k", bytes("1"));
    await store.get("k");
    await store.put("k", bytes("2"));
    await expect(store.head("k")).rejects.toBeInstanceOf(TransientStoreError);
    await store.head("k");
    await store.get("k");
    expect(store.calls.filter((call) => call.fault).map((call) => call.op)).toEqual(["head"]);
  });

  it("reset forgets faults and the log and restarts counting", async () => {
    const store = new FaultyStore(new MapStore());
    store.inject({ at: 1, kind: "before" });
    store.reset();
    await store.put("k", bytes("1"));
    expect(store.calls).toEqual([{ op: "put", key: "k" }]);
    store.reset();
    store.inject({ at: 1, kind: "before", ops: ["get"] });
    await expect(store.get("k")).rejects.toBeInstanceOf(TransientStoreError);
    await expect(store.get("missing")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("random transient failures are reproducible from the seed and have no effect", async () => {
    const run = async () => {
      const store = new FaultyStore(new MapStore(), { transientRate: 0.5, seed: 42, transientOps: ["put"] });
      const outcomes: boolean[] = [];
      for (let i = 0; i < 40; i++)
        outcomes.push(
          await store.put(`k${i}`, bytes("x")).then(
            () => true,
            () => false,
          ),
        );
      for (let i = 0; i < 40; i++) expect((await store.inner.head(`k${i}`)) !== undefined).toBe(outcomes[i]);
      return outcomes;
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(first.filter(Boolean).length).toBeGreaterThan(5);
    expect(first.filter((ok) => !ok).length).toBeGreaterThan(5);
  });

  it("refuses a bad fault or rate", () => {
    const store = new FaultyStore(new MapStore());
    expect(() => store.inject({ at: 0, kind: "before" })).toThrow(/at/);
    expect(() => new FaultyStore(new MapStore(), { transientRate: 2 })).toThrow(/transientRate/);
  });
});
