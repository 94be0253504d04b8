import { LomasError, type CreateDatasetBody, type UpdateDatasetBody } from 'lomas-kernel/protocol';
import type { z } from 'zod';
import type { Ledger } from '../ledger';
import type { DatasetRecord, Store } from '../store/types';
import { exactDecimal, normalizeBudget } from './amounts';

type CreateDataset = z.output<typeof CreateDatasetBody>;
type UpdateDataset = z.output<typeof UpdateDatasetBody>;

export async function mustDataset(store: Store, name: string): Promise<DatasetRecord> {
  const d = await store.getDataset(name);
  if (!d) throw new LomasError('DATASET_NOT_FOUND', { dataset: name });
  return d;
}

/**
 * Datasets: registration, updates (each bumps the version, which invalidates cached data) and
 * removal (the ledger stays). The dataset-wide cap changes only through the ledger.
 */
export function datasetAdmin(store: Store, ledger: Ledger, now: () => string) {
  return {
    listDatasets: () => store.listDatasets(),
    getDataset: (name: string) => mustDataset(store, name),

    async createDataset(actor: string, input: CreateDataset): Promise<DatasetRecord> {
      if (await store.getDataset(input.name))
        throw new LomasError('CONFLICT', {
          what: `Dataset "${input.name}"`,
          problem: 'it already exists'
        });
      const cap = input.cap === null ? null : normalizeBudget(input.cap, input.accounting, 'cap');
      const at = now();
      const record: DatasetRecord = {
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        connector: input.connector,
        metadata: input.metadata,
        accounting: input.accounting,
        ...(input.delta !== undefined ? { delta: exactDecimal(input.delta) } : {}),
        cap: null,
        version: 1,
        createdAt: at,
        updatedAt: at
      };
      await store.putDataset(record);
      // The cap goes through the ledger (a 'cap' entry in the hash chain); it bumps the version.
      if (cap)
        await ledger.setCap({ dataset: input.name, cap, accounting: input.accounting, actor });
      return mustDataset(store, input.name);
    },

    async updateDataset(actor: string, name: string, patch: UpdateDataset): Promise<DatasetRecord> {
      const current = await mustDataset(store, name);
      const accounting = patch.accounting ?? current.accounting;
      if (
        patch.accounting !== undefined &&
        patch.accounting !== current.accounting &&
        (await store.lastLedgerEntry(name))
      )
        throw new LomasError('CONFLICT', {
          what: `Dataset "${name}"`,
          problem:
            'its accounting mode cannot change once it has ledger entries (spent budgets would be read in another unit)'
        });
      if (patch.cap !== undefined) {
        const cap = patch.cap === null ? null : normalizeBudget(patch.cap, accounting, 'cap');
        await ledger.setCap({ dataset: name, cap, accounting, actor });
      }
      const fresh = await mustDataset(store, name);
      const next: DatasetRecord = {
        ...fresh,
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.connector !== undefined ? { connector: patch.connector } : {}),
        ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}),
        ...(patch.delta !== undefined ? { delta: exactDecimal(patch.delta) } : {}),
        accounting,
        version: fresh.version + 1,
        updatedAt: now()
      };
      await store.putDataset(next);
      return next;
    },

    async removeDataset(name: string): Promise<{ name: string; removed: true }> {
      await mustDataset(store, name);
      await store.deleteDataset(name);
      return { name, removed: true };
    }
  };
}
