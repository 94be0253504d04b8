/**
 * Accuracy of the noise: confidence-interval half-widths at level 1 − α, and the inverse
 * (accuracy-first: the largest scale that meets a target half-width). Formulas follow OpenDP's
 * accuracy module (DP-REFERENCE §1.8). Floats are used for logs and quantiles, always with a
 * relative margin in the conservative direction (half-widths up, scales down).
 *
 * Scales are given in GRID units (the integer noise is added to integers on the grid 2^g); the
 * half-widths returned are in REAL units (grid units × 2^g).
 */
import { accuracyTooFine } from 'lomas-kernel/protocol';
import { invalidParameter } from './errors';
import { FLOAT_MARGIN, floorDecimal, normalQuantile, normalTail } from './numeric';
import { Rational, pow2Number, toNumber } from './rational';

export function checkAlpha(alpha: number, parameter = 'alpha'): void {
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw invalidParameter(parameter, 'must be strictly between 0 and 1', `Got ${alpha}.`);
  }
}

/** α from a confidence level (0.95 → 0.05), validated. */
export function alphaOf(confidence: number): number {
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) {
    throw invalidParameter('confidence', 'must be strictly between 0 and 1', `Got ${confidence}.`);
  }
  return 1 - confidence;
}

/** ln(2/(α(1+p))) with p = exp(−1/s), computed stably; x = 1/s (may be 0 for huge scales). */
function laplaceLog(x: number, alpha: number): number {
  // 1 + p = 2 + expm1(−x); ln(2/(1+p)) = −log1p(expm1(−x)/2)
  return -Math.log(alpha) - Math.log1p(Math.expm1(-x) / 2);
}

/**
 * Discrete Laplace with scale s (grid units) on grid 2^g: the half-width t·2^g with integer t the
 * smallest such that P(|Z| > t) <= α. P(|Z| >= k) = 2p^k/(1+p), so t = ⌈s·ln(2/(α(1+p)))⌉ − 1,
 * computed conservatively as ⌊A·(1+margin)⌋.
 */
export function discreteLaplaceHalfWidth(scale: Rational, alpha: number, grid = 0): number {
  checkAlpha(alpha);
  if (scale.isZero()) return 0;
  const sNum = toNumber(scale, 'up');
  const x = 1 / sNum;
  const A = sNum * laplaceLog(Number.isFinite(x) ? x : 0, alpha);
  const unit = pow2Number(grid);
  if (!Number.isFinite(A) || A > 2 ** 52) {
    // Astronomically many grid steps: report the (larger) unfloored value in real units.
    const real = toNumber(scale.mul(Rational.pow2(grid)), 'up') * laplaceLog(0, alpha);
    return real * (1 + FLOAT_MARGIN);
  }
  const t = Math.floor(A * (1 + FLOAT_MARGIN));
  return t * unit;
}

/** Exact tail P(|Z| > t) of the discrete Laplace(s) for an integer t >= 0 (float). */
export function discreteLaplaceTail(scale: number, t: number): number {
  const p = Math.exp(-1 / scale);
  return (2 * Math.pow(p, t + 1)) / (1 + p);
}

/**
 * Discrete Gaussian with σ (grid units): t = ⌈σ·Φ⁻¹(1 − α/2)⌉, conservative by CKS20 Prop. 25
 * (P(Z >= m) <= P(N(0,σ²) >= m − 1)).
 */
export function discreteGaussianHalfWidth(sigma: Rational, alpha: number, grid = 0): number {
  checkAlpha(alpha);
  if (sigma.isZero()) return 0;
  const z = normalQuantile(1 - alpha / 2) * (1 + 1e-6);
  const sNum = toNumber(sigma, 'up');
  const A = sNum * z;
  if (!Number.isFinite(A) || A > 2 ** 52)
    return toNumber(sigma.mul(Rational.pow2(grid)), 'up') * z * (1 + FLOAT_MARGIN);
  return Math.ceil(A) * pow2Number(grid);
}

/** Upper bound on P(|Z| > t) for the discrete Gaussian(σ): 2·P(N >= t/σ) (float). */
export function discreteGaussianTailBound(sigma: number, t: number): number {
  return 2 * normalTail(t / sigma);
}

/** Checks an accuracy target and expresses it in grid units (at least one grid step). */
function accuracyInGridUnits(halfWidth: number, alpha: number, grid: number): number {
  checkAlpha(alpha);
  if (!(halfWidth > 0) || !Number.isFinite(halfWidth)) {
    throw invalidParameter(
      'accuracy',
      'must be a finite number greater than 0',
      `Got ${halfWidth}.`
    );
  }
  const target = halfWidth / pow2Number(grid);
  // The plan rule (accuracyTooFine), re-asserted.
  if (!Number.isFinite(target) || target < 1)
    throw accuracyTooFine('this aggregation', halfWidth, pow2Number(grid));
  return target;
}

/**
 * Accuracy-first, Laplace: the largest decimal scale s (grid units) whose half-width at level
 * 1 − α is at most `halfWidth` (real units).
 */
export function discreteLaplaceScaleFor(halfWidth: number, alpha: number, grid = 0): Rational {
  const target = accuracyInGridUnits(halfWidth, alpha, grid);
  // Largest t allowed is floor(target); need s·ln(2/(α(1+p))) <= t + 1 - margin → bisection on s.
  const tMax = Math.floor(target);
  let lo = 0;
  let hi = (tMax + 1) / Math.log(1 / alpha) + 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    const A = mid * laplaceLog(1 / mid, alpha);
    if (Math.floor(A * (1 + FLOAT_MARGIN)) <= tMax) lo = mid;
    else hi = mid;
  }
  let s = floorDecimal(lo, 9);
  while (s.sign() > 0 && discreteLaplaceHalfWidth(s, alpha, grid) > halfWidth)
    s = floorDecimal(toNumber(s) * 0.9999, 9);
  if (s.isZero())
    throw invalidParameter(
      'accuracy',
      'is too fine to reach with any noise scale',
      'Ask for a coarser accuracy.'
    );
  return s;
}

/** Accuracy-first, Gaussian: the largest decimal σ (grid units) meeting the half-width. */
export function discreteGaussianSigmaFor(halfWidth: number, alpha: number, grid = 0): Rational {
  const target = accuracyInGridUnits(halfWidth, alpha, grid);
  const z = normalQuantile(1 - alpha / 2) * (1 + 1e-6);
  let s = floorDecimal(Math.floor(target) / z, 9);
  while (s.sign() > 0 && discreteGaussianHalfWidth(s, alpha, grid) > halfWidth)
    s = floorDecimal(toNumber(s) * 0.9999, 9);
  if (s.isZero())
    throw invalidParameter(
      'accuracy',
      'is too fine to reach with any noise scale',
      'Ask for a coarser accuracy.'
    );
  return s;
}
