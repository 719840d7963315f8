import { concatChunks } from "@ckpt/core";

/**
 * Cuts a body's chunks into parts of exactly `partSize` bytes (the last one shorter). A part that
 * lies inside one chunk is a view of it (no copy); only a part made of several chunks (e.g. an
 * `.npy` header plus the start of its array, or a stream's small pieces) is joined into a new
 * array, so copying is bounded by one part per chunk boundary rather than the whole body.
 *
 * @example
 * for await (const part of cutParts([header, data], 16 * 1024 * 1024)) send(part);
 */
export async function* cutParts(
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  partSize: number,
): AsyncGenerator<Uint8Array> {
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const take = Math.min(partSize - heldBytes, chunk.byteLength - offset);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      if (heldBytes === 0 && take === partSize) {
        yield piece;
        continue;
      }
      held.push(piece);
      heldBytes += take;
      if (heldBytes === partSize) {
        yield concatChunks(held, heldBytes);
        held = [];
        heldBytes = 0;
      }
    }
  }
  if (heldBytes > 0) yield concatChunks(held, heldBytes);
}
