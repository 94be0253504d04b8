import axios, { type AxiosInstance, type Method } from 'axios';
import {
  LomasError,
  type BudgetStatus,
  type ConnectorSpec,
  type DatasetMetadata
} from '../protocol';
import { resolveConfig, type ConnectOptions } from './config';
import { INSPECT } from './display';
import { toLomasError } from './http';

/**
 * The admin route from a notebook: users and keys, grants and caps, datasets, the ledger and its
 * audit. Every call is one request to `/admin/...` with an admin key; the server checks the role,
 * so this class adds no power, only names. The key comes from `connectAdmin({ token })` or
 * `$LOMAS_ADMIN_KEY` and, like the analyst's, is never printed or serialized.
 */

export interface BudgetAmounts {
  epsilon: string | number;
  delta: string | number;
  rho?: string | number;
}

export interface UserView {
  name: string;
  role: 'analyst' | 'admin';
  active: boolean;
  createdAt: string;
}

export interface IssuedKey {
  id: string;
  user: string;
  label: string;
  key: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface GrantView {
  user: string;
  dataset: string;
  budget: BudgetStatus['initial'];
  spent: BudgetStatus['spent'];
  createdAt: string;
  updatedAt: string;
}

export interface DatasetRegistration {
  name: string;
  description?: string;
  connector: ConnectorSpec;
  metadata: DatasetMetadata;
  accounting?: 'pure' | 'approx' | 'zcdp';
  delta?: string | number;
  cap?: BudgetAmounts | null;
}

export interface LedgerEntry {
  seq: number;
  user: string;
  kind: 'charge' | 'grant' | 'cap';
  cost: Record<string, string>;
  queryId: string;
  at: string;
  hash: string;
}

export interface ChainReport {
  ok: boolean;
  entries: number;
  firstBadSeq?: number;
  problem?: string;
  heads: Record<string, { seq: number; hash: string }>;
}

export class LomasAdmin {
  private readonly http: AxiosInstance;
  constructor(
    readonly url: string,
    token: string,
    timeoutMs: number
  ) {
    this.http = axios.create({
      baseURL: url,
      timeout: timeoutMs,
      headers: { Authorization: `Bearer ${token}` }
    });
  }

  [INSPECT](): string {
    return `LomasAdmin(${this.url})`;
  }

  toJSON(): { url: string } {
    return { url: this.url };
  }

  me(): Promise<{ user: string; role: string }> {
    return this.call('get', '/v1/me');
  }

  users(): Promise<UserView[]> {
    return this.call('get', '/admin/users');
  }

  /** Creates an analyst (or an admin) and issues the first key: shown once, hand it over now. */
  async createUser(
    name: string,
    opts: { role?: 'analyst' | 'admin'; keyLabel?: string } = {}
  ): Promise<{ user: UserView; key: IssuedKey }> {
    const user = await this.call<UserView>('post', '/admin/users', {
      name,
      role: opts.role ?? 'analyst'
    });
    const key = await this.issueKey(name, opts.keyLabel ?? 'first key');
    return { user, key };
  }

  issueKey(user: string, label = ''): Promise<IssuedKey> {
    return this.call('post', `/admin/users/${encodeURIComponent(user)}/keys`, { label });
  }

  revokeKey(id: string): Promise<unknown> {
    return this.call('delete', `/admin/keys/${encodeURIComponent(id)}`);
  }

  /** Sets a user's grant on a dataset (the total they may spend, not an increment). */
  grant(dataset: string, user: string, budget: BudgetAmounts): Promise<GrantView> {
    return this.call('put', grantPath(dataset, user), budget);
  }

  grants(filter: { dataset?: string; user?: string } = {}): Promise<GrantView[]> {
    return this.call('get', '/admin/grants', undefined, filter);
  }

  datasets(): Promise<Array<DatasetRegistration & { version: number }>> {
    return this.call('get', '/admin/datasets');
  }

  registerDataset(
    dataset: DatasetRegistration
  ): Promise<DatasetRegistration & { version: number }> {
    return this.call('post', '/admin/datasets', dataset);
  }

  ledger(filter: { dataset?: string; user?: string; limit?: number } = {}): Promise<LedgerEntry[]> {
    return this.call('get', '/admin/ledger', undefined, filter);
  }

  /** Recomputes the ledger's hash chain; `ok: false` names the first entry that does not match. */
  audit(dataset?: string): Promise<ChainReport> {
    return this.call('get', '/admin/audit', undefined, dataset ? { dataset } : {});
  }

  private async call<T>(
    method: Method,
    path: string,
    data?: unknown,
    params?: Record<string, string | number | undefined>
  ): Promise<T> {
    try {
      return (await this.http.request<T>({ method, url: path, data, params })).data;
    } catch (err) {
      throw toLomasError(err, this.url);
    }
  }
}

function grantPath(dataset: string, user: string): string {
  return `/admin/grants/${encodeURIComponent(dataset)}/${encodeURIComponent(user)}`;
}

/**
 * Connects with an admin key (`token`, else `$LOMAS_ADMIN_KEY`) and checks that it holds the admin
 * role, so a wrong key fails here with advice rather than at the first action.
 */
export async function connectAdmin(options: ConnectOptions = {}): Promise<LomasAdmin> {
  const token = options.token ?? process.env.LOMAS_ADMIN_KEY;
  if (!token)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'token',
      rule: 'no admin key is configured',
      fix: 'Set LOMAS_ADMIN_KEY (npm run up prints it and writes .lomas-data/keys.env), or call connectAdmin({ token }).'
    });
  const config = resolveConfig({ ...options, token });
  const admin = new LomasAdmin(config.url, config.token, config.timeoutMs);
  const me = await admin.me();
  if (me.role !== 'admin')
    throw new LomasError('FORBIDDEN', {
      action: 'administer this server with this key',
      reason: `The key belongs to "${me.user}", who is not an administrator: use an admin key (LOMAS_ADMIN_KEY).`
    });
  return admin;
}
