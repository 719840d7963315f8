/**
 * Checksum and digest throughput on this machine: ckpt computes a CRC-32 over every byte it commits
 * and restores, so on fast media (page cache, memfs) it costs about as much as the I/O. Measured on
 * a 256 MiB buffer in one run, each as a ratio to zlib's `crc32`: the CRC-32 core uses (SIMD
 * `@node-rs/crc32`, zlib as the fallback), and the 128-bit content digests an incremental commit
 * could key objects by (XXH3-128 from `xxhash-addon`, `@node-rs/xxhash` and `hash-wasm`, SHA-256 from
 * node:crypto), plus a plain copy of the bytes for scale.
 */
import { createHash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import { CHECKSUM_IMPLEMENTATION, checksumOf, DIGEST_IMPLEMENTATION } from "@ckpt/core";
import { crc32 as nativeCrc32 } from "@node-rs/crc32";
import { xxh3 } from "@node-rs/xxhash";
import { createXXHash128 } from "hash-wasm";
import { NativeXXHash128 } from "./content-digest.js";
import { MiB, mibPerSecond, type Summary, summarize } from "./stats.js";

export interface ChecksumResult {
  readonly name: string;
  /** MiB/s over the runs. */
  readonly rate: Summary;
  /** Median rate over zlib.crc32's median rate in the same run (undefined for zlib itself). */
  readonly ratioToZlib?: number | undefined;
  /** Whether it can sum a body piece by piece (as puts and gets hand the pieces over). */
  readonly incremental: boolean;
}

function rateOf(bytes: Uint8Array, runs: number, fn: (bytes: Uint8Array) => unknown): Summary {
  fn(bytes.subarray(0, MiB));
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn(bytes);
    rates.push(mibPerSecond(bytes.byteLength, performance.now() - start));
  }
  return summarize(rates);
}

/** Sums `bytes` in 2 MiB pieces, as a store hands them over. */
const inPieces = (bytes: Uint8Array, update: (piece: Uint8Array) => void) => {
  for (let offset = 0; offset < bytes.byteLength; offset += 2 * MiB)
    update(bytes.subarray(offset, offset + 2 * MiB));
};

/** Measures each function `runs` times over 256 MiB; rates as MiB/s, ratios to zlib.crc32. */
export async function measureChecksums(runs = 5): Promise<ChecksumResult[]> {
  const bytes = new Uint8Array(256 * MiB);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
  if (nativeCrc32(bytes) !== zlibCrc32(bytes)) throw new Error("@node-rs/crc32 disagrees with zlib.crc32");
  const target = new Uint8Array(bytes.byteLength);
  const wasm128 = await createXXHash128();
  const native128 = new NativeXXHash128(Buffer.alloc(8));
  const measured: [string, boolean, (b: Uint8Array) => unknown][] = [
    ["memcpy (Uint8Array.set, for scale)", false, (b) => target.set(b)],
    ["zlib.crc32 (node:zlib, the fallback)", true, (b) => zlibCrc32(b)],
    ["@node-rs/crc32 (SIMD, same values)", true, (b) => nativeCrc32(b)],
    [`@ckpt/core checksumOf (${CHECKSUM_IMPLEMENTATION})`, true, (b) => checksumOf(b)],
    [
      `XXH3-128, xxhash-addon (native, in 2 MiB pieces${DIGEST_IMPLEMENTATION === "xxhash-addon" ? "; core's digest" : ""})`,
      true,
      (b) => {
        native128.reset();
        inPieces(b, (piece) =>
          native128.update(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)),
        );
        return native128.digest();
      },
    ],
    ["XXH3-128, @node-rs/xxhash (one shot only)", false, (b) => xxh3.xxh128(b)],
    [
      "XXH3-128, hash-wasm (WebAssembly, in 2 MiB pieces)",
      true,
      (b) => {
        wasm128.init();
        inPieces(b, (piece) => wasm128.update(piece));
        return wasm128.digest("binary");
      },
    ],
    [
      "SHA-256, node:crypto (OpenSSL, in 2 MiB pieces)",
      true,
      (b) => {
        const hash = createHash("sha256");
        inPieces(b, (piece) => hash.update(piece));
        return hash.digest();
      },
    ],
  ];
  const results = measured.map(([name, incremental, fn]) => ({
    name,
    incremental,
    rate: rateOf(bytes, runs, fn),
  }));
  const zlib = results[1]?.rate.median ?? Number.NaN;
  return results.map((result) => ({ ...result, ratioToZlib: result.rate.median / zlib }));
}
