/**
 * A Store wrapper that records every call with its start and end on one logical clock, so the
 * benchmark can count store calls per commit and the sequential steps among them: a step is a
 * maximal group of calls whose lifetimes overlap (calls sent in parallel form one step; a call
 * that starts only after the previous ones ended starts a new one).
 */
import { ForwardingStore, type StoreCall } from "@ckpt/core/testing";

/** One recorded store call; `end` is undefined while it is in flight. */
export interface RecordedCall {
  readonly op: string;
  readonly key: string;
  readonly start: number;
  end: number | undefined;
  /** Wall-clock start and end (`performance.now()`, ms), for timelines in time. */
  readonly startMs: number;
  endMs: number | undefined;
}

/** What the calls in one window of time add up to. */
export interface CallSummary {
  /** Calls started in the window. */
  readonly calls: number;
  /** Calls started and finished in the window, per operation, in order of start (e.g. `put×5`). */
  readonly ops: string;
  /** Sequential steps among the calls that finished in the window. */
  readonly steps: number;
  /** Calls started in the window still running at its end (e.g. a clean-up left in the background). */
  readonly background: number;
}

/** Counts overlapping groups of [start, end] intervals. */
export function sequentialSteps(calls: readonly { start: number; end: number }[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  let steps = 0;
  let reach = Number.NEGATIVE_INFINITY;
  for (const call of sorted) {
    if (call.start > reach) steps++;
    reach = Math.max(reach, call.end);
  }
  return steps;
}

function describeOps(calls: readonly RecordedCall[]): string {
  const parts: string[] = [];
  let last = "";
  let count = 0;
  const flush = () => {
    if (count > 0) parts.push(count > 1 ? `${last}×${count}` : last);
  };
  for (const call of calls) {
    const name = `${call.op}(${call.key.split("/").at(-1) ?? ""})`;
    const named =
      call.op === "delete" || call.key.endsWith("catalog.json") || call.key.endsWith("manifest.json");
    const kind = named ? name : call.op;
    if (kind === last) count++;
    else {
      flush();
      last = kind;
      count = 1;
    }
  }
  flush();
  return parts.join(", ");
}

/** Records calls to `inner`; see {@link CallTimelineStore.summarizeSince}. */
export class CallTimelineStore extends ForwardingStore {
  readonly calls: RecordedCall[] = [];
  #clock = 0;

  /** The current time on the call clock: pass it to {@link summarizeSince}. */
  mark(): number {
    return ++this.#clock;
  }

  /** Forgets recorded calls. */
  reset(): void {
    this.calls.length = 0;
  }

  /** Sums up the calls started after `mark` (a value of {@link mark}) up to now. */
  summarizeSince(mark: number): CallSummary {
    const now = this.mark();
    const window = this.calls.filter((call) => call.start > mark);
    const finished = window.filter((call) => call.end !== undefined && call.end < now) as (RecordedCall & {
      end: number;
    })[];
    return {
      calls: window.length,
      ops: describeOps(finished),
      steps: sequentialSteps(finished),
      background: window.length - finished.length,
    };
  }

  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    const key = call.op === "delete" ? `${call.keys.length} keys` : call.key;
    const entry: RecordedCall = {
      op: call.op,
      key,
      start: ++this.#clock,
      end: undefined,
      startMs: performance.now(),
      endMs: undefined,
    };
    this.calls.push(entry);
    try {
      return await run();
    } finally {
      entry.end = ++this.#clock;
      entry.endMs = performance.now();
    }
  }
}
