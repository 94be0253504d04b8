import type { LedgerEntry, Store } from '../store/types';
import {
  budgetToDecimal,
  minBudget,
  parseBudget,
  subBudgetClamp,
  ZERO_BUDGET,
  type ExactBudget
} from './amount';
import type { Appender, State } from './append';
import { dropRho, effectiveCap, effectiveGrant } from './limits';
import type { BudgetFigures, RemainingRequest } from './types';

/** Exact spent totals on the dataset, or of one user on it. */
export async function spentExact(store: Store, dataset: string, user?: string) {
  if (user === undefined) {
    const last = await store.lastLedgerEntry(dataset);
    return last ? parseBudget(last.datasetSpent) : ZERO_BUDGET;
  }
  const last = await store.lastLedgerEntryOfUser(dataset, user);
  return last ? parseBudget(last.userSpent) : ZERO_BUDGET;
}

/** initial (down), spent (up), remaining (down): what the grant and the cap leave, as decimals. */
export async function budgetFigures(
  appender: Appender,
  req: RemainingRequest,
  digits: number
): Promise<BudgetFigures> {
  let state: State | null = null;
  while (!state) state = await appender.readState(req.dataset, req.user);
  return figuresOf(state, req, digits);
}

/**
 * The figures right after `entry`, the user's latest entry on the dataset when it was appended
 * (a charge's answer shows the budget its own charge left, with no second read of the ledger).
 */
export function figuresAfter(
  entry: LedgerEntry,
  req: RemainingRequest,
  digits: number
): BudgetFigures {
  const state: State = {
    last: entry,
    userLast: entry,
    datasetSpent: parseBudget(entry.datasetSpent),
    userSpent: parseBudget(entry.userSpent)
  };
  return figuresOf(state, req, digits);
}

function figuresOf(state: State, req: RemainingRequest, digits: number): BudgetFigures {
  const grant = effectiveGrant(req.grant, state.userLast?.userGrant) ?? ZERO_BUDGET;
  const cap = effectiveCap(req.cap, state.last?.datasetCap);
  const remainingGrant = subBudgetClamp(grant, state.userSpent);
  const remainingCap = cap ? subBudgetClamp(cap, state.datasetSpent) : null;
  const remaining = remainingCap ? minBudget(remainingGrant, remainingCap) : remainingGrant;
  const show = (b: ExactBudget, mode: 'up' | 'down') =>
    dropRho(budgetToDecimal(b, req.digits ?? digits, mode), req.accounting);
  return {
    initial: show(grant, 'down'),
    spent: show(state.userSpent, 'up'),
    remaining: show(remaining, 'down'),
    remainingGrant: show(remainingGrant, 'down'),
    remainingCap: remainingCap ? show(remainingCap, 'down') : null
  };
}
