/**
 * Runs `task` over `items` with at most `concurrency` in flight, in order of start, and resolves
 * to the results in the order of the items. The first failure aborts the signal handed to the
 * other tasks, starts no further task, waits for those in flight to settle, and rejects with that
 * failure, so no call is left running behind the caller's back.
 *
 * `items` may be an array, any iterable, or an async iterable: items are then pulled one at a
 * time, only when a task slot is free, so a producer of large pieces (the parts of an upload) is
 * never read ahead of the bound.
 *
 * @example
 * await mapBounded(keys, 16, signal, (key, signal) => deleteOne(key, signal));
 */
export async function mapBounded<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  signal: AbortSignal | undefined,
  task: (item: T, signal: AbortSignal, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  const controller = new AbortController();
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  let count = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    failure = { error };
    controller.abort(error);
  };
  // Pulls are chained: an async iterator is never asked for two items at once.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<{ item: T; index: number } | undefined> => {
    const next = pulling.then(async () => {
      if (done || failure !== undefined) return undefined;
      const step = await iterator.next();
      if (step.done) {
        done = true;
        return undefined;
      }
      return { item: step.value, index: count++ };
    });
    pulling = next.catch(() => undefined);
    return next;
  };
  const worker = async () => {
    while (failure === undefined) {
      let next: { item: T; index: number } | undefined;
      try {
        next = await pull();
      } catch (error) {
        fail(error);
        return;
      }
      if (next === undefined) return;
      try {
        results[next.index] = await task(next.item, combined, next.index);
      } catch (error) {
        fail(error);
      }
    }
  };
  const width = Array.isArray(items) ? Math.min(concurrency, items.length) : concurrency;
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker));
  if (failure !== undefined) {
    if (!done) await Promise.resolve(iterator.return?.()).catch(() => undefined);
    throw failure.error;
  }
  return results;
}
