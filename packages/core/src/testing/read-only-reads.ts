import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bindCheckpointState } from "../binding.js";
import { Checkpoint } from "../checkpoint.js";
import { CatalogReader } from "../commit/index.js";
import { catalogKey } from "../layout.js";
import { checkpointState } from "../state/index.js";
import type { Store } from "../store/types.js";
import { FaultyStore } from "./faulty-store.js";

/** Options of {@link describeReadOnlyReads}. */
export interface ReadOnlyReadsOptions {
  /** Names the suite, e.g. `"S3Store on radosgw"`. */
  readonly name: string;
  /** A fresh, empty store for one test. */
  create(): Promise<Store>;
  /** Cleans a store up after its test (before `close`). */
  destroy?(store: Store): Promise<void>;
}

const Counter = checkpointState(
  "ckpt-testing.Counter",
  z.object({ step: z.number(), values: z.instanceof(Float64Array) }),
);

/**
 * Reading never writes, on a given store: on a checkpoint whose catalog is missing (with commits
 * present) or damaged, `catalog`, `select`, `open`, `format`, `verify`, `allSteps` and a
 * `CatalogReader`'s `read` and `unreferenced` make no put and no delete (a wrapper records every
 * call); `repair` then writes the catalog with one conditional put.
 *
 * @example
 * describeReadOnlyReads({ name: "my store", create: async () => new MyStore() });
 */
export function describeReadOnlyReads(options: ReadOnlyReadsOptions): void {
  describe(`reading never writes: ${options.name}`, () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) {
        await options.destroy?.(store);
        await store.close?.();
      }
    });

    for (const damage of ["missing", "damaged"] as const)
      it(`reads of a checkpoint whose catalog is ${damage} make no put and no delete; repair makes one`, async () => {
        const inner = await options.create();
        stores.push(inner);
        const writer = new Checkpoint("read-only", { store: inner, mode: "append", env: {}, warn: () => {} });
        await writer.run(async (session) => {
          const state = bindCheckpointState(Counter, { step: 0, values: new Float64Array(8) }).value;
          for (let step = 1; step <= 3; step++) {
            state.step = step;
            state.values.fill(step);
            await session.write({ step });
          }
        });
        const key = catalogKey(writer.root);
        if (damage === "missing") await inner.delete([key]);
        else await inner.put(key, new TextEncoder().encode("{ damaged"));

        const store = new FaultyStore(inner);
        const warnings: string[] = [];
        const checkpoint = new Checkpoint("read-only", {
          store,
          env: {},
          warn: (message) => warnings.push(message),
        });
        const entries = await checkpoint.catalog();
        expect(entries.map((entry) => entry.writeCount)).toEqual([1, 2, 3]);
        expect((await checkpoint.select(0)).writeCount).toBe(1);
        expect((await checkpoint.open()).writeCount).toBe(3);
        expect(await checkpoint.format()).toContain("mode: append");
        await checkpoint.verify(entries[2]!);
        expect(await checkpoint.allSteps()).toEqual([1, 2, 3]);
        const reader = new CatalogReader({
          store,
          checkpoint: "read-only",
          root: writer.root,
          warn: () => {},
        });
        expect((await reader.read()).source).toBe("rebuilt");
        expect((await reader.unreferenced({ olderThan: 0 })).removed).toEqual([]);
        expect(store.calls.filter((call) => call.op === "put" || call.op === "delete")).toEqual([]);
        expect(warnings.join("\n")).toContain(damage);

        expect(await checkpoint.repair()).toBe(true);
        expect(store.calls.filter((call) => call.op === "put" || call.op === "delete")).toEqual([
          { op: "put", key },
        ]);
        expect((await reader.read()).source).toBe("catalog");
      });
  });
}
