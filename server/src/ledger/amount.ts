import type { Budget } from 'lomas-kernel/protocol';

/**
 * A tiny exact non-negative fraction on bigint, for the ledger's budget arithmetic only.
 * (The DP engine has its own Rational in server/src/dp; the two will be merged later.)
 * Invariant: d > 0, gcd(n, d) = 1, n >= 0.
 */
export interface Frac {
  readonly n: bigint;
  readonly d: bigint;
}

export const ZERO: Frac = { n: 0n, d: 1n };

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

function make(n: bigint, d: bigint): Frac {
  if (d === 0n) throw new RangeError('zero denominator');
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

const DECIMAL = /^(\d{1,40})(?:\.(\d{1,60}))?(?:[eE]([+-]?\d{1,3}))?$/;
const FRACTION = /^(\d{1,80})\/(\d{1,80})$/;

/**
 * Parses a non-negative exact amount: a decimal string ("0.01", "1e-7"), a fraction ("1/3"),
 * or a finite number (read as its shortest round-trip decimal, never as a binary float).
 */
export function parseAmount(x: string | number): Frac {
  const s = typeof x === 'number' ? (Number.isFinite(x) ? String(x) : 'NaN') : x.trim();
  let m = FRACTION.exec(s);
  if (m) {
    const d = BigInt(m[2]);
    if (d === 0n) throw new RangeError(`invalid amount "${s}": zero denominator`);
    return make(BigInt(m[1]), d);
  }
  m = DECIMAL.exec(s);
  if (!m)
    throw new RangeError(`invalid amount "${s}": expected a non-negative decimal or "num/den"`);
  const frac = m[2] ?? '';
  const exp = m[3] ? Number(m[3]) - frac.length : -frac.length;
  const digits = BigInt(m[1] + frac);
  return exp >= 0 ? make(digits * 10n ** BigInt(exp), 1n) : make(digits, 10n ** BigInt(-exp));
}

export function add(a: Frac, b: Frac): Frac {
  return make(a.n * b.d + b.n * a.d, a.d * b.d);
}

/** a - b, clamped at zero (amounts are never negative). */
export function subClamp(a: Frac, b: Frac): Frac {
  const n = a.n * b.d - b.n * a.d;
  return n <= 0n ? ZERO : make(n, a.d * b.d);
}

export function cmp(a: Frac, b: Frac): -1 | 0 | 1 {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function min(a: Frac, b: Frac): Frac {
  return cmp(a, b) <= 0 ? a : b;
}

/** Canonical exact form "num/den" (reduced). */
export function toFraction(a: Frac): string {
  return `${a.n}/${a.d}`;
}

/** Decimal with at most `digits` fractional digits, rounded 'up' or 'down'; trailing zeros trimmed. */
export function toDecimal(a: Frac, digits: number, mode: 'up' | 'down'): string {
  const scale = 10n ** BigInt(digits);
  let q = (a.n * scale) / a.d;
  if (mode === 'up' && (a.n * scale) % a.d !== 0n) q += 1n;
  const s = q.toString().padStart(digits + 1, '0');
  const int = s.slice(0, s.length - digits);
  const fr = s.slice(s.length - digits).replace(/0+$/, '');
  return fr ? `${int}.${fr}` : int;
}

/** A budget as three exact fractions (rho is zero when absent). */
export interface ExactBudget {
  epsilon: Frac;
  delta: Frac;
  rho: Frac;
}

export const ZERO_BUDGET: ExactBudget = { epsilon: ZERO, delta: ZERO, rho: ZERO };

export function parseBudget(b: Budget): ExactBudget {
  return {
    epsilon: parseAmount(b.epsilon),
    delta: parseAmount(b.delta),
    rho: b.rho === undefined ? ZERO : parseAmount(b.rho)
  };
}

export function addBudget(a: ExactBudget, b: ExactBudget): ExactBudget {
  return {
    epsilon: add(a.epsilon, b.epsilon),
    delta: add(a.delta, b.delta),
    rho: add(a.rho, b.rho)
  };
}

export function subBudgetClamp(a: ExactBudget, b: ExactBudget): ExactBudget {
  return {
    epsilon: subClamp(a.epsilon, b.epsilon),
    delta: subClamp(a.delta, b.delta),
    rho: subClamp(a.rho, b.rho)
  };
}

export function minBudget(a: ExactBudget, b: ExactBudget): ExactBudget {
  return {
    epsilon: min(a.epsilon, b.epsilon),
    delta: min(a.delta, b.delta),
    rho: min(a.rho, b.rho)
  };
}

/** Canonical stored form: every component as "num/den", rho always present. */
export function budgetToFractions(b: ExactBudget): Budget {
  return { epsilon: toFraction(b.epsilon), delta: toFraction(b.delta), rho: toFraction(b.rho) };
}

export function budgetToDecimal(b: ExactBudget, digits: number, mode: 'up' | 'down'): Budget {
  return {
    epsilon: toDecimal(b.epsilon, digits, mode),
    delta: toDecimal(b.delta, digits, mode),
    rho: toDecimal(b.rho, digits, mode)
  };
}
