import { z } from 'zod';

/**
 * `schema` or null. A union rather than `.nullable()`: the OpenAPI generator renders a nullable
 * named schema as allOf [$ref, null-or-object] (null fails the $ref) or drops the null entirely;
 * a union renders as anyOf [$ref, null], which says what the server sends.
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

/**
 * Privacy budgets as they travel back from the server: exact amounts as decimal strings (rounded
 * up for costs and spending, down for what remains). Amounts sent TO the server follow the amount
 * grammar (amount.ts).
 */

export const AccountingMode = z.enum(['pure', 'approx', 'zcdp']).meta({
  id: 'AccountingMode',
  description:
    'pure ε-DP, approximate (ε, δ)-DP, or zero-concentrated DP (ρ, shown as ε at the dataset δ)'
});
export type AccountingMode = z.infer<typeof AccountingMode>;

/** An amount of privacy loss: epsilon/delta for pure and approximate DP, rho for zCDP. */
export const Budget = z
  .object({ epsilon: z.string(), delta: z.string(), rho: z.string().optional() })
  .strict()
  .meta({
    id: 'Budget',
    description: 'Exact amounts as decimal strings (or "num/den" fractions in the ledger).'
  });
export type Budget = z.infer<typeof Budget>;

/** What an analyst sees of a grant: all values are exact decimal strings. */
export const BudgetStatus = z
  .object({
    dataset: z.string(),
    accounting: AccountingMode,
    initial: Budget,
    spent: Budget,
    remaining: Budget
  })
  .strict()
  .meta({
    id: 'BudgetStatus',
    description: "An analyst's grant on a dataset: initial, spent and remaining."
  });
export type BudgetStatus = z.infer<typeof BudgetStatus>;
