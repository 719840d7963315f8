/**
 * Checksum throughput on this machine: ckpt computes a CRC-32 over every byte it commits and
 * restores, on the main thread, so on fast media (page cache, memfs) it costs about as much as the
 * I/O. Measured on a 256 MiB buffer: zlib's `crc32` (what core uses) and, when installed,
 * `@node-rs/crc32` (SIMD, the same CRC-32 values), plus a plain copy of the bytes for scale.
 */
import { crc32 } from "node:zlib";
import { MiB, mibPerSecond, type Summary, summarize } from "./stats.js";

export interface ChecksumResult {
  readonly name: string;
  /** MiB/s over the runs. */
  readonly rate: Summary;
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

/** Measures the checksum functions available, `runs` times each over 256 MiB. */
export async function measureChecksums(runs = 5): Promise<ChecksumResult[]> {
  const bytes = new Uint8Array(256 * MiB);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
  const target = new Uint8Array(bytes.byteLength);
  const results: ChecksumResult[] = [
    { name: "memcpy (Uint8Array.set, for scale)", rate: rateOf(bytes, runs, (b) => target.set(b)) },
    { name: "zlib.crc32 (node:zlib, used by @ckpt/core)", rate: rateOf(bytes, runs, (b) => crc32(b)) },
  ];
  try {
    const specifier = "@node-rs/crc32";
    const simd = (await import(specifier)) as { crc32: (input: Uint8Array, initial?: number) => number };
    if (simd.crc32(bytes) !== crc32(bytes)) throw new Error("@node-rs/crc32 disagrees with zlib.crc32");
    results.push({
      name: "@node-rs/crc32 (SIMD, same values)",
      rate: rateOf(bytes, runs, (b) => simd.crc32(b)),
    });
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
  }
  return results;
}
