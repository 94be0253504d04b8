import { LomasError, type BudgetStatus } from 'lomas-kernel/protocol';
import type { Principal } from '../http/principal';
import type { Ledger } from '../ledger';
import type { Store } from '../store/types';
import { datasetAccess } from './access';
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
        ...(r.sql ? { sql: r.sql } : {}),
        cost: r.cost,
        release: historyRelease(r.plan, r.release)
      }));
    },
    async dummyRows(who, name, rows, seed) {
      await datasetAccess(store, who, name);
      if (rows > 100000)
        throw new LomasError('INVALID_PARAMETER', { parameter: 'rows', rule: 'at most 100000' });
      return deps.dummyRows(name, rows, seed);
    }
  };
}
