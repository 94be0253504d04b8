import { LomasError } from 'lomas-kernel/protocol';
import type { Principal } from './types';
import type { DatasetRecord, GrantRecord, Store } from '../store/types';

export interface DatasetAccess {
  dataset: DatasetRecord;
  /** The caller's grant, or null for an admin without one. */
  grant: GrantRecord | null;
}

/**
 * An analyst sees a dataset only through a grant on it; an unknown dataset and one without a
 * grant answer the same way, so analysts cannot probe which datasets exist.
 */
export async function datasetAccess(
  store: Store,
  who: Principal,
  name: string
): Promise<DatasetAccess> {
  const [dataset, grant] = await Promise.all([
    store.getDataset(name),
    store.getGrant(who.user, name)
  ]);
  if (!dataset || (!grant && who.role !== 'admin'))
    throw new LomasError('DATASET_NOT_FOUND', { dataset: name });
  return { dataset, grant };
}

/** Like datasetAccess, but spending needs a grant even for admins. */
export async function spendingAccess(
  store: Store,
  who: Principal,
  name: string
): Promise<DatasetAccess & { grant: GrantRecord }> {
  const access = await datasetAccess(store, who, name);
  if (!access.grant) throw new LomasError('NO_GRANT', { dataset: name });
  return { ...access, grant: access.grant };
}
