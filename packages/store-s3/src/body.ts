import { Readable } from "node:stream";
import { type Body, concatChunks, throwIfAborted } from "@ckpt/core";

/** A body ready to send: one array for a `PutObject`, or a source for a multipart upload. */
export type PreparedBody =
  | { readonly kind: "single"; readonly bytes: Uint8Array }
  | {
      readonly kind: "multipart";
      /** A single array (cut into parts by views) or a stream of at most part-sized views. */
      readonly source: Uint8Array | Readable;
      /** Total length when known. */
      readonly size: number | undefined;
    };

/**
 * Views of at most this many bytes feed lib-storage's part assembler. It concatenates everything it
 * holds once it has more than a part, so whole large chunks would be copied at once; small views
 * keep each copy to about one part (and the total copied to about the body's size, in part-sized
 * buffers, never the whole body at once).
 */
export const PIECE_SIZE = 1024 * 1024;

/** Cuts chunks into views (not copies) of at most `pieceSize` bytes. */
export function* pieces(chunks: Iterable<Uint8Array>, pieceSize: number): Generator<Uint8Array> {
  for (const chunk of chunks)
    for (let offset = 0; offset < chunk.byteLength; offset += pieceSize)
      yield chunk.subarray(offset, Math.min(offset + pieceSize, chunk.byteLength));
}

async function* piecesAsync(
  head: readonly Uint8Array[],
  rest: AsyncIterator<Uint8Array>,
  pieceSize: number,
  signal: AbortSignal | undefined,
  key: string,
): AsyncGenerator<Uint8Array> {
  yield* pieces(head, pieceSize);
  for (;;) {
    throwIfAborted(signal, key);
    const next = await rest.next();
    if (next.done) return;
    yield* pieces([next.value], pieceSize);
  }
}

/**
 * Turns a store body into what the SDK sends, copying as little as possible:
 * - up to `threshold` bytes: one array (a single chunk as it is, several joined once);
 * - larger: a multipart source; one non-empty chunk is handed over as it is (lib-storage cuts it
 *   into parts by `subarray`), several chunks become a stream of views.
 * An async iterable is read until it passes `threshold` (or its declared `size` says so), then
 * the rest streams.
 */
export async function prepareBody(
  body: Body,
  options: {
    readonly threshold: number;
    readonly partSize: number;
    readonly size: number | undefined;
    readonly signal: AbortSignal | undefined;
    readonly key: string;
  },
): Promise<PreparedBody> {
  const { threshold, partSize, signal, key } = options;
  if (body instanceof Uint8Array)
    return body.byteLength <= threshold
      ? { kind: "single", bytes: body }
      : { kind: "multipart", source: body, size: body.byteLength };
  if (Array.isArray(body)) {
    const chunks = (body as readonly Uint8Array[]).filter((chunk) => chunk.byteLength > 0);
    const size = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    if (size <= threshold)
      return { kind: "single", bytes: concatChunks(chunks.length ? chunks : [new Uint8Array(0)], size) };
    if (chunks.length === 1) return { kind: "multipart", source: chunks[0]!, size };
    return { kind: "multipart", source: Readable.from(pieces(chunks, Math.min(partSize, PIECE_SIZE))), size };
  }
  const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let read = 0;
  if (options.size === undefined || options.size <= threshold) {
    for (;;) {
      throwIfAborted(signal, key);
      const next = await iterator.next();
      if (next.done) {
        throwIfAborted(signal, key);
        return { kind: "single", bytes: concatChunks(head.length ? head : [new Uint8Array(0)], read) };
      }
      if (next.value.byteLength === 0) continue;
      head.push(next.value);
      read += next.value.byteLength;
      if (read > threshold) break;
    }
  }
  return {
    kind: "multipart",
    source: Readable.from(piecesAsync(head, iterator, Math.min(partSize, PIECE_SIZE), signal, key)),
    size: options.size,
  };
}
