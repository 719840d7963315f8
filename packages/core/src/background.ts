/**
 * The commits a session uploads in the background: one after another in the order they were
 * started (so rows land in write order), at most `limit` started and not yet durable, and the
 * first failure kept until the session reports it.
 */
export interface BackgroundCommit {
  /** Uploads the commit; resolves once its catalog swap is done. */
  readonly run: () => Promise<void>;
  /** Called instead of `run` (or after `run` failed) to release what the commit held. */
  readonly settle: (failure: unknown) => void;
}

export class BackgroundCommits {
  readonly #limit: number;
  #tail: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #waiters: (() => void)[] = [];
  #failure: { readonly error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Commits started and not yet durable or failed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Whether a commit started now would have to wait for a slot. */
  get full(): boolean {
    return this.#inFlight >= this.#limit;
  }

  /** Waits until one more commit may start (backpressure). */
  async slot(): Promise<void> {
    while (this.#inFlight >= this.#limit) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Starts `commit` after every commit started before it. A commit queued behind a failed one is
   * not uploaded: a later row must not land without the earlier one.
   */
  start(commit: BackgroundCommit): void {
    this.#inFlight += 1;
    this.#tail = this.#tail.then(async () => {
      try {
        if (this.#failure !== undefined) throw this.#failure.error;
        await commit.run();
        commit.settle(undefined);
      } catch (error) {
        this.#failure ??= { error };
        commit.settle(error);
      } finally {
        this.#inFlight -= 1;
        this.#waiters.shift()?.();
      }
    });
  }

  /** Throws (once) the first failure since the last one was reported. */
  throwFailure(): void {
    const failure = this.#failure;
    if (failure === undefined) return;
    this.#failure = undefined;
    throw failure.error;
  }

  /** Resolves when every commit started so far settled, then throws the first failure, if any. */
  async drain(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
    this.throwFailure();
  }
}
