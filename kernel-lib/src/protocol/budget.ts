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
