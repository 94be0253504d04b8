import type {
  Budget,
  ChainReport,
  DatasetView,
  GrantView,
  IssuedKey,
  KeyView,
  LedgerEntryView,
  RemovedDataset,
  UserView
} from 'lomas-kernel/protocol';
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
  parseRemovedDataset,
  parseUser,
  parseUsers
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

  users = (): Promise<UserView[]> => this.get('users', parseUsers);
  createUser = (name: string, role: 'analyst' | 'admin'): Promise<UserView> =>
    this.send('POST', 'users', { name, role }, parseUser);
  setActive = (name: string, active: boolean): Promise<UserView> =>
    this.send('PATCH', `users/${encodeURIComponent(name)}`, { active }, parseUser);
  keys = (user: string): Promise<KeyView[]> =>
    this.get(`users/${encodeURIComponent(user)}/keys`, parseKeys);
  issueKey = (user: string, label: string): Promise<IssuedKey> =>
    this.send('POST', `users/${encodeURIComponent(user)}/keys`, { label }, parseIssuedKey);
  revokeKey = (id: string): Promise<KeyView> =>
    this.send('DELETE', `keys/${encodeURIComponent(id)}`, undefined, parseKey);

  grants = (): Promise<GrantView[]> => this.get('grants', parseGrants);
  setGrant = (dataset: string, user: string, budget: Budget): Promise<GrantView> =>
    this.send(
      'PUT',
      `grants/${encodeURIComponent(dataset)}/${encodeURIComponent(user)}`,
      budget,
      parseGrant
    );

  datasets = (): Promise<DatasetView[]> => this.get('datasets', parseAdminDatasets);
  createDataset = (body: Record<string, unknown>): Promise<DatasetView> =>
    this.send('POST', 'datasets', body, parseAdminDataset);
  updateDataset = (name: string, patch: Record<string, unknown>): Promise<DatasetView> =>
    this.send('PATCH', `datasets/${encodeURIComponent(name)}`, patch, parseAdminDataset);
  removeDataset = (name: string): Promise<RemovedDataset> =>
    this.send('DELETE', `datasets/${encodeURIComponent(name)}`, undefined, parseRemovedDataset);

  ledger = (limit = 10000): Promise<LedgerEntryView[]> =>
    this.get(`ledger?limit=${limit}`, parseLedger);
  audit = (): Promise<ChainReport> => this.get('audit', parseChainReport);
}
