import { z } from 'zod';

/**
 * Privacy amounts travel as exact decimal strings ("0.5", "0.001") or numbers. A number is read as
 * its shortest round-trip decimal (String(x)), never as a float sum, so 1,000 charges of 0.001
 * fit exactly in 1.0.
 */
export const Amount = z.union([
  z.string().regex(/^(0|[1-9]\d{0,15})(\.\d{1,30})?$/, 'a non-negative decimal such as "0.5"'),
  z.number().finite().nonnegative()
]);
export type Amount = z.infer<typeof Amount>;

/** An amount of privacy loss. epsilon/delta for pure and approximate DP, rho for zCDP. */
export interface Budget {
  epsilon: string;
  delta: string;
  rho?: string;
}

export type AccountingMode = 'pure' | 'approx' | 'zcdp';

/** What an analyst sees of a grant: all values are exact decimal strings. */
export interface BudgetStatus {
  dataset: string;
  accounting: AccountingMode;
  initial: Budget;
  spent: Budget;
  remaining: Budget;
}
