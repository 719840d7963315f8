/**
 * Cuts a body's chunks into parts of exactly `partSize` bytes (the last one shorter), each part
 * the list of views of the chunks it spans: nothing is copied, not even at a chunk boundary (an
 * `.npy` header plus the start of its array, or a stream's small pieces). Only the chunks of the
 * parts not yet sent are held, so memory stays bounded by the parts in flight.
 *
 * @example
 * for await (const views of cutParts([header, data], 16 * 1024 * 1024)) send(views);
 */
export async function* cutParts(
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  partSize: number,
): AsyncGenerator<Uint8Array[]> {
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const take = Math.min(partSize - heldBytes, chunk.byteLength - offset);
      held.push(chunk.subarray(offset, offset + take));
      offset += take;
      heldBytes += take;
      if (heldBytes === partSize) {
        yield held;
        held = [];
        heldBytes = 0;
      }
    }
  }
  if (heldBytes > 0) yield held;
}

/** The total length of a part's (or any chunk list's) views. */
export function byteLengthOf(chunks: readonly Uint8Array[]): number {
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  return size;
}
