import { describe, expect, it } from "vitest";
import { StoreAbortedError } from "../../errors.js";
import { SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import { expectSameBytes, failureOf, listKeys, patternBytes, utf8 } from "./support.js";

async function expectAborted(call: () => unknown, what: string): Promise<void> {
  const error = await failureOf(call);
  if (!(error instanceof StoreAbortedError))
    expect.fail(`${what}: expected StoreAbortedError, got ${String(error)}`);
  expect(error.code).toBe("E_ABORTED");
}

/** `AbortSignal` on every call; an aborted put leaves no trace. */
export function abortTests(ctx: SuiteContext): void {
  const skipAbort = ctx.options.skip?.abort === true;

  describe("abort", () => {
    it.skipIf(skipAbort)(
      "an already aborted signal: every operation rejects with StoreAbortedError and nothing is written",
      async () => {
        const store = await ctx.fresh();
        await store.put("abort/existing", utf8("old"));
        const signal = AbortSignal.abort();
        await expectAborted(() => store.put("abort/new", utf8("x"), { signal }), "put");
        await expectAborted(() => store.put("abort/existing", utf8("new"), { signal }), "put over");
        await expectAborted(() => store.get("abort/existing", { signal }), "get");
        await expectAborted(() => store.getStream("abort/existing", { signal }), "getStream");
        await expectAborted(() => store.head("abort/existing", { signal }), "head");
        await expectAborted(() => store.list("", { signal }), "list");
        await expectAborted(() => store.delete(["abort/existing"], { signal }), "delete");
        expect((await listKeys(store, "")).keys).toEqual(["abort/existing"]);
        expectSameBytes((await store.get("abort/existing")).bytes, utf8("old"));
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(skipAbort)(
      "aborting while the body is still streaming fails the put and keeps the old object",
      async () => {
        const store = await ctx.fresh();
        const old = await store.put("abort/streaming", utf8("old"));
        const controller = new AbortController();
        const aborted = new Promise<void>((resolve) =>
          controller.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        async function* body(): AsyncIterable<Uint8Array> {
          yield patternBytes(256 * 1024, 1);
          controller.abort();
          // A producer that only finishes after the abort: the store must not commit what it got.
          await aborted;
          yield patternBytes(256 * 1024, 2);
        }
        await expectAborted(
          () => store.put("abort/streaming", body(), { signal: controller.signal }),
          "put of a streaming body",
        );
        const after = await store.get("abort/streaming");
        expectSameBytes(after.bytes, utf8("old"));
        expect(after.info.version).toBe(old.version);
        await expectAborted(
          () => store.put("abort/fresh", body(), { signal: AbortSignal.abort() }),
          "put of a fresh key",
        );
        expect(await store.head("abort/fresh")).toBeUndefined();
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(skipAbort)(
      "aborting in the middle of a getStream read fails the iteration",
      async () => {
        const store = await ctx.fresh();
        await store.put("abort/read", patternBytes(8 * 1024 * 1024, 9));
        const controller = new AbortController();
        const { stream } = await store.getStream("abort/read", { signal: controller.signal });
        let received = 0;
        const error = await failureOf(async () => {
          for await (const chunk of stream) {
            received += chunk.byteLength;
            controller.abort();
          }
        });
        expect(error).toBeInstanceOf(StoreAbortedError);
        expect(received).toBeLessThan(8 * 1024 * 1024);
      },
      SMALL_TIMEOUT,
    );
  });
}
