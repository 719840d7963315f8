import type { Labels } from "./commit/catalog-format.js";
import type { CheckpointEntry } from "./entry.js";
import type { MetadataInput } from "./metadata.js";
import type { PreemptionOptions } from "./preemption.js";
import type { CommitCallOptions } from "./session.js";

/**
 * The no-op stand-in for a checkpoint when checkpointing is off: it is its own session, never
 * commits, and runs `fn` as it is.
 *
 * The original is falsy (`if checkpoint:`); a JavaScript object cannot be. Test `enabled` (or
 * `exists`) instead, which is `false` here and on a session without a row:
 *
 * @example
 * const checkpoint = options.resume ? new Checkpoint("run", { store }) : new NullCheckpoint();
 * await checkpoint.run(async (session) => {
 *   const start = session.exists ? session.writeCount : 0;
 *   for (let step = start; step < 24; step++) await session.write({ leadTime: step * 6 }); // no-op when off
 * });
 * if (checkpoint.enabled) console.log(await checkpoint.format());
 */
export class NullCheckpoint {
  /** Always `false`: nothing is checkpointed. */
  readonly enabled = false as const;
  /** Always `false`: there is no row. */
  readonly exists = false as const;
  readonly isActive = false as const;
  readonly level = 0 as const;
  readonly writeCount = 0 as const;
  readonly flushInterval = null;
  readonly async = false as const;
  readonly device: string = "cpu";
  readonly commitId = undefined;
  readonly leadTime = undefined;
  readonly labels: Labels = Object.freeze({});
  readonly metadata: Readonly<Record<string, unknown>> = Object.freeze({});

  /** Accepts a restart boundary and commits nothing. */
  async write(_metadata?: MetadataInput, _options?: CommitCallOptions): Promise<CheckpointEntry | undefined> {
    return undefined;
  }

  /** Accepts a flush and commits nothing. */
  async flush(_metadata?: MetadataInput, _options?: CommitCallOptions): Promise<CheckpointEntry | undefined> {
    return undefined;
  }

  /** Nothing is ever in flight: resolves at once. */
  async drain(): Promise<CheckpointEntry | undefined> {
    return undefined;
  }

  /**
   * Runs `fn` with this object as its session and an `AbortSignal` that never aborts: with nothing
   * to commit, the preemption options are ignored and a signal does what Node does by default.
   */
  async run<T>(
    fn: (session: NullCheckpoint, preempted: AbortSignal) => T | Promise<T>,
    _options?: PreemptionOptions,
  ): Promise<Awaited<T>> {
    return await fn(this, new AbortController().signal);
  }

  /** An empty catalog. */
  async catalog(): Promise<readonly CheckpointEntry[]> {
    return [];
  }
}
