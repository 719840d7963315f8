import { describe, expect, it } from "vitest";
import { mapBounded } from "../../commit/pool.js";
import { NotFoundError } from "../../errors.js";
import { SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import { failureOf, listKeys, utf8 } from "./support.js";

/** `delete` removes what it names, only that, and never fails on a missing key. */
export function deletionTests(ctx: SuiteContext): void {
  describe("delete", () => {
    it(
      "deletes a key; deleting it again, a missing key or nothing at all is not an error",
      async () => {
        const store = await ctx.fresh();
        await store.put("del/a", utf8("a"));
        await store.put("del/b", utf8("b"));
        await store.delete(["del/a"]);
        expect(await store.head("del/a")).toBeUndefined();
        expect(await failureOf(() => store.get("del/a"))).toBeInstanceOf(NotFoundError);
        await store.delete(["del/a"]);
        await store.delete(["never/existed", "del/a", "del/a"]);
        await store.delete([]);
        expect((await listKeys(store, "")).keys).toEqual(["del/b"]);
      },
      SMALL_TIMEOUT,
    );

    it(
      "deletes many keys in one call, with repeats and missing keys, leaving the others",
      async () => {
        const store = await ctx.fresh();
        const keys = Array.from({ length: 120 }, (_, i) => `bulk/${i % 3}/k${String(i).padStart(3, "0")}`);
        await mapBounded(keys, 16, undefined, (key) => store.put(key, utf8(key)));
        await store.put("bulk-keep/x", utf8("x"));
        const doomed = keys.filter((_, i) => i % 4 !== 0);
        await store.delete([...doomed, ...doomed.slice(0, 10), "bulk/missing"]);
        const left = (await listKeys(store, "")).keys;
        expect(new Set(left)).toEqual(new Set([...keys.filter((_, i) => i % 4 === 0), "bulk-keep/x"]));
      },
      SMALL_TIMEOUT,
    );

    it(
      "a deleted key can be created again with ifNoneMatch",
      async () => {
        const store = await ctx.fresh();
        await store.put("again/key", utf8("1"), { ifNoneMatch: "*" });
        await store.delete(["again/key"]);
        await store.put("again/key", utf8("2"), { ifNoneMatch: "*" });
        expect(Buffer.from((await store.get("again/key")).bytes).toString()).toBe("2");
      },
      SMALL_TIMEOUT,
    );
  });
}
