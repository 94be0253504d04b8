import { amountParts, type Budget } from 'lomas-kernel/protocol';
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

const FRACTION = /^(\d{1,4000})\/(\d{1,4000})$/;

/**
 * Reads an amount exactly: an amount in the protocol's grammar (lomas-kernel/protocol,
 * amount.ts: "0.01", "1e-7", a stored grant's plain decimal, or a finite number read as its
 * shortest decimal), or a ledger fraction "num/den". Throws RangeError otherwise.
 */
export function readAmount(x: string | number): Frac {
  if (typeof x === 'string') {
    const m = FRACTION.exec(x);
    if (m) {
      const d = BigInt(m[2]);
      if (d === 0n) throw new RangeError(`invalid amount "${x}": zero denominator`);
      return Rational.of(BigInt(m[1]), d);
    }
  }
  const p = amountParts(x);
  if (p === null)
    throw new RangeError(
      `invalid amount "${String(x).slice(0, 40)}": expected a non-negative decimal or "num/den"`
    );
  return p.exponent >= 0
    ? Rational.of(p.digits * 10n ** BigInt(p.exponent))
    : Rational.of(p.digits, 10n ** BigInt(-p.exponent));
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
    epsilon: readAmount(b.epsilon),
    delta: readAmount(b.delta),
    rho: b.rho === undefined ? ZERO : readAmount(b.rho)
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
