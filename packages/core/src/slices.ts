/** Resolves after a turn of the event loop: the I/O callbacks due meanwhile run first. */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Hands `chunks` to `update` in slices of at most `sliceBytes`, with a turn of the event loop after
 * every `sliceBytes`, so I/O already started (the put of the same bytes, other puts) progresses
 * while this thread sums or hashes.
 *
 * @param stop polled before each slice; when it returns true the pass is abandoned.
 * @returns false when `stop` ended the pass, true when every byte went to `update`.
 */
export async function eachSlice(
  chunks: readonly Uint8Array[],
  sliceBytes: number,
  update: (slice: Uint8Array) => void,
  stop: () => boolean,
): Promise<boolean> {
  let sinceTurn = 0;
  for (const chunk of chunks)
    for (let offset = 0; offset < chunk.byteLength; offset += sliceBytes) {
      if (stop()) return false;
      const slice = chunk.subarray(offset, Math.min(offset + sliceBytes, chunk.byteLength));
      update(slice);
      sinceTurn += slice.byteLength;
      if (sinceTurn >= sliceBytes) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
  return true;
}
