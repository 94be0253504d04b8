/**
 * Float helpers for quantities that are not rational (logs, square roots, normal quantiles). Every
 * result that feeds a privacy claim is turned back into a Rational rounded in the conservative
 * direction with a relative safety margin far above the float error.
 */
import { fromFloatExact, Rational, readDecimal, toDecimal } from './rational';

/** Relative margin added to float results before rounding (float error is ~1e-15). */
export const FLOAT_MARGIN = 1e-9;

/** A decimal Rational >= x·(1 + FLOAT_MARGIN), with `sig` significant digits. x >= 0 finite. */
export function ceilDecimal(x: number, sig = 12): Rational {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`ceilDecimal of ${x}`);
  if (x === 0) return Rational.ZERO;
  const r = fromFloatExact(x * (1 + FLOAT_MARGIN));
  const digits = Math.max(0, sig - 1 - Math.floor(Math.log10(x)));
  return readDecimal(toDecimal(r, digits, 'up'));
}

/** A decimal Rational <= x·(1 - FLOAT_MARGIN), with `sig` significant digits. x >= 0 finite. */
export function floorDecimal(x: number, sig = 12): Rational {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`floorDecimal of ${x}`);
  if (x === 0) return Rational.ZERO;
  const r = fromFloatExact(x * (1 - FLOAT_MARGIN));
  const digits = Math.max(0, sig - 1 - Math.floor(Math.log10(x)));
  return readDecimal(toDecimal(r, digits, 'down'));
}

function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of negative');
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  if (x === 0n) x = 1n;
  // Newton from a float guess, then fix up.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** A rational >= sqrt(q), within a relative 10^-sig, with a decimal denominator. */
export function sqrtUp(q: Rational, sig = 12): Rational {
  if (q.sign() < 0) throw new RangeError('sqrt of negative');
  if (q.isZero()) return Rational.ZERO;
  // sqrt(q) = sqrt(num·den)/den; scale to get `sig` digits.
  const approx = Math.sqrt(Number(q.num) / Number(q.den));
  const digits =
    Number.isFinite(approx) && approx > 0 ? Math.max(0, sig - Math.floor(Math.log10(approx))) : sig;
  const scale = 10n ** BigInt(digits);
  const m = q.mul(Rational.of(scale * scale));
  const r = isqrt(m.ceil());
  const up = r * r >= m.ceil() ? r : r + 1n;
  return Rational.of(up, scale);
}

/** A rational <= sqrt(q). */
export function sqrtDown(q: Rational, sig = 12): Rational {
  if (q.sign() < 0) throw new RangeError('sqrt of negative');
  if (q.isZero()) return Rational.ZERO;
  const approx = Math.sqrt(Number(q.num) / Number(q.den));
  const digits =
    Number.isFinite(approx) && approx > 0 ? Math.max(0, sig - Math.floor(Math.log10(approx))) : sig;
  const scale = 10n ** BigInt(digits);
  return Rational.of(isqrt(q.mul(Rational.of(scale * scale)).floor()), scale);
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.15e-9),
 * for 0 < p < 1.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('normalQuantile needs 0 < p < 1');
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
    -3.066479806614716e1, 2.506628277459239
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
    -1.328068155288572e1
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - plow) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * Upper tail of the standard normal, P(N >= x), by erfc (W. J. Cody-style continued fraction for
 * large x, series for small). Relative accuracy ~1e-13; callers add FLOAT_MARGIN.
 */
export function normalTail(x: number): number {
  if (x < 0) return 1 - normalTail(-x);
  return 0.5 * erfc(x / Math.SQRT2);
}

function erfc(x: number): number {
  // x >= 0
  if (x < 2) {
    // erf by Taylor series: erf(x) = 2/sqrt(pi) Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let sum = 0;
    let term = x;
    for (let n = 0; n < 200; n++) {
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
      term *= (-x * x) / (n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction (Lentz): erfc(x) = exp(-x²)/sqrt(pi) · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    D = x + an * D;
    D = D === 0 ? tiny : 1 / D;
    C = x + an / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
