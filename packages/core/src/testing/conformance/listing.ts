import { beforeAll, describe, expect, it } from "vitest";
import { mapBounded } from "../../commit/pool.js";
import type { Store } from "../../store/types.js";
import { LARGE_TIMEOUT, SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import { listKeys, sortKeys, utf8 } from "./support.js";

/** Keys whose flat order differs from a naive folder walk: '-' and '.' sort before '/', '0' after. */
const ORDER_KEYS = ["a-c", "a.b", "a/b", "a/c/d", "a/c/e", "a0", "b/z/z/z", "ba"];

const MANY = 2_500;
/** Keys just outside `many/`, to prove prefix isolation. */
const NEIGHBOURS = ["many-sibling/x", "manyx", "man", "other/many/y", "zzz/many/z"];

function manyKey(i: number): string {
  return `many/g${i % 7}/k${String(i).padStart(5, "0")}`;
}

function expectStrictlyIncreasing(keys: readonly string[]): void {
  for (let i = 1; i < keys.length; i++)
    if (Buffer.compare(Buffer.from(keys[i - 1]!), Buffer.from(keys[i]!)) >= 0)
      expect.fail(`list order broken at ${i}: "${keys[i - 1]}" then "${keys[i]}"`);
}

/** Key order, string-prefix semantics, pagination over 2,500 keys with no repeats or drops. */
export function listingTests(ctx: SuiteContext): void {
  const skipPagination = ctx.options.skip?.pagination === true;

  describe("list", () => {
    it(
      "an empty store lists one empty page without a cursor",
      async () => {
        const store = await ctx.fresh();
        const page = await store.list("");
        expect(page.items).toEqual([]);
        expect(page.cursor).toBeUndefined();
        expect((await store.list("nothing/here/")).items).toEqual([]);
      },
      SMALL_TIMEOUT,
    );

    it(
      "lists in UTF-8 key order even where that differs from a folder walk, with head-equal info",
      async () => {
        const store = await ctx.fresh();
        for (const key of [...ORDER_KEYS].reverse()) await store.put(key, utf8(`body of ${key}`));
        const page = await store.list("");
        expect(page.items.map((item) => item.key)).toEqual(ORDER_KEYS);
        expect(page.cursor).toBeUndefined();
        for (const item of page.items) {
          const head = await store.head(item.key);
          expect(item.size).toBe(utf8(`body of ${item.key}`).byteLength);
          expect(item.version).toBe(head?.version);
          expect(item.lastModified).toBeInstanceOf(Date);
        }
      },
      SMALL_TIMEOUT,
    );

    it(
      "a prefix is a plain string prefix, not a folder",
      async () => {
        const store = await ctx.fresh();
        for (const key of ORDER_KEYS) await store.put(key, utf8(key));
        const keysFor = async (prefix: string) => (await listKeys(store, prefix)).keys;
        expect(await keysFor("a")).toEqual(["a-c", "a.b", "a/b", "a/c/d", "a/c/e", "a0"]);
        expect(await keysFor("a/")).toEqual(["a/b", "a/c/d", "a/c/e"]);
        expect(await keysFor("a/c")).toEqual(["a/c/d", "a/c/e"]);
        expect(await keysFor("a/c/")).toEqual(["a/c/d", "a/c/e"]);
        expect(await keysFor("a/b")).toEqual(["a/b"]);
        expect(await keysFor("b/z/")).toEqual(["b/z/z/z"]);
        expect(await keysFor("c")).toEqual([]);
        expect(await keysFor("a/c/d/")).toEqual([]);
      },
      SMALL_TIMEOUT,
    );

    it(
      "small pages with a cursor: every key once, in order",
      async () => {
        const store = await ctx.fresh();
        for (const key of ORDER_KEYS) await store.put(key, utf8(key));
        const { keys, pageSizes } = await listKeys(store, "", 3);
        expect(keys).toEqual(ORDER_KEYS);
        for (const size of pageSizes) expect(size).toBeLessThanOrEqual(3);
        expect(pageSizes.length).toBeGreaterThanOrEqual(3);
      },
      SMALL_TIMEOUT,
    );

    describe.skipIf(skipPagination)(`${MANY} keys`, () => {
      let store: Store;
      const expected = sortKeys(Array.from({ length: MANY }, (_, i) => manyKey(i)));

      beforeAll(async () => {
        store = await ctx.shared();
        // Bounded parallelism: fast against a remote server without flooding it.
        await mapBounded([...expected, ...NEIGHBOURS], 32, undefined, (key) => store.put(key, utf8(key)));
      }, LARGE_TIMEOUT);

      it(
        "pages of at most `limit` items cover every key once, in order, and nothing outside the prefix",
        async () => {
          const { keys, pageSizes } = await listKeys(store, "many/", 700);
          for (const size of pageSizes) expect(size).toBeLessThanOrEqual(700);
          expect(pageSizes.length).toBeGreaterThanOrEqual(Math.ceil(MANY / 700));
          expectStrictlyIncreasing(keys);
          expect(keys.length).toBe(MANY);
          expect(keys).toEqual(expected);
        },
        LARGE_TIMEOUT,
      );

      it(
        "the default page size also covers every key once, in order",
        async () => {
          const { keys } = await listKeys(store, "many/");
          expectStrictlyIncreasing(keys);
          expect(keys).toEqual(expected);
        },
        LARGE_TIMEOUT,
      );

      it(
        "prefixes isolate: a folder, a partial segment, and the neighbours outside",
        async () => {
          const g3 = expected.filter((key) => key.startsWith("many/g3/"));
          expect((await listKeys(store, "many/g3/", 100)).keys).toEqual(g3);
          const partial = expected.filter((key) => key.startsWith("many/g3/k001"));
          expect(partial.length).toBeGreaterThan(0);
          expect((await listKeys(store, "many/g3/k001")).keys).toEqual(partial);
          expect((await listKeys(store, "many")).keys).toEqual(
            sortKeys([...expected, "many-sibling/x", "manyx"]),
          );
          expect((await listKeys(store, "")).keys).toEqual(sortKeys([...expected, ...NEIGHBOURS]));
        },
        LARGE_TIMEOUT,
      );

      it(
        "listed info agrees with head",
        async () => {
          const page = await store.list("many/g5/", { limit: 20 });
          expect(page.items.length).toBeGreaterThan(0);
          for (const item of page.items) {
            const head = await store.head(item.key);
            expect(head?.version).toBe(item.version);
            expect(item.size).toBe(utf8(item.key).byteLength);
          }
        },
        LARGE_TIMEOUT,
      );
    });
  });
}
