import { crc32Choice } from "./crc32.js";
import { eachSlice, nextTurn } from "./slices.js";

const { crc32 } = crc32Choice;

/**
 * Object checksums recorded in manifests: `"crc32:<8 hex digits>"` (CRC-32/ISO-HDLC, as zlib and
 * S3's `x-amz-checksum-crc32` compute it). CRC-32 runs at several GB/s, so verifying every object
 * on restore costs little next to the read; the algorithm prefix leaves room for stronger digests
 * later without a format break.
 */
export const CHECKSUM_ALGORITHM = "crc32";

/**
 * Where this process computes CRC-32: `"@node-rs/crc32"` (SIMD, native, the default where its
 * prebuilt binary loads) or `"node:zlib"` (the fallback). Both give the same values.
 */
export const CHECKSUM_IMPLEMENTATION: "@node-rs/crc32" | "node:zlib" = crc32Choice.implementation;

/** Incremental checksum over a sequence of chunks. */
export class Checksum {
  #state = 0;
  #size = 0;

  update(chunk: Uint8Array): this {
    // Node 20's zlib.crc32 returns 0, not the running value, for a zero-length view over a
    // zero-length buffer; no bytes leave the checksum as it is.
    if (chunk.byteLength === 0) return this;
    this.#state = crc32(chunk, this.#state);
    this.#size += chunk.byteLength;
    return this;
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  /** The checksum string, e.g. `"crc32:0a1b2c3d"`. */
  digest(): string {
    return `${CHECKSUM_ALGORITHM}:${this.#state.toString(16).padStart(8, "0")}`;
  }
}

/** The checksum of one array or a list of chunks. */
export function checksumOf(body: Uint8Array | readonly Uint8Array[]): string {
  const sum = new Checksum();
  if (body instanceof Uint8Array) sum.update(body);
  else for (const chunk of body) sum.update(chunk);
  return sum.digest();
}

/** Bytes summed between two turns of the event loop (about a millisecond of CRC-32). */
const SLICE_BYTES = 4 * 1024 * 1024;

/**
 * The checksum of `chunks`, summed a slice at a time with a turn of the event loop between slices,
 * so I/O already started on the same bytes (their put) makes progress while this thread sums:
 * the checksum then costs little more than the I/O instead of being added to it.
 *
 * @param stop polled between slices; when it returns true the sum is abandoned (`undefined`), e.g.
 *   because the put it shadows has failed.
 */
export async function checksumBeside(
  chunks: readonly Uint8Array[],
  stop: () => boolean,
): Promise<string | undefined> {
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  // A small body is summed at once: a turn of the event loop would cost more than the sum, and
  // would put a gap between a commit's small puts.
  if (total <= SLICE_BYTES) return checksumOf(chunks);
  const sum = new Checksum();
  // First let the caller start its other puts: they should all be in flight while this sums.
  await nextTurn();
  if (!(await eachSlice(chunks, SLICE_BYTES, (slice) => sum.update(slice), stop))) return undefined;
  return sum.digest();
}

/**
 * Sums an object while a store reads it, from the pieces the store hands to
 * {@link GetOptions.onChunk}. A read that starts over (offset 0 again) starts the sum over; a
 * piece out of order makes {@link ChecksumOfPieces.digestFor} return `undefined`, so the caller
 * sums the returned bytes itself.
 */
export class ChecksumOfPieces {
  #sum = new Checksum();
  #next = 0;
  #inOrder = true;

  /** Pass as `GetOptions.onChunk`. */
  readonly onChunk = (chunk: Uint8Array, offset: number): void => {
    if (offset === 0) {
      this.#sum = new Checksum();
      this.#next = 0;
      this.#inOrder = true;
    }
    if (!this.#inOrder) return;
    if (offset !== this.#next) {
      this.#inOrder = false;
      return;
    }
    this.#sum.update(chunk);
    this.#next += chunk.byteLength;
  };

  /** The checksum of the `size` bytes read, when the pieces covered exactly them, in order. */
  digestFor(size: number): string | undefined {
    return this.#inOrder && this.#next === size ? this.#sum.digest() : undefined;
  }
}
