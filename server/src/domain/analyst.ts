import type { BudgetStatus, DatasetSummary, DummyRows, HistoryEntry } from 'lomas-kernel/protocol';
import type { Ledger } from '../ledger';
import type { Store } from '../store/types';
import { datasetAccess } from './access';
import { budgetStatus } from './budget';
import { historyRelease } from './synthetic';
import type { AnalystService, Principal } from './types';

export interface AnalystDeps {
  store: Store;
  ledger: Ledger;
  /** Synthetic rows that respect a dataset's metadata (free: no private data involved). */
  dummyRows(dataset: string, rows: number, seed: number): Promise<DummyRows>;
}

export function createAnalystService(deps: AnalystDeps): AnalystService {
  const { store, ledger } = deps;

  async function status(who: Principal, name: string): Promise<BudgetStatus> {
    const { dataset, grant } = await datasetAccess(store, who, name);
    return budgetStatus(ledger, who.user, dataset, grant ? grant.budget : null);
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
        plan: r.plan as Record<string, unknown>,
        ...(r.sql ? { sql: r.sql } : {}),
        cost: r.cost,
        release: historyRelease(
          r.plan,
          r.kind === 'release' ? r.release : null
        ) as HistoryEntry['release']
      }));
    },
    // rows and seed were checked by the request's schema (REQUEST_LIMITS.dummyRows).
    async dummyRows(who, name, rows, seed) {
      await datasetAccess(store, who, name);
      return deps.dummyRows(name, rows, seed);
    }
  };
}
