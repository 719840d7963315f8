import { createRequire } from "node:module";
import { createXXHash128 } from "hash-wasm";
import { eachSlice } from "./slices.js";

/**
 * Content digests that identify an object's bytes for incremental commits: `"xxh3-128:<32 hex>"`
 * (XXH3-128, seed 0, chosen by measurement: BENCHMARKS.md, "Which 128-bit content digest"). The
 * CRC-32 stays the integrity check of every read; the digest only says whether a blob equals one
 * already stored, so it need not resist a forger, but 32 bits would collide.
 */
export const DIGEST_ALGORITHM = "xxh3-128";

/** A running XXH3-128: `update` with pieces in order, then `digest` as 32 hex digits. */
interface Hasher {
  init(): void;
  update(piece: Uint8Array): void;
  digest(): string;
}

/** The XXH3-128 implementation in use, the bytes it hashes between two turns of the event loop. */
export interface DigestChoice {
  readonly implementation: "xxhash-addon" | "hash-wasm";
  /** About a millisecond of hashing: uploads already started progress between slices. */
  readonly sliceBytes: number;
  readonly create: () => Promise<Hasher>;
}

interface NativeXxh128 {
  update(data: Buffer): void;
  digest(): Buffer;
  reset(): void;
}
type NativeXxh128Class = new (seed: Buffer) => NativeXxh128;

const asBuffer = (piece: Uint8Array) => Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);

const wasm: DigestChoice = {
  implementation: "hash-wasm",
  sliceBytes: 4 * 1024 * 1024,
  create: async () => {
    const hasher = await createXXHash128();
    return {
      init: () => hasher.init(),
      update: (piece) => hasher.update(piece),
      digest: () => hasher.digest("hex"),
    };
  },
};

/** XXH3-128 (seed 0) of {@link knownAnswerInput}, as `hash-wasm` and the reference computes it. */
const KNOWN_ANSWER = "d1e13ff223d9a3f58eb87e30b68e2168";
const knownAnswerInput = () => new Uint8Array(100_003).map((_, i) => (i * 131 + (i >> 7)) & 255);

/**
 * XXH3-128 of the native `xxhash-addon` (prebuilt binaries inside its npm package; SIMD chosen at
 * run time, about 4 × `hash-wasm` here) when `load()` returns it and it gives the known digest of a
 * probe, summed in two pieces; `hash-wasm` (WebAssembly, runs everywhere) otherwise. Both give the
 * same digests, so either reuses what the other stored.
 */
export function chooseDigest(load: () => unknown): DigestChoice {
  try {
    const Native = (load() as { XXHash128?: unknown } | null)?.XXHash128;
    if (typeof Native !== "function") return wasm;
    const NativeClass = Native as NativeXxh128Class;
    const create = async (): Promise<Hasher> => {
      const hasher = new NativeClass(Buffer.alloc(8));
      return {
        init: () => hasher.reset(),
        update: (piece) => hasher.update(asBuffer(piece)),
        digest: () => hasher.digest().toString("hex"),
      };
    };
    const probe = knownAnswerInput();
    const hasher = new NativeClass(Buffer.alloc(8));
    hasher.update(asBuffer(probe.subarray(0, 65_536)));
    hasher.update(asBuffer(probe.subarray(65_536)));
    if (hasher.digest().toString("hex") !== KNOWN_ANSWER) return wasm;
    return { implementation: "xxhash-addon", sliceBytes: 16 * 1024 * 1024, create };
  } catch {
    return wasm;
  }
}

const require = createRequire(import.meta.url);

/** The XXH3-128 implementation of this process, chosen once at load. */
export const digestChoice: DigestChoice = chooseDigest(() => require("xxhash-addon"));

/** Which module computes this process's content digests: `"xxhash-addon"` or `"hash-wasm"`. */
export const DIGEST_IMPLEMENTATION: DigestChoice["implementation"] = digestChoice.implementation;

const free: Hasher[] = [];

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
  // Hashers are created once and reused; one per digest in progress.
  const hasher = free.pop() ?? (await digestChoice.create());
  hasher.init();
  try {
    const whole = await eachSlice(chunks, digestChoice.sliceBytes, (slice) => hasher.update(slice), stop);
    if (!whole) return undefined;
    return `${DIGEST_ALGORITHM}:${hasher.digest()}`;
  } finally {
    free.push(hasher);
  }
}
