import { LomasError, type AccountingMode, type Budget } from 'lomas-kernel/protocol';
import { cmp, minBudget, parseBudget, toDecimal, type ExactBudget } from './amount';

export type Dim = 'epsilon' | 'delta' | 'rho';

/**
 * The dimensions of each accounting mode, ALL checked against grants and caps in the atomic step:
 * pure ε (a pure dataset's grants and caps carry δ = 0, so any δ is refused); (ε, δ); and (ρ, δ)
 * for δ-approximate zCDP (δ from key discovery).
 */
export const DIMS: Record<AccountingMode, Dim[]> = {
  pure: ['epsilon', 'delta'],
  approx: ['epsilon', 'delta'],
  zcdp: ['rho', 'delta']
};

const SYMBOL: Record<Dim, string> = { epsilon: 'ε', delta: 'δ', rho: 'ρ' };

/** The grant that binds: min(grant passed in, grant set through the ledger); null = no grant. */
export function effectiveGrant(
  passed: Budget | null,
  fromLedger: Budget | null | undefined
): ExactBudget | null {
  if (passed === null) return null;
  const p = parseBudget(passed);
  return fromLedger ? minBudget(p, parseBudget(fromLedger)) : p;
}

/** The cap that binds: min(cap passed in, cap set through the ledger); null = no cap at all. */
export function effectiveCap(
  passed: Budget | null,
  fromLedger: Budget | null | undefined
): ExactBudget | null {
  if (passed === null) return fromLedger ? parseBudget(fromLedger) : null;
  const p = parseBudget(passed);
  return fromLedger ? minBudget(p, parseBudget(fromLedger)) : p;
}

/** Amounts for messages (a pure dataset's δ, always 0 there, is not shown). */
export function amountsText(b: ExactBudget, dims: Dim[], digits: number, mode: 'up' | 'down') {
  const shown = dims === DIMS.pure ? ['epsilon' as const] : dims;
  return shown.map(d => `${SYMBOL[d]} = ${toDecimal(b[d], digits, mode)}`).join(', ');
}

/**
 * Refuses a charge whose total `after` passes `limit` in any dimension of the mode, saying what
 * the charge costs and what the limit left `before` it.
 */
export function checkWithin(
  code: 'BUDGET_EXHAUSTED' | 'DATASET_CAP_EXHAUSTED',
  f: { dims: Dim[]; digits: number; dataset: string; accounting: AccountingMode },
  cost: ExactBudget,
  limit: ExactBudget,
  left: ExactBudget,
  after: ExactBudget
): void {
  const d = f.dims.find(x => cmp(after[x], limit[x]) > 0);
  if (d === undefined) return;
  throw new LomasError(
    code,
    {
      cost: amountsText(cost, f.dims, f.digits, 'up'),
      remaining: amountsText(left, f.dims, f.digits, 'down'),
      dataset: f.dataset
    },
    { dimension: d, accounting: f.accounting }
  );
}

/** A new grant or cap may not go below what is already spent, in any dimension (CONFLICT). */
export function checkNotBelowSpent(
  what: string,
  value: ExactBudget,
  spent: ExactBudget,
  dims: Dim[],
  digits: number
): void {
  for (const d of dims) {
    if (cmp(value[d], spent[d]) < 0)
      throw new LomasError('CONFLICT', {
        what,
        problem: `${SYMBOL[d]} = ${toDecimal(value[d], digits, 'up')} is below what is already spent (${toDecimal(spent[d], digits, 'up')})`
      });
  }
}

/** A budget from a request, exact; an unreadable amount is INVALID_PARAMETER. */
export function parseCost(b: Budget): ExactBudget {
  try {
    return parseBudget(b);
  } catch (e) {
    throw new LomasError('INVALID_PARAMETER', { parameter: 'budget', rule: (e as Error).message });
  }
}

/** Budgets shown for a pure or (ε, δ) dataset carry no ρ. */
export function dropRho(b: Budget, accounting: AccountingMode): Budget {
  if (accounting === 'zcdp') return b;
  return { epsilon: b.epsilon, delta: b.delta };
}
