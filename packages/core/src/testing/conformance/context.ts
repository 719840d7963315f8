import type { Store } from "../../store/types.js";

/** How {@link describeStoreConformance} gets stores, and which feature groups to skip. */
export interface StoreConformanceOptions {
  /** Shown in the test names, e.g. `"FsStore (memfs)"`. */
  name: string;
  /** A fresh, EMPTY store for each call (e.g. a unique prefix/folder). */
  create(): Promise<Store>;
  /** Optional clean-up after each test. */
  destroy?(store: Store): Promise<void>;
  /** Feature groups a store cannot do; skipped visibly with it.skipIf, never silently. */
  skip?: {
    largeBodies?: boolean;
    pagination?: boolean;
    concurrency?: boolean;
    abort?: boolean;
    /** The store ignores `GetOptions.onChunk` (allowed; readers then digest after the read). */
    chunkCallback?: boolean;
    /** The store has no `sweep` (it leaves nothing behind that `list` does not show). */
    sweep?: boolean;
  };
  /** Documented deviations a store's backend forces; each skips or relaxes only what it names. */
  quirks?: StoreQuirks;
}

/** Backend behaviours the suite tolerates when a store declares them. */
export interface StoreQuirks {
  /**
   * `version` is a content hash (the S3 ETag is the MD5 of the bytes): a put of identical bytes
   * keeps the version, so an `ifMatch` taken before such a put still matches. Skips the tests
   * that re-put identical bytes.
   */
  contentHashVersions?: boolean;
  /**
   * A conditional put that loses a race may fail with `TransientStoreError` (outcome unknown)
   * instead of `PreconditionFailedError`: Ceph radosgw answers most racing `If-Match` losers with
   * HTTP 500. Exactly one racer must still win, and the stored bytes must be the winner's.
   */
  unknownOutcomeLosers?: boolean;
}

/** What each group of the suite is given. */
export interface SuiteContext {
  readonly options: StoreConformanceOptions;
  /** A new empty store, destroyed after the current test. */
  fresh(): Promise<Store>;
  /** A new empty store for a `beforeAll` hook, destroyed after the whole suite. */
  shared(): Promise<Store>;
}

/** Per-test timeout for small calls against a remote test server. */
export const SMALL_TIMEOUT = 120_000;
/** Per-test timeout for tests moving tens of MiB or thousands of objects. */
export const LARGE_TIMEOUT = 600_000;
