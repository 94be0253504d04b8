/**
 * Conversions between privacy measures.
 *  - pure ε → ρ = ε²/2 (Bun & Steinke 2016, Prop. 1.4): exact.
 *  - ρ → (ε, δ), simple: ε = ρ + 2·sqrt(ρ·ln(1/δ)) (BS16 Prop. 1.3).
 *  - ρ → (ε, δ), tight (Canonne, Kamath & Steinke 2020, Cor. 13): for every α > 1,
 *      ε(α) = αρ + ln(1/δ)/(α−1) + ln(1 − 1/α) − ln(α)/(α−1)
 *    is valid; we minimise over α numerically (any α is sound, so the search only affects
 *    tightness) and return min(tight, simple).
 * Floats are used for the logarithms; inputs are rounded conservatively (ρ up, δ down) and the
 * result is rounded UP with a 1e-9 relative margin (float error is ~1e-15), to 12 significant
 * digits.
 */
import { invalidParameter } from '../errors';
import { ceilDecimal, floorDecimal } from '../numeric';
import { Rational, toNumber } from '../rational';

function checkArgs(rho: Rational, delta: Rational): void {
  if (rho.sign() < 0) throw invalidParameter('rho', 'must not be negative');
  if (delta.sign() <= 0 || delta.gte(Rational.ONE))
    throw invalidParameter('delta', 'must be strictly between 0 and 1');
}

export function pureToZcdp(epsilon: Rational): Rational {
  if (epsilon.sign() < 0) throw invalidParameter('epsilon', 'must not be negative');
  return epsilon.mul(epsilon).divInt(2n);
}

function simpleEps(rho: number, logInvDelta: number): number {
  return rho + 2 * Math.sqrt(rho * logInvDelta);
}

function tightEpsAt(alpha: number, rho: number, logInvDelta: number): number {
  return (
    alpha * rho + logInvDelta / (alpha - 1) + Math.log1p(-1 / alpha) - Math.log(alpha) / (alpha - 1)
  );
}

/** Float estimate of the tight ε (no rounding margin). */
export function tightEpsilonFloat(rho: number, delta: number): number {
  const L = -Math.log(delta);
  if (rho === 0) return 0;
  // Golden-section search on x = ln(α − 1) ∈ [−25, 25].
  const f = (x: number) => tightEpsAt(1 + Math.exp(x), rho, L);
  let a = -25;
  let b = 25;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 200; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const best = Math.min(fc, fd);
  return Math.max(0, Math.min(best, simpleEps(rho, L)));
}

/** ε such that ρ-zCDP implies (ε, δ)-DP, tight (CKS20), rounded up. */
export function zcdpToApprox(rho: Rational, delta: Rational): Rational {
  checkArgs(rho, delta);
  if (rho.isZero()) return Rational.ZERO;
  return ceilDecimal(tightEpsilonFloat(toNumber(rho, 'up'), toNumber(delta, 'down')));
}

/** ε by the simple conversion (BS16), rounded up: a check on the tight one (always >= it). */
export function zcdpToApproxSimple(rho: Rational, delta: Rational): Rational {
  checkArgs(rho, delta);
  if (rho.isZero()) return Rational.ZERO;
  return ceilDecimal(simpleEps(toNumber(rho, 'up'), -Math.log(toNumber(delta, 'down'))));
}

/**
 * The largest ρ (rounded down) whose tight conversion gives at most ε at δ: the zCDP budget an
 * (ε, δ) target buys. Bisection on ρ, started from the inverse of the simple conversion
 * ρ₀ = (sqrt(ε + ln(1/δ)) − sqrt(ln(1/δ)))².
 */
export function approxToZcdp(epsilon: Rational, delta: Rational): Rational {
  if (epsilon.sign() <= 0) throw invalidParameter('epsilon', 'must be greater than 0');
  checkArgs(Rational.ZERO, delta);
  const eps = toNumber(epsilon, 'down');
  const d = toNumber(delta, 'down');
  const L = -Math.log(d);
  let lo = (Math.sqrt(eps + L) - Math.sqrt(L)) ** 2; // valid by BS16
  let hi = Math.max(lo * 4, eps);
  while (tightEpsilonFloat(hi, d) <= eps) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (tightEpsilonFloat(mid, d) * (1 + 1e-8) <= eps) lo = mid;
    else hi = mid;
  }
  let rho = floorDecimal(lo);
  // Guarantee the claim with the exact (rounded-up) forward conversion.
  while (rho.sign() > 0 && zcdpToApprox(rho, delta).gt(epsilon))
    rho = floorDecimal(toNumber(rho) * 0.999999);
  return rho;
}
