/**
 * Shares folder fsyncs between puts. A rename is durable once an fsync of its folder that
 * started after the rename has finished, so puts that finish together (a commit's objects, all
 * in one folder) can share one fsync instead of queueing one each behind the disk.
 *
 * A put asking for a sync joins the one waiting to start if there is one; otherwise it starts one
 * at once, or, while one is running (it may have started before the put's rename), queues one to
 * start when that finishes.
 */
export class FolderSyncs {
  readonly #waiting = new Map<string, Promise<void>>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #syncNow: (dir: string) => Promise<void>;

  constructor(syncNow: (dir: string) => Promise<void>) {
    this.#syncNow = syncNow;
  }

  /** Resolves once an fsync of `dir` that started after this call has finished. */
  sync(dir: string): Promise<void> {
    const waiting = this.#waiting.get(dir);
    if (waiting !== undefined) return waiting;
    const running = this.#running.get(dir);
    if (running === undefined) return this.#start(dir);
    const next = running.catch(() => undefined).then(() => this.#start(dir));
    this.#waiting.set(dir, next);
    return next;
  }

  async #start(dir: string): Promise<void> {
    // From here on a new rename needs a later sync than this one.
    this.#waiting.delete(dir);
    const run = this.#syncNow(dir);
    this.#running.set(dir, run);
    try {
      await run;
    } finally {
      if (this.#running.get(dir) === run) this.#running.delete(dir);
    }
  }
}
