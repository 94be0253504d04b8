import { PLAN_LIMITS } from '../limits';
import type { FixedPointGrid, ValueType } from './types';

/** |n| ≤ 2^31 for every scaled value, so n² < 2^63 (BIGINT) and sums of n, n² fit in HUGEINT. */
export const SCALED_BITS = 31;

/** The finest grid whose scale 2^-exponent is a finite double. */
const MIN_EXPONENT = -1023;

/**
 * The fixed-point grid of a bounded sum/mean/variance (see FixedPointGrid). It depends only on the
 * public bounds and type:
 *  - integer columns with integer bounds within ±2^31: exponent 0 (values are summed exactly as
 *    they are, no rounding at all);
 *  - otherwise exponent = ceil(log2 M) − 31 with M = max(|L|, |U|), the finest power-of-two grid on
 *    which every clamped value scales to an integer of magnitude ≤ 2^31.
 * Overflow bound: each |n| ≤ 2^31 and n² ≤ 2^62, so Σn and Σn² over fewer than 2^65 rows stay below
 * 2^127 (HUGEINT); DuckDB tables hold fewer than 2^64 rows, so no overflow (and no error) can occur,
 * whatever the public row count. Rounding moves each value by at most 2^(exponent−1).
 */
export function gridFor(bounds: [number, number], type: ValueType): FixedPointGrid {
  const [L, U] = bounds;
  const M = Math.max(Math.abs(L), Math.abs(U));
  if (type === 'int' && Number.isInteger(L) && Number.isInteger(U) && M <= 2 ** SCALED_BITS) {
    return { exponent: 0, lowerScaled: BigInt(L), upperScaled: BigInt(U) };
  }
  const exponent = M === 0 ? -SCALED_BITS : Math.ceil(Math.log2(M)) - SCALED_BITS;
  // The scale 2^-exponent is a double the SQL multiplies by: it must be finite, so bounds below
  // 2^-992 get the grid 2^-1023 (rounding then moves values by at most 2^-1024).
  // Math.log2 can be off by one ulp at exact powers of two; make sure M·2^-exponent ≤ 2^31.
  let e = Math.max(exponent, MIN_EXPONENT);
  while (M * 2 ** -e > 2 ** SCALED_BITS) e++;
  const scale = 2 ** -e;
  // round() is monotone, so every round(clamp(x)·scale) lies between these (floor/ceil are safe).
  return {
    exponent: e,
    lowerScaled: BigInt(Math.floor(L * scale)),
    upperScaled: BigInt(Math.ceil(U * scale))
  };
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ x (0, NaN or Infinity when x is out of range). */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/**
 * Public quantile candidates from the bounds alone: every integer of [L, U] for int columns with
 * at most `m` of them; else L, U and the multiples of a "nice" step (1, 2, 2.5 or 5 × 10^k) in
 * between, at most m in all (strictly increasing). Where a nice step cannot be used (a range
 * that overflows, or is a few ulps wide, or subnormal), m evenly spaced values instead. Every loop
 * here runs at most 2m times, whatever the bounds: the candidates are built before any charge, and
 * bounds come from the analyst.
 */
export function quantileCandidates(
  bounds: [number, number],
  type: ValueType,
  m: number = PLAN_LIMITS.defaultQuantileCandidates
): number[] {
  const [L, U] = bounds;
  if (L === U) return [L];
  const n = Math.min(Math.max(3, m), PLAN_LIMITS.quantileCandidates);
  if (type === 'int' && Number.isInteger(L) && Number.isInteger(U) && U - L + 1 <= m) {
    const out: number[] = [];
    for (let x = L; x <= U; x++) out.push(x);
    return out;
  }
  return niceCandidates(L, U, n) ?? evenCandidates(L, U, n);
}

/** L, the multiples of a nice step strictly inside (L, U), and U; null when no step fits. */
function niceCandidates(L: number, U: number, n: number): number[] | null {
  const step = niceStep((U - L) / (n - 2));
  if (!(step > 0) || !Number.isFinite(step)) return null;
  const first = Math.floor(L / step) + 1;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(first + 2 * n)) return null;
  const out: number[] = [L];
  for (let i = first; i < first + 2 * n && out.length < n - 1; i++) {
    const c = Number((i * step).toPrecision(12));
    if (c >= U) break;
    if (c > out[out.length - 1]) out.push(c);
  }
  out.push(U);
  return out;
}

/** n values from L to U, evenly spaced (without overflow), strictly increasing. */
function evenCandidates(L: number, U: number, n: number): number[] {
  const out: number[] = [L];
  for (let i = 1; i < n - 1; i++) {
    const t = i / (n - 1);
    const c = L * (1 - t) + U * t;
    if (c > out[out.length - 1] && c < U) out.push(c);
  }
  out.push(U);
  return out;
}
