import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../errors.js";
import { LARGE_TIMEOUT, type SuiteContext } from "./context.js";
import { collect, patternBytes, sameBytes } from "./support.js";

/** A reader racing a writer only ever sees a whole object. */
export function atomicityTests(ctx: SuiteContext): void {
  const skipConcurrency = ctx.options.skip?.concurrency === true;

  describe("atomic replace", () => {
    it.skipIf(skipConcurrency)(
      "a concurrent reader sees the whole old or the whole new bytes, never a mix or a part",
      async () => {
        const store = await ctx.fresh();
        const key = "atomic/object";
        // Different sizes and contents, so a torn read shows as a wrong length or wrong bytes.
        const bodies = [patternBytes(1024 * 1024, 1), patternBytes(1536 * 1024 + 3, 2)];
        await store.put(key, bodies[0]!);
        let writing = true;
        let reads = 0;
        const check = (bytes: Uint8Array, how: string) => {
          reads++;
          if (!bodies.some((body) => sameBytes(bytes, body)))
            expect.fail(`${how} read ${bytes.byteLength} bytes that are neither the old nor the new object`);
        };
        const reader = async () => {
          while (writing) {
            // A macrotask turn per loop: a store answering from memory must not starve the writer.
            await new Promise((resolve) => setImmediate(resolve));
            try {
              check((await store.get(key)).bytes, "get");
              check(await collect((await store.getStream(key)).stream), "getStream");
            } catch (error) {
              if (error instanceof NotFoundError) expect.fail("the key vanished during a replace");
              throw error;
            }
          }
        };
        const writer = async () => {
          try {
            for (let i = 1; i <= 20; i++) {
              await store.put(key, bodies[i % 2]!);
              // Let the reader in between writes even on a very fast store.
              await new Promise((resolve) => setImmediate(resolve));
            }
          } finally {
            writing = false;
          }
        };
        await Promise.all([writer(), reader(), reader()]);
        expect(reads).toBeGreaterThan(0);
        expect(sameBytes((await store.get(key)).bytes, bodies[0]!)).toBe(true);
      },
      LARGE_TIMEOUT,
    );
  });
}
