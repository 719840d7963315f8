import { describe, expect, it } from "vitest";
import { DT, FORCING, initialCondition, Rk4Scratch, rk4Step, tendency, VARIABLES } from "../src/model.js";
import { seedRngState, Xoshiro128 } from "../src/rng.js";

describe("Lorenz-96", () => {
  it("has the rest state x_i = F as a fixed point", () => {
    const x = new Float64Array(VARIABLES).fill(FORCING);
    const out = new Float64Array(VARIABLES);
    tendency(x, out);
    expect([...out].every((value) => value === 0)).toBe(true);
  });

  it("computes the tendency with cyclic neighbours", () => {
    const x = Float64Array.from({ length: 5 }, (_, i) => i + 1); // 1..5
    const out = new Float64Array(5);
    tendency(x, out, 8);
    // i = 0: (x1 - x3) * x4 - x0 + F = (2 - 4) * 5 - 1 + 8 = -3
    expect(out[0]).toBe(-3);
    // i = 2: (x3 - x0) * x1 - x2 + F = (4 - 1) * 2 - 3 + 8 = 11
    expect(out[2]).toBe(11);
  });

  it("is chaotic: a 1e-8 perturbation grows by orders of magnitude in 10 days", () => {
    const a = initialCondition();
    const b = Float64Array.from(a);
    b[0]! += 1e-8;
    const scratch = new Rk4Scratch();
    for (let i = 0; i < 40; i++) {
      rk4Step(a, DT, FORCING, scratch);
      rk4Step(b, DT, FORCING, scratch);
    }
    const distance = Math.hypot(...a.map((value, i) => value - b[i]!));
    expect(distance).toBeGreaterThan(1e-6);
    expect([...a].every(Number.isFinite)).toBe(true);
  });
});

describe("xoshiro128**", () => {
  it("matches the reference output for a known state", () => {
    // Reference: xoshiro128** from state {1, 2, 3, 4}: first outputs 11520, 0, 5927040, 70819200.
    const rng = new Xoshiro128({ s: Uint32Array.of(1, 2, 3, 4) });
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([
      11520, 0, 5927040, 70819200,
    ]);
  });

  it("continues the exact sequence from a copy of its state (a restart)", () => {
    const state = seedRngState(96, 3);
    const rng = new Xoshiro128(state);
    for (let i = 0; i < 17; i++) rng.normal();
    const saved = Uint32Array.from(state.s);
    const expected = Array.from({ length: 10 }, () => rng.normal());
    const restored = new Xoshiro128({ s: saved });
    expect(Array.from({ length: 10 }, () => restored.normal())).toEqual(expected);
  });

  it("gives different streams to different members and uniform values in [0, 1)", () => {
    const a = new Xoshiro128(seedRngState(96, 1));
    const b = new Xoshiro128(seedRngState(96, 2));
    expect(a.nextUint32()).not.toBe(b.nextUint32());
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const u = a.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(sum / 10_000).toBeGreaterThan(0.45);
    expect(sum / 10_000).toBeLessThan(0.55);
  });
});
