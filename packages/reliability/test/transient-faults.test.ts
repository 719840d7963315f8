/**
 * Transient faults: throttling (503/SlowDown), reset connections and timeouts. Commits complete
 * through bounded, jittered retries; a fault that does not pass fails the commit after exactly the
 * configured attempts with the catalog unchanged; an AbortSignal stops a commit promptly, also one
 * that hangs on a dead server or sleeps in a backoff, and leaves the catalog unchanged.
 */
import {
  CatalogClient,
  Checkpoint,
  type CheckpointEntry,
  CkptError,
  encodeState,
  listAllArray,
  openStore,
  type Store,
} from "@ckpt/core";
import { FaultyStore } from "@ckpt/core/testing";
import "@ckpt/store-fs";
import { describe, expect, it } from "vitest";
import { HangingStore } from "./support/hanging-store.js";
import { checkEveryRow } from "./support/row-check.js";
import { Field, fillField, initialField } from "./support/workload.js";

let stores = 0;
const memory = () => openStore(`memory://transient-${process.pid}-${++stores}`);
const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 20 } as const;

/** Commits `count` rows of the workload through the public API. */
async function commitRows(checkpoint: Checkpoint, count: number): Promise<void> {
  await checkpoint.run(async (session) => {
    const field = session.bind(Field, initialField());
    for (let n = session.writeCount + 1; n <= count; n++) {
      fillField(field.value, n);
      await session.write({ step: n });
    }
  });
}

/** One commit request of the workload at write `n`, for the commit protocol directly. */
function request(n: number, signal?: AbortSignal) {
  const value = initialField();
  fillField(value, n);
  const { stateJson, blobs } = encodeState(Field, value);
  const path = "states/reliability.Field";
  return {
    writeCount: n,
    labels: {},
    metadata: { step: n },
    states: { [Field.id]: { path, schemaHash: Field.schemaHash } },
    objects: [
      { key: `${path}/state.json`, chunks: [stateJson], size: stateJson.byteLength },
      ...blobs.map((blob) => ({ key: `${path}/${blob.name}`, chunks: blob.chunks, size: blob.size })),
    ],
    ...(signal === undefined ? {} : { signal }),
  };
}

function client(store: Store, attempts = 5, baseDelayMs = 1) {
  return new CatalogClient({
    store,
    checkpoint: "t",
    root: "t",
    mode: "append",
    historySize: 4,
    rank: 0,
    worldSize: 1,
    level: 2,
    warn: () => {},
    retry: { attempts, baseDelayMs, maxDelayMs: Math.max(20, baseDelayMs) },
  });
}

describe("commits complete through transient faults", () => {
  it("25% of store calls throttled (no effect) and every 7th put's response lost after it landed", async () => {
    const store = new FaultyStore(await memory(), { transientRate: 0.25, seed: 8 });
    const lost = Array.from({ length: 200 }, (_, k) => ({
      at: 7 * (k + 1),
      kind: "lose-response" as const,
      ops: ["put" as const],
    }));
    store.inject(...lost);
    // Eight attempts per call: at a 25% failure rate, five could all fail about once in 1,000 calls.
    const checkpoint = new Checkpoint("t", {
      store,
      mode: "append",
      historySize: 4,
      retry: { ...FAST_RETRY, attempts: 8 },
      warn: () => {},
    });
    await commitRows(checkpoint, 30);
    const faults = store.calls.filter((call) => call.fault !== undefined);
    console.log(
      `[reliability] transient: 30 commits, ${store.calls.length} store calls, ${faults.length} faults injected`,
    );
    expect(faults.filter((call) => call.fault === "before").length).toBeGreaterThan(20);
    expect(faults.filter((call) => call.fault === "lose-response").length).toBeGreaterThan(5);
    store.reset();
    const rows = await checkEveryRow(checkpoint);
    expect(rows.map((row: CheckpointEntry) => row.writeCount)).toEqual([27, 28, 29, 30]);
  });

  it("puts that time out (a server that stopped answering) are retried and the commit completes", async () => {
    // Every 3rd put hangs until its 50 ms timeout.
    const store = new HangingStore(await memory(), (n) => n % 3 === 0, 50);
    const checkpoint = new Checkpoint("t", {
      store,
      mode: "append",
      historySize: 4,
      retry: FAST_RETRY,
      warn: () => {},
    });
    await commitRows(checkpoint, 6);
    expect(store.hung).toBeGreaterThan(5);
    expect((await checkEveryRow(checkpoint)).map((row) => row.writeCount)).toEqual([3, 4, 5, 6]);
  });

  it("retries are bounded: a fault that does not pass fails the commit after exactly `attempts` tries, catalog unchanged", async () => {
    const store = new FaultyStore(await memory());
    const catalog = client(store, 4);
    await catalog.commit(request(1));
    const before = await catalog.rows();
    store.reset();
    store.inject(
      ...Array.from({ length: 500 }, (_, k) => ({
        at: k + 1,
        kind: "before" as const,
        ops: ["put" as const],
      })),
    );
    const error = await catalog.commit(request(2)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CkptError);
    expect((error as CkptError).code).toBe("E_TRANSIENT");
    const perKey = new Map<string, number>();
    for (const call of store.calls)
      if (call.op === "put") perKey.set(call.key, (perKey.get(call.key) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBe(4);
    store.reset();
    expect(await client(store).rows()).toEqual(before);
    // Without a manifest nothing can reference the objects: the failed commit removed them.
    const left = (await listAllArray(store, "t/commits/")).map((info) => info.key.split("/")[2]);
    expect(new Set(left)).toEqual(new Set(before.map((row) => row.commitId)));
  });
});

describe("an AbortSignal stops a commit promptly and leaves the catalog unchanged", () => {
  it("while its object puts hang on a dead server", async () => {
    const memoryStore = await memory();
    const store = new HangingStore(memoryStore, (_, key) => key.endsWith(".npy") && key.includes("00000002"));
    const catalog = client(store);
    await catalog.commit(request(1));
    const before = await catalog.rows();
    const controller = new AbortController();
    const pending = catalog.commit(request(2, controller.signal));
    while (store.hung === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const abortedAt = performance.now();
    controller.abort(new Error("job cancelled"));
    const error = await pending.catch((caught: unknown) => caught);
    const ms = performance.now() - abortedAt;
    console.log(`[reliability] abort of a hanging commit took ${ms.toFixed(1)} ms`);
    expect((error as CkptError).code).toBe("E_ABORTED");
    expect(ms).toBeLessThan(5_000);
    expect(await client(memoryStore).rows()).toEqual(before);
    const left = (await listAllArray(memoryStore, "t/commits/")).map((info) => info.key.split("/")[2]);
    expect(new Set(left)).toEqual(new Set(before.map((row) => row.commitId)));
  });

  it("while it sleeps in a long backoff after a throttled put", async () => {
    const store = new FaultyStore(await memory());
    const catalog = client(store, 5, 60_000);
    await catalog.commit(request(1));
    const before = await catalog.rows();
    store.reset();
    store.inject(
      ...Array.from({ length: 50 }, (_, k) => ({
        at: k + 1,
        kind: "before" as const,
        ops: ["put" as const],
      })),
    );
    const controller = new AbortController();
    const pending = catalog.commit(request(2, controller.signal));
    while (!store.calls.some((call) => call.fault !== undefined))
      await new Promise((resolve) => setTimeout(resolve, 5));
    // Every object put has failed once by now and sleeps in a backoff of up to a minute.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const abortedAt = performance.now();
    controller.abort();
    const error = await pending.catch((caught: unknown) => caught);
    const ms = performance.now() - abortedAt;
    console.log(`[reliability] abort during a backoff took ${ms.toFixed(1)} ms`);
    expect((error as CkptError).code).toBe("E_ABORTED");
    expect(ms).toBeLessThan(5_000);
    store.reset();
    expect(await client(store).rows()).toEqual(before);
  });
});
