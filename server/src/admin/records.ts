import type { Ledger, ChainReport } from '../ledger';
import type { ArchiveRecord, LedgerEntry, Store } from '../store/types';
import { LomasError, REQUEST_DEFAULTS } from 'lomas-kernel/protocol';
import { redactConnector } from './redact';

/** The ledger, the query archive, the audit of the hash chain, and the configuration dump. */
export function recordAdmin(store: Store, ledger: Ledger) {
  return {
    ledgerEntries: (filter: {
      dataset?: string;
      user?: string;
      afterSeq?: number;
      limit?: number;
    }): Promise<LedgerEntry[]> =>
      ledger.entries({ ...filter, limit: filter.limit ?? REQUEST_DEFAULTS.ledgerEntries }),

    archive: (filter: {
      dataset?: string;
      user?: string;
      limit?: number;
    }): Promise<ArchiveRecord[]> =>
      store.listArchive({ ...filter, limit: filter.limit ?? REQUEST_DEFAULTS.archiveRecords }),

    async archiveRecord(queryId: string): Promise<ArchiveRecord> {
      const a = await store.getArchive(queryId);
      if (!a) throw new LomasError('NOT_FOUND', { what: `Query "${queryId}"` });
      return a;
    },

    audit: (dataset?: string): Promise<ChainReport> => ledger.verifyChain(dataset),

    /** The configuration without secrets: users (key ids only), datasets (connector secrets redacted), grants. */
    async dump() {
      const users = await store.listUsers();
      const datasets = await store.listDatasets();
      const grants = await store.listGrants({});
      return {
        users: await Promise.all(
          users.map(async u => ({
            ...u,
            keys: (await store.listKeys(u.name)).map(k => ({
              id: k.id,
              label: k.label,
              createdAt: k.createdAt,
              revokedAt: k.revokedAt
            }))
          }))
        ),
        datasets: datasets.map(d => ({
          name: d.name,
          ...(d.description !== undefined ? { description: d.description } : {}),
          connector: redactConnector(d.connector),
          metadata: d.metadata,
          accounting: d.accounting,
          ...(d.delta !== undefined ? { delta: d.delta } : {}),
          cap: d.cap
        })),
        grants: grants.map(g => ({ user: g.user, dataset: g.dataset, budget: g.budget }))
      };
    }
  };
}
