import { describe, expect, it } from "vitest";
import { seededRandom } from "../src/testing/index.js";

// The signed-integer spelling of mulberry32 that the world suites used before: same bits, so
// seeds recorded from earlier failing runs replay the same kills.
function signedMulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const take = (next: () => number, n: number) => Array.from({ length: n }, next);

describe("seededRandom", () => {
  it("gives the same floats in [0, 1) for the same seed, and others for another seed", () => {
    const a = take(seededRandom(7), 1000);
    expect(take(seededRandom(7), 1000)).toEqual(a);
    expect(take(seededRandom(8), 1000)).not.toEqual(a);
    for (const value of a) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    expect(new Set(a).size).toBeGreaterThan(990);
  });

  it("replays the sequences of seeds recorded by earlier runs", () => {
    for (const seed of [1, 7, 15, 2 ** 31 - 1])
      expect(take(seededRandom(seed), 1000)).toEqual(take(signedMulberry32(seed), 1000));
  });
});
