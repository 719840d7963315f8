import { createXXHash128, type IHasher } from "hash-wasm";

/**
 * Content digests that identify an object's bytes for incremental commits: `"xxh3-128:<32 hex>"`
 * (XXH3-128 from `hash-wasm`, chosen by measurement: BENCHMARKS.md, "Which 128-bit content
 * digest"). The CRC-32 stays the integrity check of every read; the digest only says whether a
 * blob equals one already stored, so it need not resist a forger, but 32 bits would collide.
 */
export const DIGEST_ALGORITHM = "xxh3-128";

/** Bytes digested between two turns of the event loop (about a millisecond). */
const SLICE_BYTES = 4 * 1024 * 1024;

const free: IHasher[] = [];

// WebAssembly hashers are created once and reused; one per digest in progress.
async function takeHasher(): Promise<IHasher> {
  return free.pop() ?? (await createXXHash128());
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The content digest of `chunks`, a slice at a time with a turn of the event loop between slices,
 * so uploads already started make progress while this thread hashes.
 *
 * @param stop polled between slices; when it returns true the digest is abandoned (`undefined`).
 */
export async function digestOf(
  chunks: readonly Uint8Array[],
  stop: () => boolean = () => false,
): Promise<string | undefined> {
  const hasher = await takeHasher();
  hasher.init();
  let sinceTurn = 0;
  try {
    for (const chunk of chunks)
      for (let offset = 0; offset < chunk.byteLength; offset += SLICE_BYTES) {
        const slice = chunk.subarray(offset, Math.min(offset + SLICE_BYTES, chunk.byteLength));
        hasher.update(slice);
        sinceTurn += slice.byteLength;
        if (sinceTurn >= SLICE_BYTES) {
          sinceTurn = 0;
          await nextTurn();
          if (stop()) return undefined;
        }
      }
    return `${DIGEST_ALGORITHM}:${hasher.digest("hex")}`;
  } finally {
    free.push(hasher);
  }
}
