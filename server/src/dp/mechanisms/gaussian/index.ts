/**
 * Gaussian mechanism, exact: discrete Gaussian noise (CKS20) on integers, and on floats through
 * the 2^k grid; accounted in zCDP. See PROOF.md.
 */
import { invalidParameter } from '../../errors';
import { clamp, checkBounds, checkGrid, gridToNumber, MIN_GRID, roundToGrid } from '../../float';
import { sqrtUp } from '../../numeric';
import { fromFloatExact, nonNegative, positive, Rational, RationalLike } from '../../rational';
import { entropy, Rng } from '../../rng';
import { discreteGaussianRaw } from '../../samplers';

export const GAUSSIAN = 'discrete_gaussian';

/** Privacy map: ρ = Δ₂² / (2σ²). Takes the SQUARED L2 sensitivity (exact, no square root). */
export function gaussianRho(l2SensitivitySquared: RationalLike, sigma: RationalLike): Rational {
  const d2 = nonNegative(l2SensitivitySquared, 'sensitivity');
  const s = positive(sigma, 'sigma');
  return d2.div(s.mul(s).mulInt(2n));
}

/** Calibration: the smallest decimal σ (12 digits, rounded up) with Δ₂²/(2σ²) <= ρ. */
export function gaussianSigma(l2SensitivitySquared: RationalLike, rho: RationalLike): Rational {
  const d2 = nonNegative(l2SensitivitySquared, 'sensitivity');
  const r = positive(rho, 'rho');
  return sqrtUp(d2.div(r.mulInt(2n)));
}

/** Adds independent discrete Gaussian(σ) noise to each integer. */
export function gaussianIntegerVector(
  values: readonly bigint[],
  sigma: RationalLike,
  rng: Rng
): bigint[] {
  const s = positive(sigma, 'sigma');
  const e = entropy(rng);
  return values.map(v => {
    if (typeof v !== 'bigint') throw invalidParameter('values', 'must be bigints');
    return v + discreteGaussianRaw(e, s.num, s.den);
  });
}

/**
 * Privacy map of the float vector mechanism: ρ = (Δ₂ + r)² / (2σ²) with the L2 rounding distance
 * r = (2^k − 2^-1074)·√m (√m rounded up). Δ₂ given as a rational (not squared) here.
 */
export function gaussianFloatRho(
  l2Sensitivity: RationalLike,
  sigma: RationalLike,
  length: number,
  k: number
): Rational {
  checkGrid(k, 'k');
  const r = Rational.pow2(k)
    .sub(Rational.pow2(MIN_GRID))
    .mul(sqrtUp(Rational.of(BigInt(length))));
  const d = nonNegative(l2Sensitivity, 'sensitivity').add(r);
  return gaussianRho(d.mul(d), sigma);
}

/**
 * Gaussian on a float vector: clamp, round to the grid 2^k exactly, add discrete Gaussian noise of
 * σ/2^k grid units, return doubles. Privacy: gaussianFloatRho(Δ₂, σ, values.length, k).
 */
export function gaussianFloatVector(
  values: readonly number[],
  options: { sigma: RationalLike; k?: number; bounds?: [number, number] },
  rng: Rng
): { values: number[]; grid: number; integers: bigint[] } {
  const sigma = positive(options.sigma, 'sigma');
  const k = checkGrid(options.k ?? MIN_GRID, 'k');
  const bounds =
    options.bounds === undefined ? undefined : checkBounds(options.bounds[0], options.bounds[1]);
  const g = sigma.mul(Rational.pow2(-k));
  const e = entropy(rng);
  const integers = values.map(v => {
    let x = fromFloatExact(v, 'values');
    if (bounds) x = clamp(x, bounds[0], bounds[1]);
    return roundToGrid(x, k) + discreteGaussianRaw(e, g.num, g.den);
  });
  return { values: integers.map(n => gridToNumber(n, k)), grid: k, integers };
}
