import { describe, expect, it } from "vitest";
import { InvalidKeyError } from "../../errors.js";
import { SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import { failureOf, listKeys, utf8 } from "./support.js";

/** Keys every store must refuse. */
export const INVALID_KEYS: readonly string[] = [
  "",
  "/absolute",
  "a//b",
  "trailing/",
  "a/../b",
  "..",
  ".",
  "./a",
  "a/./b",
  "back\\slash",
  "nul\u0000byte",
  "new\nline",
  "tab\tkey",
  "del\u007f",
  "c1\u0085control",
  "lone\ud800surrogate",
  `${"x".repeat(2000)}`,
];

/** Prefixes every store must refuse in `list`. */
export const INVALID_PREFIXES: readonly string[] = [
  "/",
  "/a",
  "../a",
  "a//",
  "a/../",
  "back\\slash",
  "x\u0000",
];

async function expectInvalidKey(call: () => unknown, what: string): Promise<void> {
  const error = await failureOf(call);
  if (!(error instanceof InvalidKeyError))
    expect.fail(`${what}: expected InvalidKeyError, got ${String(error)}`);
  expect(error.code).toBe("E_INVALID_KEY");
}

/** Key validation happens before any I/O, on every operation. */
export function keyTests(ctx: SuiteContext): void {
  describe("key validation", () => {
    it(
      "every operation refuses invalid keys with InvalidKeyError, and nothing is written",
      async () => {
        const store = await ctx.fresh();
        for (const key of INVALID_KEYS) {
          const shown = JSON.stringify(key.slice(0, 40));
          await expectInvalidKey(() => store.put(key, utf8("x")), `put(${shown})`);
          await expectInvalidKey(() => store.put(key, utf8("x"), { ifNoneMatch: "*" }), `put*(${shown})`);
          await expectInvalidKey(() => store.get(key), `get(${shown})`);
          await expectInvalidKey(() => store.getStream(key), `getStream(${shown})`);
          await expectInvalidKey(() => store.head(key), `head(${shown})`);
          await expectInvalidKey(() => store.delete([key]), `delete(${shown})`);
        }
        expect((await listKeys(store, "")).keys).toEqual([]);
      },
      SMALL_TIMEOUT,
    );

    it(
      "delete checks every key before deleting any",
      async () => {
        const store = await ctx.fresh();
        await store.put("keep/me", utf8("x"));
        await expectInvalidKey(() => store.delete(["keep/me", "bad//key"]), "delete(valid, invalid)");
        expect(await store.head("keep/me")).toBeDefined();
      },
      SMALL_TIMEOUT,
    );

    it(
      "list refuses invalid prefixes and accepts the empty prefix and a trailing slash",
      async () => {
        const store = await ctx.fresh();
        for (const prefix of INVALID_PREFIXES)
          await expectInvalidKey(() => store.list(prefix), `list(${JSON.stringify(prefix)})`);
        expect((await store.list("")).items).toEqual([]);
        expect((await store.list("folder/")).items).toEqual([]);
      },
      SMALL_TIMEOUT,
    );
  });
}
