/**
 * Laplace mechanism, exact: discrete Laplace noise (CKS20) on integers, and on floats through the
 * 2^k grid. See PROOF.md.
 */
import { invalidParameter } from '../../errors';
import { clamp, checkBounds, checkGrid, gridToNumber, MIN_GRID, roundToGrid } from '../../float';
import { fromFloatExact, positive, Rational, RationalLike, nonNegative } from '../../rational';
import { entropy, Rng } from '../../rng';
import { discreteLaplaceRaw } from '../../samplers';

export const LAPLACE = 'discrete_laplace';

/** Privacy map: ε = Δ₁ / scale. */
export function laplaceEpsilon(l1Sensitivity: RationalLike, scale: RationalLike): Rational {
  const d = nonNegative(l1Sensitivity, 'sensitivity');
  const s = positive(scale, 'scale');
  return d.div(s);
}

/** Calibration: scale = Δ₁ / ε. */
export function laplaceScale(l1Sensitivity: RationalLike, epsilon: RationalLike): Rational {
  const d = nonNegative(l1Sensitivity, 'sensitivity');
  const e = positive(epsilon, 'epsilon');
  return d.div(e);
}

/** Adds independent discrete Laplace(scale) noise to each integer. */
export function laplaceIntegerVector(
  values: readonly bigint[],
  scale: RationalLike,
  rng: Rng
): bigint[] {
  const s = positive(scale, 'scale');
  const e = entropy(rng);
  return values.map(v => {
    if (typeof v !== 'bigint') throw invalidParameter('values', 'must be bigints');
    return v + discreteLaplaceRaw(e, s.num, s.den);
  });
}

/**
 * The L1 rounding distance of a vector of m doubles rounded to the grid 2^k:
 * r = (2^k − 2^-1074)·m (OpenDP get_rounding_distance); 0 at the finest grid.
 */
export function roundingDistanceL1(k: number, m: number): Rational {
  return Rational.pow2(k).sub(Rational.pow2(MIN_GRID)).mulInt(BigInt(m));
}

/**
 * Privacy map of the float vector mechanism: ε = (Δ₁ + r) / scale, where r covers the rounding of
 * the inputs to the grid 2^k.
 */
export function laplaceFloatEpsilon(
  l1Sensitivity: RationalLike,
  scale: RationalLike,
  length: number,
  k: number
): Rational {
  checkGrid(k, 'k');
  return nonNegative(l1Sensitivity, 'sensitivity')
    .add(roundingDistanceL1(k, length))
    .div(positive(scale, 'scale'));
}

export interface FloatVectorRelease {
  values: number[];
  /** The grid exponent k: every value is an integer multiple of 2^k (before the final rounding to double). */
  grid: number;
  /** The exact integers n_i + Z_i on the grid. */
  integers: bigint[];
}

/**
 * Laplace on a float vector: clamp to [lower, upper] (if given), round to the grid 2^k exactly,
 * add discrete Laplace noise of scale/2^k grid units, return (n + Z)·2^k as doubles. Never adds
 * float noise to a float. Privacy: laplaceFloatEpsilon(Δ₁, scale, values.length, k).
 */
export function laplaceFloatVector(
  values: readonly number[],
  options: { scale: RationalLike; k?: number; bounds?: [number, number] },
  rng: Rng
): FloatVectorRelease {
  const scale = positive(options.scale, 'scale');
  const k = checkGrid(options.k ?? MIN_GRID, 'k');
  const bounds =
    options.bounds === undefined ? undefined : checkBounds(options.bounds[0], options.bounds[1]);
  const gridScale = scale.mul(Rational.pow2(-k));
  const e = entropy(rng);
  const integers = values.map(v => {
    let x = fromFloatExact(v, 'values');
    if (bounds) x = clamp(x, bounds[0], bounds[1]);
    return roundToGrid(x, k) + discreteLaplaceRaw(e, gridScale.num, gridScale.den);
  });
  return { values: integers.map(n => gridToNumber(n, k)), grid: k, integers };
}
