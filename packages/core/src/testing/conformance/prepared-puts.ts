import { describe, expect, it } from "vitest";
import { PreconditionFailedError } from "../../errors.js";
import type { Store } from "../../store/types.js";
import { SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import { expectSameBytes, failureOf, utf8 } from "./support.js";

/** The store's `prepare`, or a skip of the test for a store without one (it is optional). */
function prepareOf(store: Store, skip: (note: string) => never): NonNullable<Store["prepare"]> {
  const prepare = store.prepare?.bind(store);
  if (prepare === undefined) return skip("the store has no prepare (optional)");
  return prepare;
}

async function keysUnder(store: Store, prefix: string): Promise<string[]> {
  return (await store.list(prefix)).items.map((item) => item.key);
}

/** `prepare`: invisible until published, then a put with the put's preconditions checked at publish. */
export function preparedPutTests(ctx: SuiteContext): void {
  describe("prepared puts (stores with prepare)", () => {
    it(
      "a prepared body is invisible until published, then reads and lists like a put",
      async ({ skip }) => {
        const store = await ctx.fresh();
        const prepare = prepareOf(store, skip);
        const prepared = await prepare("p/a/manifest.json", utf8("manifest"), { ifNoneMatch: "*" });
        expect(await store.head("p/a/manifest.json")).toBeUndefined();
        expect(await keysUnder(store, "p/")).toEqual([]);
        const info = await prepared.publish();
        const got = await store.get("p/a/manifest.json");
        expectSameBytes(got.bytes, utf8("manifest"), "published body");
        expect(got.info.version).toBe(info.version);
        expect(await keysUnder(store, "p/")).toEqual(["p/a/manifest.json"]);
      },
      SMALL_TIMEOUT,
    );

    it(
      "discard leaves nothing behind, twice is harmless, and publishing after it is refused",
      async ({ skip }) => {
        const store = await ctx.fresh();
        const prepare = prepareOf(store, skip);
        const prepared = await prepare("d/gone", utf8("never"));
        await prepared.discard();
        await prepared.discard();
        expect(await store.head("d/gone")).toBeUndefined();
        expect(await keysUnder(store, "d/")).toEqual([]);
        await expect(prepared.publish()).rejects.toThrow();
        expect(await store.head("d/gone")).toBeUndefined();
      },
      SMALL_TIMEOUT,
    );

    it(
      "preconditions are checked at publish: a key taken meanwhile, or a version replaced meanwhile, fails it",
      async ({ skip }) => {
        const store = await ctx.fresh();
        const prepare = prepareOf(store, skip);
        const create = await prepare("c/key", utf8("mine"), { ifNoneMatch: "*" });
        const theirs = await store.put("c/key", utf8("theirs"), { ifNoneMatch: "*" });
        expect(await failureOf(() => create.publish())).toBeInstanceOf(PreconditionFailedError);
        const stale = await prepare("c/key", utf8("from a stale read"), { ifMatch: theirs.version });
        const replaced = await store.put("c/key", utf8("newer"), { ifMatch: theirs.version });
        expect(await failureOf(() => stale.publish())).toBeInstanceOf(PreconditionFailedError);
        expectSameBytes((await store.get("c/key")).bytes, utf8("newer"), "the winner's body");
        const current = await prepare("c/key", utf8("next"), { ifMatch: replaced.version });
        const next = await current.publish();
        expect(next.version).not.toBe(replaced.version);
        expectSameBytes((await store.get("c/key")).bytes, utf8("next"), "the published body");
        expect(await keysUnder(store, "c/")).toEqual(["c/key"]);
      },
      SMALL_TIMEOUT,
    );
  });
}
