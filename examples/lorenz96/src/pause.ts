import { CkptError, ForwardingStore, type Store, type StoreCall } from "@ckpt/core";

/**
 * Where the demo stops the job. The commit protocol puts every object of a commit, then its
 * `manifest.json`, then swaps `catalog.json` (the commit point), so these are the places where a
 * crash leaves a different picture behind.
 */
export const KILL_POINTS = [
  "between-steps",
  "mid-commit",
  "before-commit-point",
  "after-commit-point",
] as const;

/** One of {@link KILL_POINTS}. */
export type KillPoint = (typeof KILL_POINTS)[number];

/** What each kill point means, for the demo's output. */
export const KILL_POINT_TEXT: Readonly<Record<KillPoint, string>> = {
  "between-steps": "after the step's output files were written, before session.write()",
  "mid-commit": "in the middle of a commit: some of its objects stored, no manifest yet",
  "before-commit-point":
    "in the middle of a commit: objects and manifest stored, catalog.json not yet swapped",
  "after-commit-point": "just after the catalog.json swap (the commit point), before anything else",
};

/** A planned stop: during write number `write` (1-based), at `point`. */
export interface PausePlan {
  readonly write: number;
  readonly point: KillPoint;
}

/** Parses `"17:mid-commit"`. */
export function parsePausePlan(text: string, option = "--pause"): PausePlan {
  const [writeText, point] = text.split(":");
  const write = Number(writeText);
  if (!Number.isInteger(write) || write < 1 || !KILL_POINTS.includes(point as KillPoint))
    throw new CkptError(
      "E_USAGE",
      `${option} must be <write>:<${KILL_POINTS.join("|")}>, not ${JSON.stringify(text)}`,
    );
  return { write, point: point as KillPoint };
}

const never = new Promise<never>(() => {});

/**
 * The demo's instrument: a store wrapper that stops the job at a planned point of a planned write,
 * so the signal that follows lands exactly there every run instead of wherever a timer happens to
 * fall. Without `resume` the job freezes: every store call hangs forever, which is also how the
 * in-process (memory://) variant stands in for a killed process. With `resume` (the SIGTERM case)
 * it holds until that promise settles (the preemption signal arrived), then goes on.
 */
export class PausingStore extends ForwardingStore {
  readonly #plan: PausePlan | undefined;
  readonly #onPause: (plan: PausePlan) => void;
  readonly #resume: Promise<void> | undefined;
  #write = 0;
  #paused = false;
  #frozen = false;

  constructor(
    inner: Store,
    plan: PausePlan | undefined,
    onPause: (plan: PausePlan) => void,
    resume?: Promise<void>,
  ) {
    super(inner);
    this.#plan = plan;
    this.#onPause = onPause;
    this.#resume = resume;
  }

  /** Whether the job has been frozen. */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** The job calls this before each `session.write()` with the write's 1-based number. */
  beginWrite(write: number): void {
    this.#write = write;
  }

  /** Stops here if the plan says so (for the points that are not store calls). */
  async checkpointReached(point: KillPoint): Promise<void> {
    if (this.#due(point)) await this.#pause();
  }

  #due(point: KillPoint): boolean {
    return !this.#paused && this.#plan?.point === point && this.#plan.write === this.#write;
  }

  // Freezes for good, or holds until `resume` settles.
  async #pause(): Promise<void> {
    this.#paused = true;
    this.#frozen = this.#resume === undefined;
    this.#onPause(this.#plan!);
    await (this.#resume ?? never);
  }

  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (this.#frozen) return never;
    if (call.op !== "put") return run();
    const { key } = call;
    const isCatalog = key.endsWith("/catalog.json") || key === "catalog.json";
    const isManifest = key.endsWith("/manifest.json");
    if (isCatalog && this.#due("before-commit-point")) await this.#pause();
    const info = await run();
    if (this.#frozen) return never;
    if (!isCatalog && !isManifest && key.includes("/commits/") && this.#due("mid-commit"))
      await this.#pause();
    if (isCatalog && this.#due("after-commit-point")) await this.#pause();
    return info;
  }
}
