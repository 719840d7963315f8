import { describe, expect, it } from "vitest";
import { mapBounded } from "../../commit/pool.js";
import { StoreAbortedError } from "../../errors.js";
import type { Store } from "../../store/types.js";
import { SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import { expectSameBytes, failureOf, listKeys, utf8 } from "./support.js";

/** The store's `sweep`, failing the test when the store has none but did not declare `skip.sweep`. */
function sweepOf(store: Store): NonNullable<Store["sweep"]> {
  if (store.sweep === undefined) expect.fail("the store has no sweep(); declare skip: { sweep: true }");
  return store.sweep.bind(store);
}

/**
 * `sweep` (optional): it removes only what the store itself left behind, never an object, and a
 * put racing it still lands. Leftovers need a killed writer, so producing them is left to each
 * store's own tests; these tests hold for every store.
 */
export function sweepTests(ctx: SuiteContext): void {
  const skip = ctx.options.skip?.sweep === true;

  describe("sweep", () => {
    it.skipIf(skip)(
      "finds nothing after clean puts and deletes, and leaves every object as it was",
      async () => {
        const store = await ctx.fresh();
        const sweep = sweepOf(store);
        const keys = ["sw/a/b/one", "sw/a/two", "sw/c/three", "sw-beside/four"];
        for (const key of keys) await store.put(key, utf8(key));
        await store.put("sw/gone/five", utf8("five"));
        await store.delete(["sw/gone/five"]);
        expect(await sweep("sw/", { olderThan: 0, dryRun: true })).toEqual({ count: 0, bytes: 0 });
        expect(await sweep("", { olderThan: 0 })).toEqual({ count: 0, bytes: 0 });
        expect((await listKeys(store, "")).keys.sort()).toEqual([...keys].sort());
        for (const key of keys) expectSameBytes((await store.get(key)).bytes, utf8(key), key);
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(skip)(
      "puts into new folders racing sweeps with no grace period all land",
      async () => {
        const store = await ctx.fresh();
        const sweep = sweepOf(store);
        const keys = Array.from({ length: 24 }, (_, i) => `race/f${i}/g${i % 3}/key`);
        let putting = true;
        const sweeper = (async () => {
          let rounds = 0;
          while (putting || rounds === 0) {
            await sweep("race/", { olderThan: 0 });
            rounds++;
            // A store whose calls settle without a macrotask (memfs) must not starve the puts' timers.
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          return rounds;
        })();
        try {
          await mapBounded(keys, 4, undefined, async (key) => {
            await store.put(key, utf8(key), { ifNoneMatch: "*" });
            await store.delete([key]);
            await store.put(key, utf8(`${key} again`));
          });
        } finally {
          putting = false;
        }
        expect(await sweeper).toBeGreaterThan(0);
        for (const key of keys) expectSameBytes((await store.get(key)).bytes, utf8(`${key} again`), key);
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(skip)(
      "an aborted signal stops it with StoreAbortedError",
      async () => {
        const store = await ctx.fresh();
        const sweep = sweepOf(store);
        await store.put("ab/key", utf8("x"));
        const error = await failureOf(() =>
          sweep("ab/", { olderThan: 0, signal: AbortSignal.abort(new Error("stop")) }),
        );
        expect(error).toBeInstanceOf(StoreAbortedError);
        expectSameBytes((await store.get("ab/key")).bytes, utf8("x"));
      },
      SMALL_TIMEOUT,
    );
  });
}
