import { constants } from "node:os";
import { CheckpointOptionError, CheckpointPreemptedError } from "./errors.js";

/** The signals `run(fn, { signals })` can treat as a preemption notice. */
export type PreemptionSignal =
  | "SIGTERM"
  | "SIGINT"
  | "SIGHUP"
  | "SIGQUIT"
  | "SIGUSR1"
  | "SIGUSR2"
  | "SIGXCPU";

const KNOWN_SIGNALS: readonly PreemptionSignal[] = [
  "SIGTERM",
  "SIGINT",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
  "SIGXCPU",
];

/**
 * The usual preemption notices: SIGTERM (spot VMs, Kubernetes, Slurm, `docker stop`, systemd) and
 * SIGINT (Ctrl-C). `checkpoint.run(fn, { signals: PREEMPTION_SIGNALS })`.
 */
export const PREEMPTION_SIGNALS: readonly PreemptionSignal[] = Object.freeze(["SIGTERM", "SIGINT"]);

/**
 * Default `preemptionDeadline`: 25 s, inside the shortest common grace period between SIGTERM and
 * SIGKILL (30 s on GCP spot VMs, Kubernetes' default `terminationGracePeriodSeconds`, Slurm's
 * default `KillWait`), leaving time for the process to exit.
 */
export const DEFAULT_PREEMPTION_DEADLINE = 25_000;

/** The preemption options of `checkpoint.run(fn, options)` and `session.run(fn, options)`. */
export interface PreemptionOptions {
  /**
   * Signals that mean "preempted" while `fn` runs (default: none, the process keeps Node's own
   * handling). On the first one the next `write()` commits its boundary and throws
   * `CheckpointPreemptedError`; a second one exits at once with 128 + its number.
   */
  readonly signals?: readonly PreemptionSignal[] | undefined;
  /**
   * Milliseconds from the signal to the end of the boundary commit (default
   * {@link DEFAULT_PREEMPTION_DEADLINE}); past it the process exits with 128 + the signal's number,
   * keeping the rows committed before. `Infinity`: no deadline.
   */
  readonly preemptionDeadline?: number | undefined;
  /**
   * `true` (default): once `run()` has settled after a signal, the process exits with 128 + the
   * signal's number. `false`: `run()` rejects with `CheckpointPreemptedError` and the caller
   * decides (its `exitCode` says the conventional code).
   */
  readonly exitOnPreemption?: boolean | undefined;
}

// An AbortSignal that never aborts, for runs that watch no signal.
const NEVER = new AbortController().signal;

function exitCodeOf(signal: PreemptionSignal): number {
  return 128 + (constants.signals[signal] ?? 15);
}

/**
 * The signal handlers of one `run()`: installed by `start()`, removed by `end()`. Listeners the
 * process already had stay and are called as before.
 */
export class PreemptionWatch {
  readonly #checkpoint: string;
  readonly #signals: readonly PreemptionSignal[];
  readonly #deadline: number;
  readonly #exit: boolean;
  readonly #uncommitted: () => number;
  readonly #controller = new AbortController();
  readonly #handlers = new Map<PreemptionSignal, () => void>();
  #received: PreemptionSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Validates `options` (a `CheckpointOptionError` names the bad one) before any handler is installed. */
  constructor(checkpoint: string, options: PreemptionOptions, uncommitted: () => number) {
    const signals = options.signals ?? [];
    if (!Array.isArray(signals))
      throw new CheckpointOptionError("signals", "signals must be an array of signal names.", { checkpoint });
    for (const signal of signals)
      if (!KNOWN_SIGNALS.includes(signal))
        throw new CheckpointOptionError(
          "signals",
          `signals: ${JSON.stringify(signal)} is not one of ${KNOWN_SIGNALS.join(", ")}.`,
          { checkpoint },
        );
    const deadline = options.preemptionDeadline ?? DEFAULT_PREEMPTION_DEADLINE;
    if (typeof deadline !== "number" || Number.isNaN(deadline) || deadline <= 0)
      throw new CheckpointOptionError(
        "preemptionDeadline",
        `preemptionDeadline must be a positive number of milliseconds or Infinity, got ${String(deadline)}.`,
        { checkpoint },
      );
    const exit = options.exitOnPreemption ?? true;
    if (typeof exit !== "boolean")
      throw new CheckpointOptionError("exitOnPreemption", "exitOnPreemption must be true or false.", {
        checkpoint,
      });
    this.#checkpoint = checkpoint;
    this.#signals = [...new Set(signals)];
    this.#deadline = deadline;
    this.#exit = exit;
    this.#uncommitted = uncommitted;
  }

  /** Aborted (its reason a `CheckpointPreemptedError`) when the first watched signal arrives. */
  get signal(): AbortSignal {
    return this.#signals.length === 0 ? NEVER : this.#controller.signal;
  }

  /** The first watched signal that arrived, if any. */
  get received(): PreemptionSignal | undefined {
    return this.#received;
  }

  /** Installs the handlers. */
  start(): void {
    for (const signal of this.#signals) {
      const handler = () => this.#onSignal(signal);
      this.#handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** The error a preempted `write()` throws after committing `committed` (or nothing). */
  error(committed?: { readonly writeCount: number; readonly commitId: string }): CheckpointPreemptedError {
    const signal = this.#received ?? "SIGTERM";
    return new CheckpointPreemptedError(this.#checkpoint, signal, exitCodeOf(signal), committed);
  }

  /**
   * Removes the handlers and the deadline. After a signal, with `exitOnPreemption`, exits the
   * process with 128 + its number once the settled `run()` has reached its callers: `outcome` is
   * what `run()` settles with, reported on stderr.
   */
  end(outcome: unknown): void {
    for (const [signal, handler] of this.#handlers) process.off(signal, handler);
    this.#handlers.clear();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const signal = this.#received;
    if (signal === undefined || !this.#exit) return;
    const code = exitCodeOf(signal);
    let what = "the run ended";
    if (outcome instanceof CheckpointPreemptedError)
      what =
        outcome.writeCount === undefined
          ? "no write boundary was committed"
          : `committed the write boundary at writeCount ${outcome.writeCount} (${outcome.commitId})`;
    else if (outcome !== undefined)
      what = `the run ended with: ${outcome instanceof Error ? outcome.message : String(outcome)}`;
    process.stderr.write(
      `ckpt: checkpoint "${this.#checkpoint}" received ${signal}; ${what}; exiting with ${code}.\n`,
    );
    // A tick later, so the rejection reaches the caller's synchronous catch first. Left uncaught
    // (no catch, or a top-level await), Node would exit with 1 before that tick: this listener, only
    // added now that the process is about to exit, makes it 128 + n.
    process.on("uncaughtException", (error) => {
      if (error !== outcome)
        process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(code);
    });
    process.nextTick(() => process.exit(code));
  }

  #onSignal(signal: PreemptionSignal): void {
    if (this.#received !== undefined) {
      process.stderr.write(
        `ckpt: checkpoint "${this.#checkpoint}" received ${signal} while preempted; exiting with ${exitCodeOf(signal)} at once (${this.#uncommitted()} write(s) since the last commit are lost).\n`,
      );
      process.exit(exitCodeOf(signal));
    }
    this.#received = signal;
    this.#controller.abort(this.error());
    // Past setTimeout's largest delay (about 24.8 days) there is no deadline to keep.
    if (this.#deadline > 2_147_483_647) return;
    this.#timer = setTimeout(() => {
      const code = exitCodeOf(signal);
      process.stderr.write(
        `ckpt: checkpoint "${this.#checkpoint}" received ${signal} and committed no write boundary within ${this.#deadline} ms; exiting with ${code}. The rows committed before stay; ${this.#uncommitted()} write(s) since the last commit are lost.\n`,
      );
      process.exit(code);
    }, this.#deadline);
  }
}
