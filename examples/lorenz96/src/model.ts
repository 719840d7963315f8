/**
 * The Lorenz-96 model: `dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F` on a ring of variables,
 * integrated with fourth-order Runge-Kutta. One model time unit is about five days of atmospheric
 * error growth, so a 6-hour step is `dt = 0.05`.
 */

/** Number of variables on the ring. */
export const VARIABLES = 40;
/** The forcing `F`; 8 gives chaotic behaviour. */
export const FORCING = 8;
/** Model time units per 6-hour step. */
export const DT = 0.05;
/** Hours of forecast lead time per step. */
export const HOURS_PER_STEP = 6;

/** `out = dx/dt` at `x`. */
export function tendency(x: Float64Array, out: Float64Array, forcing = FORCING): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const ip1 = x[(i + 1) % n]!;
    const im1 = x[(i - 1 + n) % n]!;
    const im2 = x[(i - 2 + n) % n]!;
    out[i] = (ip1 - im2) * im1 - x[i]! + forcing;
  }
}

/** Scratch buffers for {@link rk4Step}, reused so a step allocates nothing. */
export class Rk4Scratch {
  readonly k1: Float64Array;
  readonly k2: Float64Array;
  readonly k3: Float64Array;
  readonly k4: Float64Array;
  readonly tmp: Float64Array;

  constructor(n = VARIABLES) {
    this.k1 = new Float64Array(n);
    this.k2 = new Float64Array(n);
    this.k3 = new Float64Array(n);
    this.k4 = new Float64Array(n);
    this.tmp = new Float64Array(n);
  }
}

/** Advances `x` in place by one RK4 step of `dt`. */
export function rk4Step(
  x: Float64Array,
  dt = DT,
  forcing = FORCING,
  scratch: Rk4Scratch = new Rk4Scratch(x.length),
): void {
  const { k1, k2, k3, k4, tmp } = scratch;
  const n = x.length;
  tendency(x, k1, forcing);
  for (let i = 0; i < n; i++) tmp[i] = x[i]! + 0.5 * dt * k1[i]!;
  tendency(tmp, k2, forcing);
  for (let i = 0; i < n; i++) tmp[i] = x[i]! + 0.5 * dt * k2[i]!;
  tendency(tmp, k3, forcing);
  for (let i = 0; i < n; i++) tmp[i] = x[i]! + dt * k3[i]!;
  tendency(tmp, k4, forcing);
  for (let i = 0; i < n; i++) x[i] = x[i]! + (dt / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
}

/**
 * The shared initial condition: the rest state `x_i = F` nudged at one variable, spun up onto the
 * attractor for `spinUpSteps` steps.
 */
export function initialCondition(spinUpSteps = 1000, n = VARIABLES, forcing = FORCING): Float64Array {
  const x = new Float64Array(n).fill(forcing);
  x[Math.floor(n / 2) - 1]! += 0.01;
  const scratch = new Rk4Scratch(n);
  for (let i = 0; i < spinUpSteps; i++) rk4Step(x, DT, forcing, scratch);
  return x;
}
