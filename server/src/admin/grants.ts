import {
  LomasError,
  type AccountingMode,
  type Budget,
  type BudgetInput,
  type GrantView
} from 'lomas-kernel/protocol';
import type { z } from 'zod';
import { amount, type Ledger } from '../ledger';
import { keyedQueue } from '../queue';
import type { GrantRecord, Store } from '../store/types';
import { DIGITS, fracToDecimal, normalizeBudget, showSpent } from './amounts';
import { mustDataset } from './datasets';
import { mustUser } from './users';

type BudgetIn = z.output<typeof BudgetInput>;

/** base ± by, refusing to lower any dimension below zero. */
function adjusted(
  base: amount.ExactBudget,
  by: amount.ExactBudget,
  direction: 'raise' | 'lower'
): amount.ExactBudget {
  if (direction === 'raise') return amount.addBudget(base, by);
  for (const d of ['epsilon', 'delta', 'rho'] as const) {
    if (amount.cmp(by[d], base[d]) > 0)
      throw new LomasError('INVALID_PARAMETER', {
        parameter: d,
        rule: `lowering by ${amount.toDecimal(by[d], DIGITS, 'up')} would take the grant below zero (it is ${amount.toDecimal(base[d], DIGITS, 'down')})`
      });
  }
  return amount.subBudgetClamp(base, by);
}

/**
 * Grants: what each analyst may spend on a dataset. They change only through the ledger
 * (ledger.setGrant), which refuses to go below what is spent in the same atomic step as charges;
 * adjustments of one (dataset, user) run one after the other in this process.
 */
export function grantAdmin(store: Store, ledger: Ledger) {
  const serial = keyedQueue();

  async function grantView(g: GrantRecord): Promise<GrantView> {
    return { ...g, spent: showSpent(await ledger.spent(g.dataset, g.user)) };
  }

  async function getGrant(dataset: string, user: string): Promise<GrantView> {
    const g = await store.getGrant(user, dataset);
    if (!g) throw new LomasError('NOT_FOUND', { what: `The grant of "${user}" on "${dataset}"` });
    return grantView(g);
  }

  async function writeGrant(
    actor: string,
    dataset: string,
    user: string,
    budget: Budget,
    accounting: AccountingMode
  ): Promise<GrantView> {
    await ledger.setGrant({ user, dataset, budget, accounting, actor });
    return getGrant(dataset, user);
  }

  return {
    async listGrants(filter: { dataset?: string; user?: string }): Promise<GrantView[]> {
      return Promise.all((await store.listGrants(filter)).map(grantView));
    },

    getGrant,

    async setGrant(actor: string, dataset: string, user: string, input: BudgetIn) {
      const ds = await mustDataset(store, dataset);
      await mustUser(store, user);
      const budget = normalizeBudget(input, ds.accounting);
      return serial(`${dataset}\0${user}`, () =>
        writeGrant(actor, dataset, user, budget, ds.accounting)
      );
    },

    async adjustGrant(
      actor: string,
      dataset: string,
      user: string,
      by: BudgetIn,
      direction: 'raise' | 'lower'
    ): Promise<GrantView> {
      const ds = await mustDataset(store, dataset);
      await mustUser(store, user);
      const delta = amount.parseBudget(normalizeBudget(by, ds.accounting, 'amount'));
      return serial(`${dataset}\0${user}`, async () => {
        const current = await store.getGrant(user, dataset);
        if (!current && direction === 'lower')
          throw new LomasError('NOT_FOUND', { what: `The grant of "${user}" on "${dataset}"` });
        const base = current ? amount.parseBudget(current.budget) : amount.ZERO_BUDGET;
        const next = adjusted(base, delta, direction);
        const budget: Budget = {
          epsilon: fracToDecimal(next.epsilon),
          delta: fracToDecimal(next.delta)
        };
        if (ds.accounting === 'zcdp' || !next.rho.isZero() || current?.budget.rho !== undefined)
          budget.rho = fracToDecimal(next.rho);
        return writeGrant(actor, dataset, user, budget, ds.accounting);
      });
    }
  };
}
