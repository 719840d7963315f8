import { TooLargeError } from "../errors.js";
import type { Body } from "./types.js";

/** The chunks of a body, in order, without copying them. */
export async function* bodyChunks(body: Body): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
  } else if (Array.isArray(body)) {
    yield* body as readonly Uint8Array[];
  } else {
    yield* body as AsyncIterable<Uint8Array>;
  }
}

/** The body's length when it can be known without consuming it. */
export function knownBodySize(body: Body): number | undefined {
  if (body instanceof Uint8Array) return body.byteLength;
  if (Array.isArray(body)) {
    let size = 0;
    for (const chunk of body as readonly Uint8Array[]) size += chunk.byteLength;
    return size;
  }
  return undefined;
}

/** Whether the body can be sent twice (an async iterable cannot). */
export function isReplayableBody(body: Body): body is Uint8Array | readonly Uint8Array[] {
  return body instanceof Uint8Array || Array.isArray(body);
}

/**
 * Joins chunks into one array. A single chunk is returned as it is; otherwise the one copy is
 * made into a buffer of the exact size.
 */
export function concatChunks(chunks: readonly Uint8Array[], size?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const total = size ?? chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The error for an object larger than a reader allowed: `new TooLargeError(key, maxBytes)`.
 * @deprecated Throw `new TooLargeError(key, maxBytes)`; this shorthand goes in the next release.
 */
export function tooLargeError(key: string | undefined, maxBytes: number): TooLargeError {
  return new TooLargeError(key, maxBytes);
}
