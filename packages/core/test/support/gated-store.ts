/**
 * A store whose puts (or deletes) of chosen keys wait at a gate until the test opens it: a commit
 * can be held mid-upload, or its clean-up mid-deletion, deterministically, while the test changes
 * live state or aborts.
 */
import { ForwardingStore, type StoreCall, type StoreOp } from "../../src/index.js";

export class GatedStore extends ForwardingStore {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #held: (() => void) | undefined;
  #match: (key: string) => boolean = () => false;
  #op: StoreOp = "put";

  /**
   * Holds the next calls of `op` (puts by default) whose key `match`es (a delete's key is its keys
   * joined by `,`); resolves once the first of them is held.
   */
  hold(match: (key: string) => boolean, op: "put" | "delete" = "put"): Promise<void> {
    this.#match = match;
    this.#op = op;
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
    return new Promise((resolve) => {
      this.#held = resolve;
    });
  }

  /** Lets the held puts (and later ones) through. */
  release(): void {
    this.#match = () => false;
    this.#open?.();
  }

  protected override async around<T>(call: StoreCall, run: () => Promise<T>): Promise<T> {
    if (call.op === this.#op && this.#match(call.key) && this.#gate !== undefined) {
      this.#held?.();
      await this.#gate;
    }
    return run();
  }
}

/** Lets `turns` turns of the event loop pass (work already queued, such as a checksum, runs). */
export async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}
