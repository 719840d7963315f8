/**
 * The XXH3-128 digest a commit takes of each object, by the implementation core chose in this
 * process (`DIGEST_IMPLEMENTATION`), for benchmarks that time it beside the commits.
 */
import { createRequire } from "node:module";
import { DIGEST_IMPLEMENTATION } from "@ckpt/core";
import { createXXHash128 } from "hash-wasm";

type NativeXxh128 = new (seed: Buffer) => { update(data: Buffer): void; digest(): Buffer; reset(): void };

const require = createRequire(import.meta.url);

/** The addon's streaming XXH3-128, as core's digest drives it. */
export const NativeXXHash128 = (require("xxhash-addon") as { XXHash128: NativeXxh128 }).XXHash128;

/** Digests `pieces` as one body, with the implementation core uses; returns the hex digest. */
export async function coreDigester(): Promise<(pieces: readonly Uint8Array[]) => string> {
  if (DIGEST_IMPLEMENTATION === "xxhash-addon") {
    const hasher = new NativeXXHash128(Buffer.alloc(8));
    return (pieces) => {
      hasher.reset();
      for (const piece of pieces)
        hasher.update(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
      return hasher.digest().toString("hex");
    };
  }
  const hasher = await createXXHash128();
  return (pieces) => {
    hasher.init();
    for (const piece of pieces) hasher.update(piece);
    return hasher.digest("hex");
  };
}
