/**
 * Async commits: write() resolves once the state is captured, the upload runs in the background,
 * rows land in write order, failures surface on the next call, and drain/run/close wait for
 * durability. On a memfs volume and on a real folder.
 */
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  bindCheckpointState,
  Checkpoint,
  CheckpointOptionError,
  checkpointState,
  type StoreCall,
  StoreError,
} from "../src/index.js";
import { listAllArray } from "../src/store/index.js";
import { FaultyStore } from "../src/testing/index.js";
import { GatedStore, turns } from "./support/gated-store.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

const env = {};
const Field = checkpointState(
  "async.Field",
  z.object({ step: z.number(), values: z.instanceof(Float64Array) }),
);
const SIZE = 1 << 16;

function field(step: number) {
  return { step, values: new Float64Array(SIZE).fill(step) };
}

/** The step saved in row `row` of `checkpoint`, and whether its array is whole and consistent. */
async function savedStep(checkpoint: Checkpoint, row: number): Promise<number> {
  const session = await checkpoint.select(row);
  const restored = session.bind(Field, field(-1)).value;
  expect(restored.values.every((value) => value === restored.step)).toBe(true);
  return restored.step;
}

const stores = memfsAndDisk("async");

/** Counts the puts that reach the store (held ones once let through). */
class PutCountingStore extends GatedStore {
  puts = 0;

  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    return super.around(call, () => {
      if (call.op === "put") this.puts += 1;
      return run();
    });
  }
}

/**
 * An append-mode async checkpoint on a gated `store` whose first commit (step 1) is held mid-upload
 * when this resolves.
 */
async function firstCommitHeld(store: GatedStore, name: string, maxInFlight?: number) {
  const checkpoint = new Checkpoint(name, { store, mode: "append", async: true, maxInFlight, env });
  const session = await checkpoint.open();
  const state = session.bind(Field, field(1)).value;
  const held = store.hold((key) => key.endsWith(".npy"));
  await session.write({ step: 1 });
  await held;
  return { checkpoint, session, state };
}

describe.each(stores)("async commits ($name)", ({ open }) => {
  it("write() resolves once captured: changing every bound value at once changes no commit", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("capture", { store, mode: "append", async: true, env });
    await checkpoint.run(async (session) => {
      const state = bindCheckpointState(Field, field(0)).value;
      for (let step = 1; step <= 5; step++) {
        state.step = step;
        state.values.fill(step);
        await session.write({ step });
        // The next step starts at once, while the commit of this one may still upload.
        state.step = -step;
        state.values.fill(-step);
      }
    });
    const rows = await checkpoint.catalog();
    expect(rows.map((row) => row.writeCount)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((row) => row.metadata.step)).toEqual([1, 2, 3, 4, 5]);
    for (let row = 0; row < 5; row++) expect(await savedStep(checkpoint, row)).toBe(row + 1);
  });

  it("drain() resolves when every started commit is durable, with the newest row", async () => {
    const checkpoint = new Checkpoint("drain", { store: await open(), async: true, env });
    const session = await checkpoint.open();
    const state = session.bind(Field, field(1)).value;
    expect(await session.write({ step: 1 })).toBeUndefined();
    state.values.fill(9);
    const entry = await session.drain();
    expect(entry?.writeCount).toBe(1);
    expect((await checkpoint.catalog()).map((row) => row.commitId)).toEqual([entry?.commitId]);
    expect(await savedStep(checkpoint, -1)).toBe(1);
  });

  it("close() drains the background commits of the sessions it ends", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("close", { store, async: true, env });
    const session = await checkpoint.open();
    session.bind(Field, field(3));
    await session.write({ step: 3 });
    await checkpoint.close();
    const reader = new Checkpoint("close", { store, env });
    expect((await reader.catalog()).map((row) => row.metadata.step)).toEqual([3]);
  });

  it("a write that would exceed maxInFlight waits until the oldest commit is durable", async () => {
    const store = new GatedStore(await open());
    const { checkpoint, session } = await firstCommitHeld(store, "backpressure");
    let second = false;
    const write = session.write({ step: 2 }).then(() => {
      second = true;
    });
    await turns(20);
    expect(second).toBe(false);
    expect(await checkpoint.catalog()).toEqual([]);
    store.release();
    await write;
    await session.drain();
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1, 2]);
  });

  it("a write that waits for a slot captures its boundary when called: a change before it resolves is not committed", async () => {
    const store = new GatedStore(await open());
    const { checkpoint, session, state } = await firstCommitHeld(store, "early");
    state.step = 2;
    state.values.fill(2);
    const second = session.write({ step: 2 });
    // Not awaited: the write waits for the first commit, and its boundary is already captured.
    await turns(20);
    state.step = 3;
    state.values.fill(3);
    store.release();
    await second;
    await session.drain();
    expect(await savedStep(checkpoint, 0)).toBe(1);
    expect(await savedStep(checkpoint, 1)).toBe(2);
  });

  it("maxInFlight: 2 lets a second write capture while the first commit uploads", async () => {
    const store = new GatedStore(await open());
    const { checkpoint, session, state } = await firstCommitHeld(store, "two", 2);
    state.step = 2;
    state.values.fill(2);
    await session.write({ step: 2 });
    state.values.fill(-1);
    store.release();
    await session.drain();
    expect(await savedStep(checkpoint, 0)).toBe(1);
    expect(await savedStep(checkpoint, 1)).toBe(2);
  });

  it("the next commit uploads while the one it follows deletes its retired predecessor; drain() waits for the deletion", async () => {
    const store = new PutCountingStore(await open());
    const checkpoint = new Checkpoint("overlap", { store, async: true, env });
    const session = await checkpoint.open();
    const state = session.bind(Field, field(1)).value;
    await session.write({ step: 1 });
    await session.drain();
    const first = session.commitId!;
    const deleting = store.hold((keys) => keys.includes(first), "delete");
    state.step = 2;
    state.values.fill(2);
    await session.write({ step: 2 });
    await deleting;
    // The first commit's deletion is held: the third commit still uploads and lands.
    state.step = 3;
    state.values.fill(3);
    void session.write({ step: 3 });
    await vi.waitFor(() => expect(session.entry?.writeCount).toBe(3));
    // At most one deletion runs beside an upload: the fourth commit waits for the held one.
    const puts = store.puts;
    state.step = 4;
    state.values.fill(4);
    await session.write({ step: 4 });
    let drained = false;
    const drain = session.drain().then(() => {
      drained = true;
    });
    await turns(50);
    expect(store.puts).toBe(puts);
    expect(drained).toBe(false);
    store.release();
    await drain;
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([4]);
    // Drained: every retired commit is deleted, only the newest row's folder is left.
    const folders = new Set(
      (await listAllArray(store, "overlap/commits/")).map((info) => info.key.split("/")[2]),
    );
    expect([...folders]).toEqual([session.commitId]);
    expect(await savedStep(checkpoint, -1)).toBe(4);
  });

  it("a failed background commit rejects the next write, leaves the catalog unchanged, and a later flush commits", async () => {
    const store = new FaultyStore(await open());
    const checkpoint = new Checkpoint("failed", {
      store,
      mode: "append",
      async: true,
      retry: { attempts: 1 },
      env,
    });
    const session = await checkpoint.open();
    const state = session.bind(Field, field(1)).value;
    await session.write({ step: 1 });
    await session.drain();
    const before = await checkpoint.catalog();
    store.reset();
    // The second put: the first creates the new checkpoint's catalog.
    store.inject({ at: 2, kind: "before", ops: ["put"] });
    state.step = 2;
    state.values.fill(2);
    await session.write({ step: 2 });
    await expect(session.write({ step: 3 })).rejects.toThrow(StoreError);
    // The rejected write was not recorded; the failure is reported once.
    expect(session.writeCount).toBe(2);
    expect((await checkpoint.catalog()).map((row) => row.commitId)).toEqual(
      before.map((row) => row.commitId),
    );
    await session.flush();
    await session.drain();
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1, 2]);
    expect(await savedStep(checkpoint, -1)).toBe(2);
  });

  it("a failed background commit rejects drain() and run()", async () => {
    const store = new FaultyStore(await open());
    const checkpoint = new Checkpoint("run-fails", { store, async: true, retry: { attempts: 1 }, env });
    // The second put: the first creates the new checkpoint's catalog.
    store.inject({ at: 2, kind: "before", ops: ["put"] });
    await expect(
      checkpoint.run(async (session) => {
        session.bind(Field, field(1));
        await session.write({ step: 1 });
      }),
    ).rejects.toThrow(StoreError);
    expect(await checkpoint.catalog()).toEqual([]);

    const other = new Checkpoint("drain-fails", { store, async: true, retry: { attempts: 1 }, env });
    const session = await other.open();
    session.bind(Field, field(1));
    store.reset();
    // The second put: the first creates the new checkpoint's catalog.
    store.inject({ at: 2, kind: "before", ops: ["put"] });
    await session.write({ step: 1 });
    await expect(session.drain()).rejects.toThrow(StoreError);
    expect(await other.catalog()).toEqual([]);
  });

  it("write(metadata, { async: true }) commits one write in the background on a sync checkpoint", async () => {
    const checkpoint = new Checkpoint("per-call", { store: await open(), mode: "append", env });
    await checkpoint.run(async (session) => {
      const state = bindCheckpointState(Field, field(1)).value;
      expect(await session.write({ step: 1 }, { async: true })).toBeUndefined();
      state.step = 2;
      state.values.fill(2);
      // A sync commit lands after the background one started before it.
      const entry = await session.write({ step: 2 });
      expect(entry?.writeCount).toBe(2);
    });
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1, 2]);
    expect(await savedStep(checkpoint, 0)).toBe(1);
  });

  it("the async and maxInFlight options are validated", () => {
    expect(() => new Checkpoint("bad", { async: "yes" as unknown as boolean, env })).toThrow(
      CheckpointOptionError,
    );
    expect(() => new Checkpoint("bad", { maxInFlight: 0, env })).toThrow(/maxInFlight/);
    expect(new Checkpoint("ok", { env }).maxInFlight).toBe(1);
  });
});
