import type { Ledger } from '../ledger';
import type { Store } from '../store/types';
import { datasetAdmin } from './datasets';
import { grantAdmin } from './grants';
import { recordAdmin } from './records';
import { userAdmin } from './users';

/** For server/src/cli/admin.ts. */
export { exactDecimal } from './amounts';

/**
 * The admin domain, in four parts: users and keys (users.ts), grants (grants.ts), datasets
 * (datasets.ts), and the ledger, archive, audit and configuration (records.ts). Grants and caps
 * change only through the ledger, which refuses to go below what is already spent in the same
 * atomic step as charges.
 */
export interface AdminDeps {
  store: Store;
  ledger: Ledger;
  now?: () => Date;
}

export function createAdminService(deps: AdminDeps) {
  const { store, ledger } = deps;
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  return {
    ...userAdmin(store, now),
    ...grantAdmin(store, ledger),
    ...datasetAdmin(store, ledger, now),
    ...recordAdmin(store, ledger)
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
