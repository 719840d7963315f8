import { z } from "zod";
import type { RetryOptions } from "./commit/retry.js";
import { durationMs } from "./duration.js";
import { CheckpointOptionError } from "./errors.js";
import { validateKey } from "./store/keys.js";
import type { Store } from "./store/types.js";

/** `"overwrite"` keeps one row per label set; `"append"` keeps up to `historySize` rows per label set. */
export type CheckpointMode = "overwrite" | "append";

/** 0: progress only (metadata); 1: item restart state; 2: full state. States are saved at level > 0. */
export type CheckpointLevel = 0 | 1 | 2;

/** How a restart picks its row among the ranks: one boundary for the whole world, or each rank its own. */
export type RestartMode = "world" | "rank";

/** Options of `new Checkpoint(name, options)` (DESIGN §5). Every field is optional. */
export interface CheckpointOptions {
  /** A store, or a store URL opened on first use. Default: `CKPT_STORE`, else `file://~/.cache/ckpt/checkpoints`. */
  readonly store?: Store | string | undefined;
  /**
   * How the checkpoint keeps rows. Absent: the mode its catalog records (an existing checkpoint
   * keeps its mode), `"overwrite"` for a new one. Given and different from the recorded mode:
   * `CheckpointOptionError` naming both when a session is opened (or at a commit), before
   * anything is written, unless `changeMode` is set.
   */
  readonly mode?: CheckpointMode | undefined;
  /**
   * Rows kept per label set in append mode; `null` keeps every row. Absent: the recorded history
   * size of an existing checkpoint, `null` for a new one. Overwrite mode forces 1.
   */
  readonly historySize?: number | null | undefined;
  /** Let an explicit `mode` replace the mode an existing checkpoint records (default false). */
  readonly changeMode?: boolean | undefined;
  /** Commit every N writes (default 1); `null`: only on `flush()` (and when `run` returns). */
  readonly flushInterval?: number | null | undefined;
  /**
   * Commit at the next `write` once this long has passed since the session's last commit (or its
   * start), even between `flushInterval` writes or with `flushInterval: null`: milliseconds, or a
   * duration string such as `"10m"`, `"1h30m"`. Default `null` (off).
   */
  readonly flushAfter?: number | string | null | undefined;
  /**
   * Commit in the background (default `false`): `write`/`flush` resolve once the state of the write
   * boundary is captured (typed arrays copied into reused buffers), and the upload overlaps the
   * job's next work. `session.drain()` waits for it; `run` and `close()` drain.
   */
  readonly async?: boolean | undefined;
  /**
   * Background commits started and not yet durable (default 1). A write that would start one more
   * waits for the oldest to be durable (backpressure); each holds a copy of the bound arrays.
   */
  readonly maxInFlight?: number | undefined;
  /** Default 2. */
  readonly level?: CheckpointLevel | undefined;
  /** Global rank; default detected from the environment (DESIGN §6). */
  readonly rank?: number | undefined;
  /** Number of ranks; default detected from the environment. */
  readonly worldSize?: number | undefined;
  /**
   * Which row a restart without an explicit row takes: `"world"`, the newest write boundary (same
   * labels, same write count) every rank `0 … worldSize-1` committed; `"rank"`, this rank's own
   * newest row. Default `"world"` when `worldSize` is above 1 and the ranks are coupled (not an
   * array job's independent tasks, DESIGN §6), else `"rank"`.
   */
  readonly restart?: RestartMode | undefined;
  /** Opaque to ckpt, handed to components through sessions and state handles. Default `"cpu"`. */
  readonly device?: string | undefined;
  /** Store calls in flight during one commit (default: the commit protocol's). */
  readonly concurrency?: number | undefined;
  /** Retries of store calls whose failure may pass (attempts, backoff); default: the commit protocol's. */
  readonly retry?: RetryOptions | undefined;
  /**
   * When a commit deletes the commits it retired: `"background"` (default) overlapping the job's
   * next work, so a commit costs three sequential store round trips (`run` and `close()` wait for
   * the deletions before they resolve), or `"await"` before `write`/`flush` resolve.
   */
  readonly cleanup?: "await" | "background" | undefined;
  /**
   * Incremental commits (default `true`): an array whose bytes equal those of an object a row of
   * this checkpoint (and rank) already references is not uploaded again; the new manifest points
   * at the stored object. Costs one XXH3-128 digest of every blob per commit (~4 GB/s);
   * `false` uploads everything, for states that change completely at every commit.
   */
  readonly incremental?: boolean | undefined;
  /** Receives warnings (late restore, damaged rows skipped); default `process.emitWarning`. */
  readonly warn?: ((message: string) => void) | undefined;
  /** Environment read for the rank and the default store; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The options after validation and defaults. */
export interface ResolvedOptions {
  readonly store: Store | string | undefined;
  readonly mode: CheckpointMode;
  readonly historySize: number | null;
  /** `mode` as given (undefined: adopt the recorded one). */
  readonly requestedMode: CheckpointMode | undefined;
  /** `historySize` as given (undefined: adopt the recorded one). */
  readonly requestedHistorySize: number | null | undefined;
  readonly changeMode: boolean;
  readonly flushInterval: number | null;
  readonly flushAfter: number | null;
  readonly async: boolean;
  readonly maxInFlight: number;
  readonly level: CheckpointLevel;
  readonly rank: number | undefined;
  readonly worldSize: number | undefined;
  readonly restart: RestartMode | undefined;
  readonly device: string;
  readonly concurrency: number | undefined;
  readonly retry: RetryOptions | undefined;
  readonly cleanup: "await" | "background" | undefined;
  readonly incremental: boolean;
  readonly warn: ((message: string) => void) | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const isPositiveInteger = (value: unknown): boolean =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 1;

const isStore = (value: unknown): value is Store =>
  typeof value === "object" &&
  value !== null &&
  ["put", "get", "getStream", "head", "list", "delete"].every(
    (method) => typeof (value as Record<string, unknown>)[method] === "function",
  );

// Order of the fields is the order the original validates in, then ours; messages are the original's
// with camelCased names.
const OPTION_ORDER = [
  "mode",
  "flushInterval",
  "flushAfter",
  "async",
  "maxInFlight",
  "historySize",
  "level",
  "rank",
  "worldSize",
  "restart",
  "device",
  "store",
  "concurrency",
  "retry",
  "cleanup",
  "incremental",
  "warn",
  "env",
  "changeMode",
] as const;

/** One optional option: absent is fine, present must pass `check`, else `error` is the message. */
const option = (check: (value: unknown) => boolean, error: string) =>
  z
    .unknown()
    .refine((value) => value === undefined || check(value), { error })
    .optional();

const optionsSchema = z.strictObject({
  mode: option(
    (value) => value === "overwrite" || value === "append",
    "mode must be 'overwrite' or 'append'.",
  ),
  flushInterval: option(
    (value) => value === null || isPositiveInteger(value),
    "flushInterval must be a positive integer or null.",
  ),
  flushAfter: option(
    (value) =>
      value === null ||
      (typeof value === "number" && Number.isFinite(value) && value >= 0) ||
      (typeof value === "string" && durationMs(value) !== undefined),
    'flushAfter must be a non-negative number of milliseconds, a duration such as "10m" or "1h30m", or null.',
  ),
  async: option((value) => typeof value === "boolean", "async must be true or false."),
  maxInFlight: option(isPositiveInteger, "maxInFlight must be a positive integer."),
  historySize: option(
    (value) => value === null || isPositiveInteger(value),
    "historySize must be a positive integer or null.",
  ),
  level: option((value) => value === 0 || value === 1 || value === 2, "level must be 0, 1, or 2."),
  rank: option(
    (value) => typeof value === "number" && Number.isSafeInteger(value) && value >= 0,
    "rank must be a non-negative integer.",
  ),
  worldSize: option(isPositiveInteger, "worldSize must be a positive integer."),
  restart: option((value) => value === "world" || value === "rank", "restart must be 'world' or 'rank'."),
  device: option((value) => typeof value === "string" && value !== "", "device must be a non-empty string."),
  store: option(
    (value) => isStore(value) || (typeof value === "string" && value.trim() !== ""),
    "store must be a Store or a store URL string.",
  ),
  concurrency: option(isPositiveInteger, "concurrency must be a positive integer."),
  retry: option(
    (value) =>
      typeof value === "object" &&
      value !== null &&
      Object.entries(value).every(
        ([key, item]) =>
          ["attempts", "baseDelayMs", "maxDelayMs", "conflicts"].includes(key) &&
          (item === undefined || (typeof item === "number" && Number.isSafeInteger(item) && item >= 0)),
      ),
    "retry must be an object of non-negative integers: attempts, baseDelayMs, maxDelayMs, conflicts.",
  ),
  cleanup: option(
    (value) => value === "await" || value === "background",
    "cleanup must be 'await' or 'background'.",
  ),
  incremental: option((value) => typeof value === "boolean", "incremental must be a boolean."),
  warn: option((value) => typeof value === "function", "warn must be a function."),
  env: option((value) => typeof value === "object" && value !== null, "env must be an object."),
  changeMode: option((value) => typeof value === "boolean", "changeMode must be a boolean."),
});

/**
 * Throws `CheckpointOptionError` unless `name` can be a checkpoint name: a non-empty string that is
 * one safe store key segment (no `/`, `\`, `.`/`..`, control characters).
 */
export function validateCheckpointName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name === "")
    throw new CheckpointOptionError("name", "A checkpoint name must be a non-empty string.");
  try {
    validateKey(name);
    if (name.includes("/")) throw new Error("it must not contain '/'");
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CheckpointOptionError(
      "name",
      `Checkpoint name ${JSON.stringify(name)} must be a single safe key segment (${reason}).`,
      { cause },
    );
  }
}

/**
 * Validates `new Checkpoint(name, options)` options in the original's order and applies the
 * defaults. The first invalid option is a `CheckpointOptionError` naming it.
 */
export function resolveOptions(name: string, options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw new CheckpointOptionError("options", "options must be an object.", { checkpoint: name });
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const rank = (issue: z.core.$ZodIssue): number => {
      const option = issue.path[0];
      const index = OPTION_ORDER.indexOf(option as (typeof OPTION_ORDER)[number]);
      return index === -1 ? OPTION_ORDER.length : index;
    };
    const first = [...parsed.error.issues].sort((a, b) => rank(a) - rank(b))[0]!;
    if (first.code === "unrecognized_keys") {
      const option = first.keys[0] ?? "?";
      throw new CheckpointOptionError(
        option,
        `Unknown option ${JSON.stringify(option)}; known options: ${OPTION_ORDER.join(", ")}.`,
        { checkpoint: name },
      );
    }
    throw new CheckpointOptionError(String(first.path[0] ?? "options"), first.message, { checkpoint: name });
  }
  const given = options as CheckpointOptions;
  const mode = given.mode ?? "overwrite";
  return {
    store: given.store,
    mode,
    historySize: mode === "overwrite" ? 1 : (given.historySize ?? null),
    requestedMode: given.mode,
    requestedHistorySize: given.historySize,
    changeMode: given.changeMode ?? false,
    flushInterval: given.flushInterval === undefined ? 1 : given.flushInterval,
    flushAfter:
      typeof given.flushAfter === "string"
        ? (durationMs(given.flushAfter) ?? null)
        : (given.flushAfter ?? null),
    async: given.async ?? false,
    maxInFlight: given.maxInFlight ?? 1,
    level: given.level ?? 2,
    rank: given.rank,
    worldSize: given.worldSize,
    restart: given.restart,
    device: given.device ?? "cpu",
    concurrency: given.concurrency,
    retry: given.retry,
    cleanup: given.cleanup,
    incremental: given.incremental ?? true,
    warn: given.warn,
    env: given.env ?? process.env,
  };
}
