/**
 * Labels and metadata live in catalog.json, which every commit rewrites: their documented limits
 * are enforced before anything is written, and the errors say to bind large values as state.
 */
import { describe, expect, it } from "vitest";
import {
  CHECKPOINT_LIMITS,
  Checkpoint,
  CheckpointLimitError,
  CheckpointMetadataError,
  type Store,
} from "../src/index.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

const env = {};
const stores = memfsAndDisk("limits");

async function keys(store: Store): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list("", cursor === undefined ? {} : { cursor });
    found.push(...page.items.map((item) => item.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return found;
}

function limitError(error: unknown): CheckpointLimitError {
  expect(error).toBeInstanceOf(CheckpointLimitError);
  return error as CheckpointLimitError;
}

describe.each(stores)("size limits of labels and metadata ($name)", ({ open }) => {
  it("documents the limits", () => {
    expect(CHECKPOINT_LIMITS).toEqual({ labelCount: 32, labelBytes: 1024, metadataBytes: 65536 });
  });

  it("more labels than the limit are refused before anything is written, naming the limit", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("labels", { store, env });
    const labels = Object.fromEntries(Array.from({ length: 33 }, (_, k) => [`l${k}`, k]));
    const error = limitError(
      await checkpoint.run((session) => session.write(), { labels }).catch((caught: unknown) => caught),
    );
    expect(error.code).toBe("E_LIMIT");
    expect(error.field).toBe("labels");
    expect([error.limit, error.actual]).toEqual([32, 33]);
    expect(error.message).toContain("limit of 32 labels");
    expect(error.message).toContain("bind the value as state");
    expect(await keys(store)).toEqual([]);
    // At the limit they are accepted.
    const atLimit = Object.fromEntries(Array.from({ length: 32 }, (_, k) => [`l${k}`, k]));
    await checkpoint.run((session) => session.write(), { labels: atLimit });
    expect((await checkpoint.catalog())[0]!.labels).toEqual(atLimit);
  });

  it("a label over 1 KiB is refused, naming the label", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("big-label", { store, env });
    const error = limitError(
      await checkpoint
        .select(undefined, { labels: { config: "x".repeat(2000) } })
        .catch((caught: unknown) => caught),
    );
    expect(error.field).toBe("labels.config");
    expect(error.limit).toBe(1024);
    expect(error.message).toContain("label 'config' takes 2011 bytes, over the limit of 1024 bytes");
    expect(error.message).toContain("bindCheckpointState");
    expect(await keys(store)).toEqual([]);
  });

  it("metadata over 64 KiB per row is refused by write and flush, naming the largest field; nothing changes", async () => {
    const store = await open();
    const checkpoint = new Checkpoint("big-metadata", { store, mode: "append", flushInterval: null, env });
    const session = await checkpoint.open();
    await session.write({ leadTime: 6 });
    await session.flush();
    const before = await keys(store);
    const history = Array.from({ length: 20_000 }, (_, k) => k);
    const error = limitError(await session.write({ history }).catch((caught: unknown) => caught));
    expect(error.field).toBe("metadata.history");
    expect(error.limit).toBe(65536);
    expect(error.message).toContain("its largest field is 'history'");
    expect(error.message).toContain("bind the value as state");
    expect(session.writeCount).toBe(1);
    await expect(session.flush({ history })).rejects.toThrow(CheckpointLimitError);
    expect(await session.flush()).toBeUndefined(); // the refused write left nothing pending
    expect(await keys(store)).toEqual(before);
    expect((await checkpoint.catalog()).map((row) => Object.keys(row.metadata))).toEqual([["leadTime"]]);
  });

  it("metadata accumulated across writes is held to the same limit", async () => {
    const checkpoint = new Checkpoint("accumulated", { store: await open(), flushInterval: null, env });
    const session = await checkpoint.open();
    const chunk = "y".repeat(20_000);
    await session.write({ a: chunk });
    await session.write({ b: chunk });
    await session.write({ c: chunk });
    const error = limitError(await session.write({ d: chunk }).catch((caught: unknown) => caught));
    expect(error.actual).toBeGreaterThan(65536);
    expect(session.writeCount).toBe(3);
    await session.flush();
    expect(Object.keys((await checkpoint.catalog())[0]!.metadata)).toEqual(["a", "b", "c"]);
  });

  it("a typed array in metadata points to state, not to a plain array", async () => {
    const checkpoint = new Checkpoint("typed", { store: await open(), env });
    const session = await checkpoint.open();
    const error = await session.write({ field: new Float32Array(3) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CheckpointMetadataError);
    expect((error as Error).message).toContain("bind the array as state");
    expect((error as Error).message).not.toContain("plain array");
  });
});
