/**
 * A barrier for `size` parties, one per step: `await arrive(step)` resolves once `size` calls
 * for that step arrived. It stands in for the collective (all-reduce, barrier) every step of a
 * coupled job makes, for ranks run as in-process checkpoints.
 *
 * @example
 * const arrive = stepBarrier(4);
 * await Promise.all([0, 1, 2, 3].map(async (rank) => { await arrive(1); await sessions[rank].write(); }));
 */
export function stepBarrier(size: number): (step: number) => Promise<void> {
  const waiting = new Map<number, { count: number; release: () => void; done: Promise<void> }>();
  return (step) => {
    let entry = waiting.get(step);
    if (entry === undefined) {
      let release!: () => void;
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      entry = { count: 0, release, done };
      waiting.set(step, entry);
    }
    if (++entry.count === size) entry.release();
    return entry.done;
  };
}
