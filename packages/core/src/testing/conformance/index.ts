import { afterAll, afterEach, describe } from "vitest";
import type { Store } from "../../store/types.js";
import { abortTests } from "./abort.js";
import { atomicityTests } from "./atomicity.js";
import type { StoreConformanceOptions, SuiteContext } from "./context.js";
import { deletionTests } from "./deletion.js";
import { keyTests } from "./keys.js";
import { listingTests } from "./listing.js";
import { preconditionTests } from "./preconditions.js";
import { preparedPutTests } from "./prepared-puts.js";
import { roundTripTests } from "./round-trips.js";
import { sweepTests } from "./sweep.js";

export type { StoreConformanceOptions, StoreQuirks } from "./context.js";

/**
 * Declares (inside a vitest file) the tests every {@link Store} must pass: round trips of empty,
 * small and 64 MiB bodies, listing with pagination over 2,500 keys, every precondition case
 * (including 8 parallel racers and `ifMatch` with `ifNoneMatch` refused), atomic replace under a
 * concurrent reader, key validation, delete idempotence, abort, `sweep` (skipped with
 * `skip.sweep` for a store without one), and `prepare` (skipped for a store without one). Each test gets a fresh empty store from `create()`; nothing in
 * the suite assumes a filesystem. Groups a store cannot do are listed in `skip` and show up as
 * skipped tests.
 *
 * @example
 * // packages/store-s3/test/conformance.test.ts
 * describeStoreConformance({
 *   name: "S3Store",
 *   create: async () => new S3Store({ client, bucket, prefix: `t/${randomUUID()}` }),
 * });
 */
export function describeStoreConformance(options: StoreConformanceOptions): void {
  describe(`store conformance: ${options.name}`, () => {
    const perTest: Store[] = [];
    const perSuite: Store[] = [];
    const dispose = async (stores: Store[]) => {
      for (const store of stores.splice(0)) {
        await options.destroy?.(store);
        await store.close?.();
      }
    };
    afterEach(() => dispose(perTest));
    afterAll(() => dispose(perSuite));

    const ctx: SuiteContext = {
      options,
      async fresh() {
        const store = await options.create();
        perTest.push(store);
        return store;
      },
      async shared() {
        const store = await options.create();
        perSuite.push(store);
        return store;
      },
    };

    roundTripTests(ctx);
    listingTests(ctx);
    preconditionTests(ctx);
    atomicityTests(ctx);
    keyTests(ctx);
    deletionTests(ctx);
    abortTests(ctx);
    sweepTests(ctx);
    preparedPutTests(ctx);
  });
}
