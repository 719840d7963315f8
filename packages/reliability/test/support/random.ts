import { seededRandom as mulberry32 } from "@ckpt/core/testing";

/**
 * A seeded generator for kill moments and fault schedules, so a failing run can be replayed:
 * the seed comes from `CKPT_RELIABILITY_SEED` when set, else from the clock, and is logged.
 */
export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
}

/** mulberry32 over `seed`. */
export function seededRandom(
  seed = Number(process.env.CKPT_RELIABILITY_SEED ?? Date.now() % 2 ** 31),
): Random {
  const next = mulberry32(seed);
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}
