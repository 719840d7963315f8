/**
 * A seeded pseudo-random generator whose whole internal state is one `Uint32Array(4)`, so that
 * binding that array with `bindCheckpointState` is enough to resume the exact sequence after a
 * restart. xoshiro128** (Blackman and Vigna), seeded through splitmix32.
 */

/** The state object bound to a checkpoint: `s` is the generator's entire state. */
export interface RngStateValue {
  s: Uint32Array<ArrayBuffer>;
}

/** A fresh state for `seed`, with four well-mixed words (never all zero). */
export function seedRngState(seed: number, stream = 0): RngStateValue {
  const s = new Uint32Array(4);
  let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream >>> 0, 0x85ebca6b)) >>> 0;
  for (let i = 0; i < 4; i++) {
    // splitmix32
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    s[i] = (z ^ (z >>> 15)) >>> 0;
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  return { s };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The generator. It keeps no state of its own: every draw reads and advances `holder.s`, so a
 * checkpoint restore that assigns a new array to `holder.s` takes effect at the next draw.
 *
 * @example
 * const state = seedRngState(42, member);
 * const rng = new Xoshiro128(state);
 * const noise = rng.normal();
 */
export class Xoshiro128 {
  readonly holder: RngStateValue;

  constructor(holder: RngStateValue) {
    this.holder = holder;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.holder.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2]! ^= s0;
    s[3]! ^= s1;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A double uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * A standard normal draw (Box-Muller, the second value discarded so that no cached value lives
   * outside `holder.s`).
   */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log stays finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
