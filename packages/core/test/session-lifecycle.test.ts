/**
 * A session that ended never commits, and state bound outside `run()` is never silently dropped,
 * on a memfs volume and on a real folder.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  bindCheckpointState,
  Checkpoint,
  CheckpointBindingError,
  CheckpointSessionError,
  checkpointState,
  typedArray,
} from "../src/index.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

const env = {};
const Counter = checkpointState("lifecycle.Counter", z.object({ count: z.number() }));

const stores = memfsAndDisk("lifecycle");

describe.each(stores)("a session that ended does not commit ($name)", ({ open }) => {
  it("write() and flush() after run() returned throw CheckpointSessionError and add no row", async () => {
    const checkpoint = new Checkpoint("ended", { store: await open(), mode: "append", env });
    const session = await checkpoint.run(async (session) => {
      await session.write({ step: 1 });
      return session;
    });
    await expect(session.write({ step: 2 })).rejects.toThrow(CheckpointSessionError);
    await expect(session.flush({ step: 2 })).rejects.toThrow(/session ended when its run\(\) returned/);
    expect(() => session.bind(Counter, { count: 0 })).toThrow(CheckpointSessionError);
    await expect(session.run(() => undefined)).rejects.toThrow(CheckpointSessionError);
    expect(session.ended).toBe(true);
    expect(session.writeCount).toBe(1);
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1]);
  });

  it("write() after run() threw is refused too", async () => {
    const checkpoint = new Checkpoint("threw", { store: await open(), mode: "append", warn: () => {}, env });
    let kept: { write: () => Promise<unknown> } | undefined;
    await expect(
      checkpoint.run(async (session) => {
        kept = session;
        await session.write();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await expect(kept!.write()).rejects.toThrow(CheckpointSessionError);
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1]);
  });

  it("write() and flush() after checkpoint.close() throw and add no row", async () => {
    const checkpoint = new Checkpoint("closed", { store: await open(), mode: "append", env });
    const session = await checkpoint.open();
    await session.write({ step: 1 });
    await checkpoint.close();
    await expect(session.write({ step: 2 })).rejects.toThrow(/checkpoint was closed/);
    await expect(session.flush()).rejects.toThrow(CheckpointSessionError);
    expect(session.writeCount).toBe(1);
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1]);
    // The checkpoint itself stays usable: a new session after close() commits.
    await checkpoint.run((next) => next.write({ step: 2 }));
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1, 2]);
  });

  it("a session used without entering it keeps committing until it ends", async () => {
    const checkpoint = new Checkpoint("direct", { store: await open(), mode: "append", env });
    const session = await checkpoint.open();
    await session.write();
    await session.write();
    expect((await checkpoint.catalog()).map((row) => row.writeCount)).toEqual([1, 2]);
  });
});

describe.each(stores)("state bound outside run() is never silently dropped ($name)", ({ open }) => {
  it("a checkpoint constructed only to read another run's catalog does not capture it", async () => {
    const store = await open();
    await new Checkpoint("other", { store, env }).run((session) => session.write());
    const messages: string[] = [];
    const job = new Checkpoint("job", { store, warn: (message) => messages.push(message), env });
    const other = new Checkpoint("other", { store, env });
    expect(await other.catalog()).toHaveLength(1);
    const state = { count: 7 };
    bindCheckpointState(Counter, state);
    await job.run((session) => session.write());
    expect((await job.catalog())[0]!.stateIds).toEqual(["lifecycle.Counter"]);
    expect(messages.join("\n")).toContain('"other" started no session, so this session saves it');
    await new Checkpoint("job", { store, env }).run(() => {
      const restored = { count: 0 };
      bindCheckpointState(Counter, restored);
      expect(restored.count).toBe(7);
    });
  });

  it("bound before the reader is read from: still adopted by the job's run", async () => {
    const store = await open();
    const job = new Checkpoint("job", { store, warn: () => {}, env });
    const reader = new Checkpoint("reader", { store, env });
    bindCheckpointState(Counter, { count: 3 });
    expect(await reader.catalog()).toEqual([]);
    await job.run((session) => session.write());
    expect((await job.catalog())[0]!.stateIds).toEqual(["lifecycle.Counter"]);
    // The reader wrote nothing and holds nothing for a later session.
    await reader.run(() => undefined);
    expect((await reader.catalog())[0]!.stateIds).toEqual([]);
  });

  it("binding outside every session while a session runs elsewhere is CheckpointBindingError", async () => {
    const job = new Checkpoint("busy", { store: await open(), env });
    let started!: () => void;
    let release!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = job.run(async (session) => {
      started();
      await gate;
      await session.write();
    });
    await running;
    const state = { count: 1 };
    expect(() => bindCheckpointState(Counter, state)).toThrow(CheckpointBindingError);
    expect(() => bindCheckpointState(Counter, state)).toThrow(/inside run\(\).*session\.bind/);
    release();
    await run;
    expect((await job.catalog())[0]!.stateIds).toEqual([]);
    // Once no session runs, binding outside waits for the next run again.
    bindCheckpointState(Counter, state);
    await job.run((session) => session.write());
    expect((await job.catalog())[0]!.stateIds).toEqual(["lifecycle.Counter"]);
  });
});

const Weights = checkpointState("lifecycle.Weights", z.object({ weights: typedArray("float32") }));

describe.each(stores)("a restored typed-array field is assigned, not filled ($name)", ({ open }) => {
  it("value holds a new array with the saved bytes; the array passed in keeps its values", async () => {
    const store = await open();
    const saved = new Float32Array(2048).map((_, i) => i / 8);
    await new Checkpoint("weights", { store, flushInterval: 1, env }).run(async (session) => {
      bindCheckpointState(Weights, { weights: saved });
      await session.write({ step: 1 });
    });
    await new Checkpoint("weights", { store, flushInterval: 1, env }).run(async () => {
      const passed = new Float32Array(2048);
      const model = bindCheckpointState(Weights, { weights: passed });
      expect(model.checkpointStateLoaded).toBe(true);
      expect(model.value.weights).not.toBe(passed);
      expect([...model.value.weights]).toEqual([...saved]);
      expect(passed.every((x) => x === 0)).toBe(true);
    });
  });
});
