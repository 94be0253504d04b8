import type { Budget } from 'lomas-kernel/protocol';
import { json, type Request } from '../request';
import {
  parseAdminDataset,
  parseAdminDatasets,
  parseChainReport,
  parseGrant,
  parseGrants,
  parseIssuedKey,
  parseKey,
  parseKeys,
  parseLedger,
  parseUser,
  parseUsers,
  type AdminDataset,
  type AdminGrant,
  type AdminKey,
  type AdminLedgerEntry,
  type AdminUser,
  type ChainReport
} from '../validate';

/**
 * The admin route (server/src/routes/admin.ts) through the Jupyter server's proxy: every admin
 * action of the panel goes through here, and the Lomas server checks the admin role on each.
 */
export class AdminApi {
  constructor(private readonly request: Request) {}

  private get<T>(path: string, parse: (body: unknown) => T): Promise<T> {
    return this.request(`api/admin/${path}`).then(parse);
  }

  private send<T>(
    method: string,
    path: string,
    body: unknown,
    parse: (b: unknown) => T
  ): Promise<T> {
    return this.request(`api/admin/${path}`, json(method, body)).then(parse);
  }

  users = (): Promise<AdminUser[]> => this.get('users', parseUsers);
  createUser = (name: string, role: 'analyst' | 'admin'): Promise<AdminUser> =>
    this.send('POST', 'users', { name, role }, b => parseUser(b));
  setActive = (name: string, active: boolean): Promise<AdminUser> =>
    this.send('PATCH', `users/${encodeURIComponent(name)}`, { active }, b => parseUser(b));
  keys = (user: string): Promise<AdminKey[]> =>
    this.get(`users/${encodeURIComponent(user)}/keys`, parseKeys);
  issueKey = (user: string, label: string): Promise<AdminKey & { key: string }> =>
    this.send('POST', `users/${encodeURIComponent(user)}/keys`, { label }, parseIssuedKey);
  revokeKey = (id: string): Promise<AdminKey> =>
    this.send('DELETE', `keys/${encodeURIComponent(id)}`, undefined, b => parseKey(b));

  grants = (): Promise<AdminGrant[]> => this.get('grants', parseGrants);
  setGrant = (dataset: string, user: string, budget: Budget): Promise<AdminGrant> =>
    this.send(
      'PUT',
      `grants/${encodeURIComponent(dataset)}/${encodeURIComponent(user)}`,
      budget,
      b => parseGrant(b)
    );

  datasets = (): Promise<AdminDataset[]> => this.get('datasets', parseAdminDatasets);
  createDataset = (body: Record<string, unknown>): Promise<AdminDataset> =>
    this.send('POST', 'datasets', body, b => parseAdminDataset(b));
  updateDataset = (name: string, patch: Record<string, unknown>): Promise<AdminDataset> =>
    this.send('PATCH', `datasets/${encodeURIComponent(name)}`, patch, b => parseAdminDataset(b));
  removeDataset = (name: string): Promise<unknown> =>
    this.send('DELETE', `datasets/${encodeURIComponent(name)}`, undefined, b => b);

  ledger = (limit = 10000): Promise<AdminLedgerEntry[]> =>
    this.get(`ledger?limit=${limit}`, parseLedger);
  audit = (): Promise<ChainReport> => this.get('audit', parseChainReport);
}
