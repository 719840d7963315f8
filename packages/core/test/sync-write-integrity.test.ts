/**
 * A sync commit reads the live arrays while it uploads: when a caller changes a bound array before
 * the un-awaited write() resolved, the commit must fail before its catalog swap, naming the state
 * and the field, instead of recording a checksum that the stored bytes do not have.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Checkpoint, CheckpointIntegrityError, checkpointState } from "../src/index.js";
import { GatedStore, turns } from "./support/gated-store.js";
import { memfsAndDisk } from "./support/memfs-and-disk.js";

const env = {};
const Grid = checkpointState("integrity.Grid", z.object({ cells: z.instanceof(Float64Array) }));
// 64 MiB: the size at which the failure was seen, many checksum slices long.
const CELLS = (64 * 1024 * 1024) / 8;

describe.each(memfsAndDisk("sync-integrity"))("sync write integrity ($name)", ({ open }) => {
  it("an array changed during the upload of an un-awaited write() fails that commit before its swap", async () => {
    const store = new GatedStore(await open());
    const checkpoint = new Checkpoint("changed", { store, env });
    const session = await checkpoint.open();
    const grid = session.bind(Grid, { cells: new Float64Array(CELLS).fill(1) }).value;
    const first = await session.write({ step: 1 });

    const held = store.hold((key) => key.endsWith("cells.npy"));
    grid.cells.fill(2);
    const pending = session.write({ step: 2 });
    await held;
    // Whatever the commit sums beside its put runs now, while the put is held.
    await turns(100);
    grid.cells.fill(3);
    store.release();
    const failure = await pending.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CheckpointIntegrityError);
    expect(failure).toMatchObject({ code: "E_INTEGRITY", stateId: "integrity.Grid", field: "cells" });
    expect((failure as Error).message).toMatch(/field cells of state integrity\.Grid changed/);

    // The catalog still holds the first commit, whole; the failed write was rolled back.
    expect((await checkpoint.catalog()).map((row) => row.commitId)).toEqual([first?.commitId]);
    expect(session.writeCount).toBe(1);
    const reader = new Checkpoint("changed", { store, env });
    const restored = (await reader.select(-1, { verify: "all" })).bind(Grid, {
      cells: new Float64Array(CELLS),
    }).value;
    expect(restored.cells[0]).toBe(1);
    expect(restored.cells[CELLS - 1]).toBe(1);

    // Awaited, the same write commits.
    await session.write({ step: 2 });
    expect((await checkpoint.catalog()).map((row) => row.metadata.step)).toEqual([2]);
  });
});
