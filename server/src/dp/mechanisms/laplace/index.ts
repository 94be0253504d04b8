/**
 * Laplace mechanism, exact: discrete Laplace noise (CKS20) on integers, and on floats through the
 * 2^k grid, as measurements (function + privacy map from the same scale). See PROOF.md.
 */
import { invalidParameter } from '../../errors';
import { clamp, checkBounds, checkGrid, gridToNumber, MIN_GRID, roundToGrid } from '../../float';
import type { AccountingMode } from '../../accounting';
import { makeMeasurement, type Measurement } from '../../measurement';
import { noisyVector } from '../../noise';
import { fromFloatExact, positive, Rational, RationalLike, nonNegative } from '../../rational';

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

export interface LaplaceOptions {
  /** L1 sensitivity of the integer vector (input units). */
  sensitivity: RationalLike;
  /** Noise scale (input units); 0 only when the sensitivity is 0 (a constant: no noise, no loss). */
  scale: RationalLike;
  /** The dataset's accounting mode: the loss is stated in its measure. */
  measure: AccountingMode;
  label?: string;
}

/**
 * The discrete Laplace mechanism on an integer vector: each coordinate gets independent discrete
 * Laplace(scale) noise; loss ε = Δ₁/scale (pure), cast to the dataset's measure. See PROOF.md.
 */
export function makeLaplace(o: LaplaceOptions): Measurement<readonly bigint[], bigint[]> {
  const sensitivity = nonNegative(o.sensitivity, 'sensitivity');
  const scale = nonNegative(o.scale, 'scale');
  const epsilon = sensitivity.isZero() ? Rational.ZERO : laplaceEpsilon(sensitivity, scale);
  return makeMeasurement({
    mechanism: LAPLACE,
    measure: o.measure,
    natural: { kind: 'pure', epsilon },
    scale,
    sensitivity,
    invoke: (values, rng) => {
      for (const v of values)
        if (typeof v !== 'bigint') throw invalidParameter('values', 'must be bigints');
      return noisyVector('laplace', scale, values, rng, { label: o.label });
    }
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

export interface LaplaceFloatOptions {
  /** L1 sensitivity of the (clamped) float vector, real units. */
  sensitivity: RationalLike;
  /** Noise scale, real units. */
  scale: RationalLike;
  /** Vector length (the rounding distance grows with it). */
  length: number;
  k?: number;
  bounds?: [number, number];
  measure: AccountingMode;
}

/**
 * Laplace on a float vector: clamp to [lower, upper] (if given), round to the grid 2^k exactly,
 * add discrete Laplace noise of scale/2^k grid units, return (n + Z)·2^k as doubles. Never adds
 * float noise to a float. Loss: ε = (Δ₁ + r)/scale with the rounding distance r (laplaceFloatEpsilon).
 */
export function makeLaplaceFloat(
  o: LaplaceFloatOptions
): Measurement<readonly number[], FloatVectorRelease> {
  const scale = positive(o.scale, 'scale');
  const k = checkGrid(o.k ?? MIN_GRID, 'k');
  const bounds = o.bounds === undefined ? undefined : checkBounds(o.bounds[0], o.bounds[1]);
  const gridScale = scale.mul(Rational.pow2(-k));
  const sensitivity = nonNegative(o.sensitivity, 'sensitivity');
  return makeMeasurement({
    mechanism: LAPLACE,
    measure: o.measure,
    natural: { kind: 'pure', epsilon: laplaceFloatEpsilon(sensitivity, scale, o.length, k) },
    scale: gridScale,
    sensitivity,
    invoke: (values, rng) => {
      if (values.length !== o.length)
        throw invalidParameter('values', `must have the declared length ${o.length}`);
      const grid = values.map(v => {
        let x = fromFloatExact(v, 'values');
        if (bounds) x = clamp(x, bounds[0], bounds[1]);
        return roundToGrid(x, k);
      });
      const integers = noisyVector('laplace', gridScale, grid, rng);
      return { values: integers.map(n => gridToNumber(n, k)), grid: k, integers };
    }
  });
}
