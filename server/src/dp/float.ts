/**
 * Float releases without float noise (DP-REFERENCE §1.3): a float is clamped to public bounds,
 * rounded to the grid 2^k with exact rational arithmetic, noised with INTEGER noise in grid units,
 * and only then turned back into the nearest double (post-processing).
 *
 * Default grid: k = ⌈log2(scale)⌉ − DEFAULT_GRID_BITS, i.e. about 2^40 grid steps per unit of
 * noise scale (Google's choice). The rounding is then invisible next to the noise, integers stay
 * around 40–60 bits, and a discrete Laplace sample costs ~2–3× an integer-scale one. OpenDP's
 * default k = −1074 (every double exactly on the grid, no rounding at all) is available by
 * passing k = MIN_GRID; it costs about 5–10× more per sample (1,100-bit integers); see the
 * benchmark bench/dp-samplers.ts.
 */
import { invalidParameter } from './errors';
import { ceilLog2, fromFloatExact, Rational, toNumber } from './rational';

export const DEFAULT_GRID_BITS = 40;
/** The finest grid: 2^-1074 is the smallest subnormal double. */
export const MIN_GRID = -1074;
export const MAX_GRID = 1023;

/** The default grid exponent for noise of `scale` (real units): ⌈log2 scale⌉ − 40, within [−1074, 1023]. */
export function defaultGrid(scale: Rational, bits = DEFAULT_GRID_BITS): number {
  if (scale.sign() <= 0) throw invalidParameter('scale', 'must be greater than 0');
  return Math.min(MAX_GRID, Math.max(MIN_GRID, ceilLog2(scale) - bits));
}

export function checkGrid(k: number, parameter = 'grid'): number {
  if (!Number.isSafeInteger(k) || k < MIN_GRID || k > MAX_GRID) {
    throw invalidParameter(
      parameter,
      `must be an integer exponent between ${MIN_GRID} and ${MAX_GRID}`,
      `Got ${k}.`
    );
  }
  return k;
}

/** x clamped to [lower, upper]. */
export function clamp(x: Rational, lower: Rational, upper: Rational): Rational {
  return x.lt(lower) ? lower : x.gt(upper) ? upper : x;
}

/** The nearest integer to x / 2^k (ties away from zero), exactly. */
export function roundToGrid(x: Rational, k: number): bigint {
  return x.mul(Rational.pow2(-k)).round();
}

/** n·2^k as the nearest double. */
export function gridToNumber(n: bigint, k: number): number {
  return toNumber(Rational.of(n).mul(Rational.pow2(k)));
}

/** A double as an exact rational, validated finite. */
export function exactFloat(x: number, parameter: string): Rational {
  return fromFloatExact(x, parameter);
}

/**
 * Public bounds [lower, upper] as exact rationals; rejects non-finite values and lower > upper.
 */
export function checkBounds(
  lower: number | Rational,
  upper: number | Rational
): [Rational, Rational] {
  const l = lower instanceof Rational ? lower : fromFloatExact(lower, 'bounds.lower');
  const u = upper instanceof Rational ? upper : fromFloatExact(upper, 'bounds.upper');
  if (l.gt(u))
    throw invalidParameter(
      'bounds',
      'lower must not be above upper',
      `Got [${toNumber(l)}, ${toNumber(u)}].`
    );
  return [l, u];
}
