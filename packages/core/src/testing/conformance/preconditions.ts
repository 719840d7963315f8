import { describe, expect, it } from "vitest";
import { InvalidArgumentError, PreconditionFailedError, TransientStoreError } from "../../errors.js";
import type { Store } from "../../store/types.js";
import { SMALL_TIMEOUT, type SuiteContext } from "./context.js";
import { expectSameBytes, failureOf, utf8 } from "./support.js";

async function expectPreconditionFailed(call: () => Promise<unknown>, key: string): Promise<void> {
  const error = await failureOf(call);
  expect(error).toBeInstanceOf(PreconditionFailedError);
  expect((error as PreconditionFailedError).code).toBe("E_PRECONDITION_FAILED");
  expect((error as PreconditionFailedError).key).toBe(key);
}

/** Settles `calls` together and splits winners from losers; every loser must be a precondition failure. */
async function race(
  calls: readonly (() => Promise<{ version: string }>)[],
  key: string,
  unknownOutcomeLosers = false,
) {
  const settled = await Promise.allSettled(calls.map((call) => call()));
  const winners: { index: number; version: string }[] = [];
  settled.forEach((result, index) => {
    if (result.status === "fulfilled") winners.push({ index, version: result.value.version });
    else if (
      !(result.reason instanceof PreconditionFailedError) &&
      !(unknownOutcomeLosers && result.reason instanceof TransientStoreError)
    )
      expect.fail(`racer ${index} on "${key}" failed with something else: ${String(result.reason)}`);
  });
  return winners;
}

async function expectContent(store: Store, key: string, bytes: Uint8Array, version?: string): Promise<void> {
  const got = await store.get(key);
  expectSameBytes(got.bytes, bytes, `content of ${key}`);
  if (version !== undefined) expect(got.info.version).toBe(version);
}

/** `ifNoneMatch: "*"` and `ifMatch`, alone and raced. */
export function preconditionTests(ctx: SuiteContext): void {
  const skipConcurrency = ctx.options.skip?.concurrency === true;
  const contentHashVersions = ctx.options.quirks?.contentHashVersions === true;
  const unknownOutcomeLosers = ctx.options.quirks?.unknownOutcomeLosers === true;

  describe("preconditions", () => {
    it(
      'ifNoneMatch "*": writes a missing key, refuses an existing one and leaves it untouched',
      async () => {
        const store = await ctx.fresh();
        const first = await store.put("cas/create", utf8("first"), { ifNoneMatch: "*" });
        await expectPreconditionFailed(
          () => store.put("cas/create", utf8("second"), { ifNoneMatch: "*" }),
          "cas/create",
        );
        await expectContent(store, "cas/create", utf8("first"), first.version);
      },
      SMALL_TIMEOUT,
    );

    it(
      "ifMatch together with ifNoneMatch is refused with InvalidArgumentError before anything is written",
      async () => {
        const store = await ctx.fresh();
        const first = await store.put("cas/both", utf8("v1"));
        for (const key of ["cas/both", "cas/both-missing"]) {
          const error = await failureOf(() =>
            store.put(key, utf8("v2"), { ifMatch: first.version, ifNoneMatch: "*" }),
          );
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).code).toBe("E_INVALID_ARGUMENT");
          expect((error as InvalidArgumentError).key).toBe(key);
        }
        await expectContent(store, "cas/both", utf8("v1"), first.version);
        expect(await store.head("cas/both-missing")).toBeUndefined();
      },
      SMALL_TIMEOUT,
    );

    it(
      "ifMatch with the current version writes and returns a new version",
      async () => {
        const store = await ctx.fresh();
        const first = await store.put("cas/update", utf8("v1"));
        const second = await store.put("cas/update", utf8("v2"), { ifMatch: first.version });
        expect(second.version).not.toBe(first.version);
        await expectContent(store, "cas/update", utf8("v2"), second.version);
      },
      SMALL_TIMEOUT,
    );

    it(
      "a stale ifMatch fails and leaves the object untouched",
      async () => {
        const store = await ctx.fresh();
        const first = await store.put("cas/stale", utf8("v1"));
        const second = await store.put("cas/stale", utf8("v2"));
        await expectPreconditionFailed(
          () => store.put("cas/stale", utf8("v3"), { ifMatch: first.version }),
          "cas/stale",
        );
        await expectContent(store, "cas/stale", utf8("v2"), second.version);
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(contentHashVersions)(
      "a stale ifMatch fails even when the stale version was put with identical bytes",
      async () => {
        const store = await ctx.fresh();
        const first = await store.put("cas/same", utf8("same"));
        await store.put("cas/same", utf8("same"));
        await expectPreconditionFailed(
          () => store.put("cas/same", utf8("next"), { ifMatch: first.version }),
          "cas/same",
        );
      },
      SMALL_TIMEOUT,
    );

    it(
      "ifMatch on a missing key fails and creates nothing, also after a delete",
      async () => {
        const store = await ctx.fresh();
        const old = await store.put("cas/gone", utf8("x"));
        await store.delete(["cas/gone"]);
        await expectPreconditionFailed(
          () => store.put("cas/gone", utf8("y"), { ifMatch: old.version }),
          "cas/gone",
        );
        expect(await store.head("cas/gone")).toBeUndefined();
        await expectPreconditionFailed(
          () => store.put("cas/never", utf8("y"), { ifMatch: old.version }),
          "cas/never",
        );
        expect(await store.head("cas/never")).toBeUndefined();
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(contentHashVersions)(
      "ifMatch with the version of a deleted object fails after the key is re-created with the same bytes",
      async () => {
        const store = await ctx.fresh();
        const old = await store.put("cas/gone", utf8("x"));
        await store.delete(["cas/gone"]);
        await store.put("cas/gone", utf8("x"), { ifNoneMatch: "*" });
        await expectPreconditionFailed(
          () => store.put("cas/gone", utf8("z"), { ifMatch: old.version }),
          "cas/gone",
        );
        await expectContent(store, "cas/gone", utf8("x"));
      },
      SMALL_TIMEOUT,
    );

    it(
      "a chain of ifMatch updates, each from the previous put's version, all succeed",
      async () => {
        const store = await ctx.fresh();
        let version = (await store.put("cas/chain", utf8("0"), { ifNoneMatch: "*" })).version;
        for (let i = 1; i <= 20; i++)
          version = (await store.put("cas/chain", utf8(String(i)), { ifMatch: version })).version;
        await expectContent(store, "cas/chain", utf8("20"), version);
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(skipConcurrency)(
      "8 parallel create-only puts: exactly one wins and its bytes are stored (5 rounds)",
      async () => {
        const store = await ctx.fresh();
        for (let round = 0; round < 5; round++) {
          const key = `race/create-${round}`;
          const bodies = Array.from({ length: 8 }, (_, i) => utf8(`round ${round} writer ${i}`));
          const winners = await race(
            bodies.map((body) => () => store.put(key, body, { ifNoneMatch: "*" })),
            key,
            unknownOutcomeLosers,
          );
          expect(winners.length, `winners in round ${round}`).toBe(1);
          await expectContent(store, key, bodies[winners[0]!.index]!, winners[0]!.version);
        }
      },
      SMALL_TIMEOUT,
    );

    it.skipIf(skipConcurrency)(
      "8 parallel ifMatch puts from the same version: exactly one wins (5 rounds)",
      async () => {
        const store = await ctx.fresh();
        const key = "race/update";
        let version = (await store.put(key, utf8("start"))).version;
        for (let round = 0; round < 5; round++) {
          const from = version;
          const bodies = Array.from({ length: 8 }, (_, i) => utf8(`round ${round} writer ${i}`));
          const winners = await race(
            bodies.map((body) => () => store.put(key, body, { ifMatch: from })),
            key,
            unknownOutcomeLosers,
          );
          expect(winners.length, `winners in round ${round}`).toBe(1);
          await expectContent(store, key, bodies[winners[0]!.index]!, winners[0]!.version);
          version = winners[0]!.version;
        }
      },
      SMALL_TIMEOUT,
    );
  });
}
