import {
  LomasError,
  type AccountingMode,
  type Budget,
  type BudgetInput
} from 'lomas-kernel/protocol';
import type { z } from 'zod';
import { amount } from '../ledger';

/** Fractional digits of the amounts an administrator reads (spent: rounded up). */
export const DIGITS = 10;

/** An exact decimal string for an amount given as a decimal string or a number. */
export function exactDecimal(x: string | number): string {
  let f: amount.Frac;
  try {
    f = amount.readAmount(x);
  } catch {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'budget',
      rule: 'an exact non-negative decimal amount'
    });
  }
  return fracToDecimal(f);
}

/**
 * The exact decimal of an amount that came from a decimal: its reduced denominator is 2^a·5^b, so
 * max(a, b) fractional digits render it exactly (an amount "1e-300" has 300).
 */
export function fracToDecimal(f: amount.Frac): string {
  let den = f.den;
  let twos = 0;
  let fives = 0;
  for (; den % 2n === 0n; twos++) den /= 2n;
  for (; den % 5n === 0n; fives++) den /= 5n;
  if (den !== 1n)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'budget',
      rule: 'an exact decimal amount'
    });
  return amount.toDecimal(f, Math.max(twos, fives), 'down');
}

/** Normalises a budget to exact decimal strings and checks it fits the accounting mode. */
export function normalizeBudget(
  b: z.output<typeof BudgetInput>,
  accounting: AccountingMode,
  what = 'budget'
): Budget {
  const out: Budget = { epsilon: exactDecimal(b.epsilon), delta: exactDecimal(b.delta) };
  if (b.rho !== undefined) out.rho = exactDecimal(b.rho);
  if (accounting === 'zcdp' && out.rho === undefined)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: `${what}.rho`,
      rule: 'a zcdp dataset is budgeted in rho'
    });
  if (amount.cmp(amount.readAmount(out.delta), amount.ONE) >= 0)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: `${what}.delta`,
      rule: 'delta must be below 1'
    });
  return out;
}

/** Spent amounts ("num/den" from the ledger) as decimals rounded up, for display. */
export function showSpent(b: Budget): Budget {
  const e = amount.parseBudget(b);
  const out: Budget = {
    epsilon: amount.toDecimal(e.epsilon, DIGITS, 'up'),
    delta: amount.toDecimal(e.delta, DIGITS, 'up')
  };
  if (!e.rho.isZero()) out.rho = amount.toDecimal(e.rho, DIGITS, 'up');
  return out;
}
