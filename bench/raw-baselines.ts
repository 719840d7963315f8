/**
 * The raw baselines: the state's array bytes written and read as plain objects, one object per
 * array, with the same number of calls in flight as a ckpt commit allows (the commit protocol's
 * default object concurrency, 8) and the store SDK's own per-object parallelism in both cases.
 */
import type { RawIo } from "./stores.js";

/** Object puts and reads in flight at once in a ckpt commit (CatalogClient's default). */
export const OBJECT_CONCURRENCY = 8;

async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Writes each part as object `part-<i>`; resolves to the elapsed milliseconds. */
export async function rawWrite(raw: RawIo, parts: readonly Uint8Array[]): Promise<number> {
  const start = performance.now();
  await eachBounded(parts, OBJECT_CONCURRENCY, (part, index) => raw.write(`part-${index}`, part));
  return performance.now() - start;
}

/**
 * Reads back what {@link rawWrite} wrote and checks the sizes (a plain read: no checksum, which
 * the ckpt restore does compute); resolves to the elapsed milliseconds.
 */
export async function rawRead(raw: RawIo, parts: readonly Uint8Array[]): Promise<number> {
  const start = performance.now();
  await eachBounded(parts, OBJECT_CONCURRENCY, async (part, index) => {
    const bytes = await raw.read(`part-${index}`);
    if (bytes.byteLength !== part.byteLength)
      throw new Error(`raw read of part-${index}: ${bytes.byteLength} bytes, wrote ${part.byteLength}`);
  });
  return performance.now() - start;
}
