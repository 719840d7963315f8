/**
 * write()/flush() take an AbortSignal (an aborted commit leaves the catalog unchanged and rolls
 * the write back), and flushAfter commits at the next write once that long has passed.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Checkpoint, CheckpointOptionError, checkpointState, StoreAbortedError } from "../src/index.js";
import { GatedStore } from "./support/gated-store.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

const env = {};
const Values = checkpointState("cancel.Values", z.object({ values: z.instanceof(Float32Array) }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(memfsAndDisk("cancel"))("cancellation and time-based flushing ($name)", ({ open }) => {
  it("a write aborted during its commit rejects, leaves the catalog unchanged and rolls back", async () => {
    const store = new GatedStore(await open());
    const checkpoint = new Checkpoint("abort", { store, mode: "append", env });
    const session = await checkpoint.open();
    const values = new Float32Array(4096).fill(1);
    session.bind(Values, { values });
    await session.write({ step: 1 });
    // Changed, so the commit puts the array (an unchanged one would be reused, not put).
    values[0] = 2;
    const controller = new AbortController();
    const held = store.hold((key) => key.endsWith(".npy"));
    const pending = session.write({ step: 2 }, { signal: controller.signal });
    await held;
    controller.abort();
    store.release();
    await expect(pending).rejects.toThrow(StoreAbortedError);
    expect(session.writeCount).toBe(1);
    expect((await checkpoint.catalog()).map((row) => row.metadata.step)).toEqual([1]);
    // The next write counts from the rolled-back state.
    const entry = await session.write({ step: 2 });
    expect(entry?.writeCount).toBe(2);
  });

  it("an already aborted signal refuses write() and flush() before anything changes", async () => {
    const checkpoint = new Checkpoint("aborted", { store: await open(), env });
    const session = await checkpoint.open();
    const signal = AbortSignal.abort();
    await expect(session.write({ step: 1 }, { signal })).rejects.toThrow(StoreAbortedError);
    await expect(session.flush({ step: 1 }, { signal })).rejects.toThrow(StoreAbortedError);
    expect(session.writeCount).toBe(0);
    expect(await checkpoint.catalog()).toEqual([]);
  });

  it("an async write aborted during its upload fails drain() with the catalog unchanged", async () => {
    const store = new GatedStore(await open());
    const checkpoint = new Checkpoint("abort-async", { store, async: true, env });
    const session = await checkpoint.open();
    session.bind(Values, { values: new Float32Array(4096) });
    const controller = new AbortController();
    const held = store.hold((key) => key.endsWith(".npy"));
    await session.write({ step: 1 }, { signal: controller.signal });
    await held;
    controller.abort();
    store.release();
    await expect(session.drain()).rejects.toThrow(StoreAbortedError);
    expect(await checkpoint.catalog()).toEqual([]);
  });

  it("flushAfter commits at the next write once it has passed, even with flushInterval: null", async () => {
    const store = await open();
    const soon = new Checkpoint("after", { store, flushInterval: null, flushAfter: 1, env });
    const session = await soon.open();
    await sleep(5);
    expect(await session.write({ step: 1 })).toBeDefined();
    expect((await soon.catalog()).map((row) => row.metadata.step)).toEqual([1]);

    const late = new Checkpoint("late", { store, flushInterval: null, flushAfter: "1h", env });
    const lateSession = await late.open();
    expect(await lateSession.write({ step: 1 })).toBeUndefined();
    expect(await late.catalog()).toEqual([]);
    expect(late.flushAfter).toBe(3_600_000);
  });

  it("flushAfter takes milliseconds or a duration string; anything else is a CheckpointOptionError", () => {
    expect(new Checkpoint("d", { flushAfter: "1h30m", env }).flushAfter).toBe(5_400_000);
    expect(new Checkpoint("d", { env }).flushAfter).toBeNull();
    expect(() => new Checkpoint("d", { flushAfter: "soon", env })).toThrow(CheckpointOptionError);
    expect(() => new Checkpoint("d", { flushAfter: -1, env })).toThrow(/flushAfter/);
  });
});
