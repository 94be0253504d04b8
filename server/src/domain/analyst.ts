import { LomasError, type Budget, type BudgetStatus } from 'lomas-kernel/protocol';
import type { Principal } from '../http/principal';
import { amount, type Ledger } from '../ledger';
import type { Store } from '../store/types';
import { datasetAccess } from './access';
import type { Admission } from './admission';
import { historyRelease } from './synthetic';
import type { AnalystService, DatasetSummary } from './types';

export interface AnalystDeps {
  store: Store;
  ledger: Ledger;
  /** Synthetic rows that respect a dataset's metadata (free: no private data involved). */
  dummyRows(
    dataset: string,
    rows: number,
    seed: number
  ): Promise<{ columns: string[]; rows: Array<Record<string, unknown>> }>;
  /** The admission of charged requests, shared with the query and synthetic services. */
  admission?: Admission;
}

/** Amounts of a charge for people: decimals rounded up (never less than was spent). */
function shownCost(cost: Budget): Budget {
  const d = amount.budgetToDecimal(amount.parseBudget(cost), 10, 'up');
  return amount.parseAmount(d.rho ?? '0').isZero() ? { epsilon: d.epsilon, delta: d.delta } : d;
}

export function createAnalystService(deps: AnalystDeps): AnalystService {
  const { store, ledger } = deps;

  async function status(who: Principal, name: string): Promise<BudgetStatus> {
    const { dataset, grant } = await datasetAccess(store, who, name);
    const figures = await ledger.figures({
      dataset: name,
      user: who.user,
      grant: grant ? grant.budget : null,
      cap: dataset.cap,
      accounting: dataset.accounting
    });
    return {
      dataset: name,
      accounting: dataset.accounting,
      initial: figures.initial,
      spent: figures.spent,
      remaining: figures.remaining
    };
  }

  return {
    async datasets(who): Promise<DatasetSummary[]> {
      const all = await store.listDatasets();
      const granted = new Set((await store.listGrants({ user: who.user })).map(g => g.dataset));
      return all
        .filter(d => granted.has(d.name) || who.role === 'admin')
        .map(d => ({ name: d.name, description: d.description, accounting: d.accounting }));
    },
    async metadata(who, name) {
      const { dataset } = await datasetAccess(store, who, name);
      return {
        name: dataset.name,
        description: dataset.description,
        accounting: dataset.accounting,
        delta: dataset.delta,
        metadata: dataset.metadata
      };
    },
    budget: status,
    async budgets(who) {
      const grants = await store.listGrants({ user: who.user });
      return Promise.all(grants.map(g => status(who, g.dataset)));
    },
    async history(who, dataset, limit) {
      if (dataset !== undefined) await datasetAccess(store, who, dataset);
      const records = await store.listArchive({ user: who.user, dataset, limit });
      return records.map(r => ({
        queryId: r.queryId,
        dataset: r.dataset,
        at: r.at,
        plan: r.plan,
        cost: r.cost,
        release: historyRelease(r.plan, r.release)
      }));
    },
    async dummyRows(who, name, rows, seed) {
      await datasetAccess(store, who, name);
      if (rows > 100000)
        throw new LomasError('INVALID_PARAMETER', { parameter: 'rows', rule: 'at most 100000' });
      return deps.dummyRows(name, rows, seed);
    },
    async charge(who, idempotencyKey) {
      // A request with this key still on its way to the ledger here: answer after its charge step.
      await deps.admission?.settled(who.user, idempotencyKey);
      const entry = await store.findLedgerEntryByIdempotencyKey(who.user, idempotencyKey);
      if (!entry)
        throw new LomasError('NOT_FOUND', {
          what: `A charge for Idempotency-Key "${idempotencyKey}"`
        });
      const archived = await store.getArchive(entry.queryId);
      return {
        idempotencyKey,
        queryId: entry.queryId,
        dataset: entry.dataset,
        at: entry.at,
        cost: shownCost(entry.cost),
        answer: archived ? archived.kind : 'pending'
      };
    }
  };
}
