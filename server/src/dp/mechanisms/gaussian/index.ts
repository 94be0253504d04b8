/**
 * Gaussian mechanism, exact: discrete Gaussian noise (CKS20) on integers, and on floats through
 * the 2^k grid; accounted in zCDP. See PROOF.md.
 */
import { invalidParameter } from '../../errors';
import { clamp, checkBounds, checkGrid, gridToNumber, MIN_GRID, roundToGrid } from '../../float';
import { sqrtUp } from '../../numeric';
import { fromFloatExact, nonNegative, positive, Rational, RationalLike } from '../../rational';
import type { AccountingMode, CastOptions, Cost } from '../../accounting';
import { makeMeasurement, type Measurement } from '../../measurement';
import { noisyVector } from '../../noise';

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

export interface GaussianOptions {
  /** SQUARED L2 sensitivity of the integer vector (input units²), exact. */
  sensitivitySquared: RationalLike;
  /** σ (input units); 0 only when the sensitivity is 0 (a constant: no noise, no loss). */
  sigma: RationalLike;
  /** The dataset's accounting mode ('approx' needs cast.conversionDelta). */
  measure: AccountingMode;
  cast?: CastOptions;
  /** The ρ calibrated for (σ rounded up gives at most it); see makeMeasurement. */
  claim?: Cost;
  label?: string;
}

/**
 * The discrete Gaussian mechanism on an integer vector: independent discrete Gaussian(σ) noise per
 * coordinate; loss ρ = Δ₂²/(2σ²) from this σ (zCDP), cast to the dataset's measure. See PROOF.md.
 */
export function makeGaussian(o: GaussianOptions): Measurement<readonly bigint[], bigint[]> {
  const d2 = nonNegative(o.sensitivitySquared, 'sensitivity');
  const sigma = nonNegative(o.sigma, 'sigma');
  const rho = d2.isZero() ? Rational.ZERO : gaussianRho(d2, sigma);
  return makeMeasurement({
    mechanism: GAUSSIAN,
    measure: o.measure,
    natural: { kind: 'zcdp', rho, delta: Rational.ZERO },
    cast: o.cast,
    claim: o.claim,
    scale: sigma,
    sensitivity: d2,
    invoke: (values, rng) => {
      for (const v of values)
        if (typeof v !== 'bigint') throw invalidParameter('values', 'must be bigints');
      return noisyVector('gaussian', sigma, values, rng, { label: o.label });
    }
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

export interface GaussianFloatOptions {
  /** L2 sensitivity (not squared) of the clamped float vector, real units. */
  sensitivity: RationalLike;
  sigma: RationalLike;
  length: number;
  k?: number;
  bounds?: [number, number];
  measure: AccountingMode;
  cast?: CastOptions;
}

/**
 * Gaussian on a float vector: clamp, round to the grid 2^k exactly, add discrete Gaussian noise of
 * σ/2^k grid units, return doubles. Loss: gaussianFloatRho(Δ₂, σ, length, k).
 */
export function makeGaussianFloat(
  o: GaussianFloatOptions
): Measurement<readonly number[], { values: number[]; grid: number; integers: bigint[] }> {
  const sigma = positive(o.sigma, 'sigma');
  const k = checkGrid(o.k ?? MIN_GRID, 'k');
  const bounds = o.bounds === undefined ? undefined : checkBounds(o.bounds[0], o.bounds[1]);
  const g = sigma.mul(Rational.pow2(-k));
  const sensitivity = nonNegative(o.sensitivity, 'sensitivity');
  return makeMeasurement({
    mechanism: GAUSSIAN,
    measure: o.measure,
    natural: {
      kind: 'zcdp',
      rho: gaussianFloatRho(sensitivity, sigma, o.length, k),
      delta: Rational.ZERO
    },
    cast: o.cast,
    scale: g,
    sensitivity,
    invoke: (values, rng) => {
      if (values.length !== o.length)
        throw invalidParameter('values', `must have the declared length ${o.length}`);
      const grid = values.map(v => {
        let x = fromFloatExact(v, 'values');
        if (bounds) x = clamp(x, bounds[0], bounds[1]);
        return roundToGrid(x, k);
      });
      const integers = noisyVector('gaussian', g, grid, rng);
      return { values: integers.map(n => gridToNumber(n, k)), grid: k, integers };
    }
  });
}
