import { StoreConfigError, StoreError, TransientStoreError } from "../errors.js";
import { ForwardingStore, type StoreCall, type StoreOp } from "../store/forwarding-store.js";
import type { GetStreamResult, Store } from "../store/types.js";
import { seededRandom } from "./seeded-random.js";

/**
 * How an injected fault fails a call:
 * - `"before"`: the call throws `TransientStoreError` and has NO effect;
 * - `"after"`: the call takes effect, then throws `TransientStoreError` (outcome unknown to the caller);
 * - `"lose-response"`: the call takes effect, then throws as a dropped connection would
 *   (`StoreError` with code `E_CONNECTION_LOST`).
 */
export type FaultKind = "before" | "after" | "lose-response";

/** One armed fault: fail the `at`-th call (1-based) of `ops` (default: every op) since the last reset. */
export interface Fault {
  at: number;
  kind: FaultKind;
  ops?: readonly StoreOp[];
}

/** One call seen by a {@link FaultyStore}. */
export interface FaultyStoreCall {
  readonly op: StoreOp;
  /** The key; for `list` the prefix; for `delete` the keys joined with `,`. */
  readonly key: string;
  /** Set when a fault (armed or random) failed this call. */
  readonly fault?: FaultKind;
}

/** Random transient failures on top of the armed faults. */
export interface FaultyStoreOptions {
  /** Probability in [0, 1] that a call fails with a `"before"` fault (no effect). Default 0. */
  transientRate?: number;
  /** Seed of the pseudo-random generator, so a failing run can be replayed. Default 1. */
  seed?: number;
  /** Operations random failures apply to. Default: every op. */
  transientOps?: readonly StoreOp[];
}

const ALL_OPS: readonly StoreOp[] = ["put", "get", "getStream", "head", "list", "delete"];

/**
 * A {@link Store} wrapper that fails chosen calls, for testing code that must survive store
 * failures (the commit protocol). Faults are counted per call since the last {@link reset}.
 *
 * @example
 * const store = new FaultyStore(await openStore("memory://t"));
 * // The 2nd put takes effect but its caller sees a dropped connection:
 * store.inject({ at: 2, kind: "lose-response", ops: ["put"] });
 */
export class FaultyStore extends ForwardingStore {
  readonly #options: Required<Omit<FaultyStoreOptions, "seed">>;
  readonly #seed: number;
  #random: () => number;
  #faults: Fault[] = [];
  #counts = new Map<StoreOp, number>();
  #calls: FaultyStoreCall[] = [];

  constructor(inner: Store, options: FaultyStoreOptions = {}) {
    const rate = options.transientRate ?? 0;
    if (!(rate >= 0 && rate <= 1))
      throw new StoreConfigError(`FaultyStore option transientRate must be in [0, 1], got ${rate}`);
    super(inner);
    this.#seed = options.seed ?? 1;
    this.#random = seededRandom(this.#seed);
    this.#options = { transientRate: rate, transientOps: options.transientOps ?? ALL_OPS };
  }

  /** Every call since {@link reset}, in call order. */
  get calls(): readonly FaultyStoreCall[] {
    return this.#calls;
  }

  /** Arms faults; `at` is 1-based, counted over calls (of `ops`, default all) since the last reset(). */
  inject(...faults: Fault[]): void {
    for (const fault of faults) {
      if (!Number.isInteger(fault.at) || fault.at < 1)
        throw new StoreConfigError(`Fault "at" must be an integer >= 1, got ${fault.at}`);
      this.#faults.push({ ...fault });
    }
  }

  /** Forgets faults and the call log, restarts counting (and the random sequence). */
  reset(): void {
    this.#faults = [];
    this.#counts.clear();
    this.#calls = [];
    this.#random = seededRandom(this.#seed);
  }

  /** Counts the call, picks the fault that fires on it (if any), and runs it accordingly. */
  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    // Faults target the six data operations; the store's own leftover sweep passes through.
    if (call.op === "sweep") return run();
    const { op, key } = call;
    this.#counts.set(op, (this.#counts.get(op) ?? 0) + 1);
    const kind = this.#pickFault(op);
    this.#calls.push(kind === undefined ? { op, key } : { op, key, fault: kind });
    if (kind === undefined) return run();
    if (kind === "before") throw new TransientStoreError(key, `injected fault before ${op}`);
    let cause: unknown;
    try {
      const result = await run();
      // A result thrown away must not keep a file handle or socket open.
      if (op === "getStream")
        await Promise.resolve((result as GetStreamResult).stream[Symbol.asyncIterator]().return?.()).catch(
          () => undefined,
        );
    } catch (error) {
      // The caller must not learn the real outcome either way.
      cause = error;
    }
    if (kind === "after")
      throw new TransientStoreError(key, `injected fault after ${op} took effect`, { cause });
    throw new StoreError("E_CONNECTION_LOST", `Connection lost (injected) during ${op} of "${key}"`, {
      key,
      cause,
    });
  }

  #pickFault(op: StoreOp): FaultKind | undefined {
    let fired: FaultKind | undefined;
    this.#faults = this.#faults.filter((fault) => {
      const ops = fault.ops ?? ALL_OPS;
      if (!ops.includes(op)) return true;
      let seen = 0;
      for (const counted of ops) seen += this.#counts.get(counted) ?? 0;
      if (seen < fault.at) return true;
      if (seen === fault.at && fired === undefined) fired = fault.kind;
      // A fault whose call has passed is spent.
      return false;
    });
    if (fired !== undefined) return fired;
    if (this.#options.transientRate > 0 && this.#options.transientOps.includes(op))
      if (this.#random() < this.#options.transientRate) return "before";
    return undefined;
  }
}
