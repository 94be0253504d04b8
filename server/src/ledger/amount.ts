import type { Budget } from 'lomas-kernel/protocol';

import {
  Rational,
  toDecimal as rationalToDecimal,
  toFraction as rationalToFraction
} from '../dp/rational';

/**
 * Exact non-negative amounts of privacy loss for the ledger: the DP engine's Rational, plus the
 * parsing and budget-shaped helpers the ledger needs (it stores "num/den", accepts decimals).
 */
export type Frac = Rational;

export const ZERO: Frac = Rational.ZERO;
export const ONE: Frac = Rational.ONE;

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
    return Rational.of(BigInt(m[1]), d);
  }
  m = DECIMAL.exec(s);
  if (!m)
    throw new RangeError(`invalid amount "${s}": expected a non-negative decimal or "num/den"`);
  const frac = m[2] ?? '';
  const exp = m[3] ? Number(m[3]) - frac.length : -frac.length;
  const digits = BigInt(m[1] + frac);
  return exp >= 0
    ? Rational.of(digits * 10n ** BigInt(exp))
    : Rational.of(digits, 10n ** BigInt(-exp));
}

export const add = (a: Frac, b: Frac): Frac => a.add(b);

/** a - b, clamped at zero (amounts are never negative). */
export const subClamp = (a: Frac, b: Frac): Frac => (a.lte(b) ? ZERO : a.sub(b));

export const cmp = (a: Frac, b: Frac): -1 | 0 | 1 => a.compare(b);

export const min = (a: Frac, b: Frac): Frac => a.min(b);

/** Canonical exact form "num/den" (reduced). */
export const toFraction = (a: Frac): string => rationalToFraction(a);

/** Decimal with at most `digits` fractional digits, rounded 'up' or 'down'; trailing zeros trimmed. */
export const toDecimal = (a: Frac, digits: number, mode: 'up' | 'down'): string =>
  rationalToDecimal(a, digits, mode);

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
