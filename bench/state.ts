/**
 * The state the benchmarks checkpoint: four typed arrays of a quarter of the size each (float32,
 * float64, int32, uint8), plus a few scalar fields, like a model's fields and its step counters.
 */
import { crc32 } from "node:zlib";
import { checkpointState, typedArray } from "@ckpt/core";
import { z } from "zod";
import { MiB } from "./stats.js";

/** The benchmark's state type. */
export const BenchState = checkpointState(
  "bench.ModelState",
  z.object({
    step: z.number(),
    seed: z.bigint(),
    label: z.string(),
    temperature: typedArray("float32"),
    pressure: typedArray("float64"),
    index: typedArray("int32"),
    mask: typedArray("uint8"),
  }),
);

export type BenchStateValue = z.infer<typeof BenchState.schema>;

/** The array fields, in the order their bytes are laid out for the raw baselines. */
export const ARRAY_FIELDS = ["temperature", "pressure", "index", "mask"] as const;

/** The bytes of each array field. */
export function arrayBytes(state: BenchStateValue): Uint8Array[] {
  return ARRAY_FIELDS.map((field) => {
    const array = state[field];
    return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  });
}

/**
 * Changes one element of every array field and the step, so that the next commit uploads every
 * array: a job's state changes between write boundaries, and incremental commits would otherwise
 * reuse what did not.
 */
export function changeEveryArray(state: BenchStateValue, step: number): void {
  state.step = step;
  for (const field of ARRAY_FIELDS) state[field][0] = step & 0x7f;
}

/** One MiB of pseudo-random bytes (xorshift32), the same for the same seed in every process. */
function randomBlock(seed: number): Uint8Array {
  const words = new Uint32Array(MiB / 4);
  let x = (seed * 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return new Uint8Array(words.buffer);
}

/**
 * Fills `bytes` with incompressible data cheaply and reproducibly: one pseudo-random MiB, repeated
 * with a varying first byte.
 */
function fill(bytes: Uint8Array, seed: number): void {
  const block = randomBlock(seed).subarray(0, Math.min(MiB, bytes.byteLength));
  for (let offset = 0, n = seed; offset < bytes.byteLength; offset += block.byteLength, n++) {
    block[0] = n & 0xff;
    bytes.set(block.subarray(0, Math.min(block.byteLength, bytes.byteLength - offset)), offset);
  }
}

/**
 * A state whose arrays hold `bytes` bytes in total (a multiple of 32, so each quarter holds
 * whole float64 elements), filled with incompressible data.
 */
export function makeState(bytes: number, seed = 1): BenchStateValue {
  if (bytes % 32 !== 0) throw new Error(`state size ${bytes} must be a multiple of 32 bytes`);
  const quarter = bytes / 4;
  const state: BenchStateValue = {
    step: seed,
    seed: 0x1234_5678_9abc_def0n + BigInt(seed),
    label: `bench state of ${bytes} bytes`,
    temperature: new Float32Array(quarter / 4),
    pressure: new Float64Array(quarter / 8),
    index: new Int32Array(quarter / 4),
    mask: new Uint8Array(quarter),
  };
  arrayBytes(state).forEach((part, i) => {
    fill(part, seed * 4 + i);
  });
  return state;
}

/** A state to restore into: empty arrays of the right types. */
export function emptyState(): BenchStateValue {
  return {
    step: 0,
    seed: 0n,
    label: "",
    temperature: new Float32Array(0),
    pressure: new Float64Array(0),
    index: new Int32Array(0),
    mask: new Uint8Array(0),
  };
}

/** CRC-32 of every array field, to check a restore outside the timed part. */
export function stateChecksums(state: BenchStateValue): number[] {
  return arrayBytes(state).map((part) => crc32(part));
}
