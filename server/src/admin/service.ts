import {
  LomasError,
  type AccountingMode,
  type Budget,
  type BudgetInput,
  type CreateDatasetBody,
  type UpdateDatasetBody
} from 'lomas-kernel/protocol';
import type { z } from 'zod';
import { newKey } from '../auth/keys';
import { amount, type ChainReport, type Ledger } from '../ledger';
import type {
  ApiKeyRecord,
  ArchiveRecord,
  DatasetRecord,
  GrantRecord,
  LedgerEntry,
  Role,
  Store,
  UserRecord
} from '../store/types';

/**
 * The admin domain: users and keys, grants, datasets, the ledger, the archive and the audit.
 * Grants and caps change only through the ledger (setGrant/setCap), which refuses to go below
 * what is already spent in the same atomic step as charges.
 */
export interface AdminDeps {
  store: Store;
  ledger: Ledger;
  now?: () => Date;
}

export type KeyView = Omit<ApiKeyRecord, 'salt' | 'hash'>;
export interface GrantView extends GrantRecord {
  spent: Budget;
}

type BudgetIn = z.output<typeof BudgetInput>;
type CreateDataset = z.output<typeof CreateDatasetBody>;
type UpdateDataset = z.output<typeof UpdateDatasetBody>;

const DIGITS = 10;

/** An exact decimal string for an amount given as a decimal string or a number. */
export function exactDecimal(x: string | number): string {
  let f: amount.Frac;
  try {
    f = amount.readAmount(x);
  } catch {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'budget',
      rule: 'an exact non-negative decimal amount'
    });
  }
  return fracToDecimal(f);
}

/** Normalises a budget to exact decimal strings and checks it fits the accounting mode. */
export function normalizeBudget(b: BudgetIn, accounting: AccountingMode, what = 'budget'): Budget {
  const out: Budget = { epsilon: exactDecimal(b.epsilon), delta: exactDecimal(b.delta) };
  if (b.rho !== undefined) out.rho = exactDecimal(b.rho);
  if (accounting === 'zcdp' && out.rho === undefined)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: `${what}.rho`,
      rule: 'a zcdp dataset is budgeted in rho'
    });
  if (amount.cmp(amount.readAmount(out.delta), amount.ONE) >= 0)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: `${what}.delta`,
      rule: 'delta must be below 1'
    });
  return out;
}

/** Spent amounts ("num/den" from the ledger) as decimals rounded up, for display. */
function showSpent(b: Budget): Budget {
  const e = amount.parseBudget(b);
  const out: Budget = {
    epsilon: amount.toDecimal(e.epsilon, DIGITS, 'up'),
    delta: amount.toDecimal(e.delta, DIGITS, 'up')
  };
  if (!e.rho.isZero()) out.rho = amount.toDecimal(e.rho, DIGITS, 'up');
  return out;
}

const REDACTED = '<redacted>';

/** Connector settings without secrets: explicit S3 credentials, HTTP header values, URL user info. */
export function redactConnector(c: DatasetRecord['connector']): DatasetRecord['connector'] {
  const out: Record<string, unknown> = JSON.parse(JSON.stringify(c));
  const creds = out.credentials as Record<string, unknown> | undefined;
  if (creds && typeof creds === 'object' && !('fromEnv' in creds)) {
    out.credentials = Object.fromEntries(Object.keys(creds).map(k => [k, REDACTED]));
  }
  const headers = out.headers as Record<string, unknown> | undefined;
  if (headers && typeof headers === 'object') {
    out.headers = Object.fromEntries(Object.keys(headers).map(k => [k, REDACTED]));
  }
  if (typeof out.url === 'string') {
    try {
      const u = new URL(out.url);
      if (u.username || u.password) {
        u.username = REDACTED;
        u.password = '';
        out.url = u.toString();
      }
    } catch {
      // not a URL: leave it
    }
  }
  return out as DatasetRecord['connector'];
}

export function containsRedacted(value: unknown): boolean {
  if (value === REDACTED) return true;
  if (typeof value === 'string') return value.includes(encodeURIComponent(REDACTED));
  if (value && typeof value === 'object') return Object.values(value).some(containsRedacted);
  return false;
}

function keyView(k: ApiKeyRecord): KeyView {
  return { id: k.id, user: k.user, label: k.label, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

export function createAdminService(deps: AdminDeps) {
  const { store, ledger } = deps;
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  /** Grant adjustments (read, add, set) of one (dataset, user) run one after the other in this process. */
  const grantQueues = new Map<string, Promise<unknown>>();

  function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = grantQueues.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined
    );
    grantQueues.set(key, tail);
    void tail.then(() => {
      if (grantQueues.get(key) === tail) grantQueues.delete(key);
    });
    return run;
  }

  async function mustUser(name: string): Promise<UserRecord> {
    const u = await store.getUser(name);
    if (!u) throw new LomasError('NOT_FOUND', { what: `User "${name}"` });
    return u;
  }

  async function mustDataset(name: string): Promise<DatasetRecord> {
    const d = await store.getDataset(name);
    if (!d) throw new LomasError('DATASET_NOT_FOUND', { dataset: name });
    return d;
  }

  async function grantView(g: GrantRecord): Promise<GrantView> {
    return { ...g, spent: showSpent(await ledger.spent(g.dataset, g.user)) };
  }

  async function getGrant(dataset: string, user: string): Promise<GrantView> {
    const g = await store.getGrant(user, dataset);
    if (!g) throw new LomasError('NOT_FOUND', { what: `The grant of "${user}" on "${dataset}"` });
    return grantView(g);
  }

  async function writeGrant(
    actor: string,
    dataset: string,
    user: string,
    budget: Budget,
    accounting: AccountingMode
  ) {
    await ledger.setGrant({ user, dataset, budget, accounting, actor });
    return getGrant(dataset, user);
  }

  return {
    // ----- users and keys -----
    listUsers: () => store.listUsers(),

    async createUser(input: { name: string; role: Role; active: boolean }): Promise<UserRecord> {
      const user: UserRecord = {
        name: input.name,
        role: input.role,
        active: input.active,
        createdAt: now()
      };
      await store.createUser(user);
      return user;
    },

    async getUser(name: string): Promise<UserRecord & { keys: KeyView[] }> {
      const u = await mustUser(name);
      return { ...u, keys: (await store.listKeys(name)).map(keyView) };
    },

    async setActive(actor: string, name: string, active: boolean): Promise<UserRecord> {
      await mustUser(name);
      if (!active && name === actor)
        throw new LomasError('CONFLICT', {
          what: `User "${name}"`,
          problem: 'an administrator cannot deactivate themselves'
        });
      await store.setUserActive(name, active);
      return mustUser(name);
    },

    async listKeys(name: string): Promise<KeyView[]> {
      await mustUser(name);
      return (await store.listKeys(name)).map(keyView);
    },

    async issueKey(name: string, label: string): Promise<KeyView & { key: string }> {
      await mustUser(name);
      const { record, key } = newKey(name, label, now());
      await store.addKey(record);
      return { ...keyView(record), key };
    },

    async revokeKey(id: string): Promise<KeyView> {
      const k = await store.getKey(id);
      if (!k) throw new LomasError('NOT_FOUND', { what: `API key "${id}"` });
      if (k.revokedAt === null) await store.revokeKey(id, now());
      return keyView((await store.getKey(id))!);
    },

    // ----- grants -----
    async listGrants(filter: { dataset?: string; user?: string }): Promise<GrantView[]> {
      const grants = await store.listGrants(filter);
      return Promise.all(grants.map(grantView));
    },

    getGrant,

    async setGrant(
      actor: string,
      dataset: string,
      user: string,
      input: BudgetIn
    ): Promise<GrantView> {
      const ds = await mustDataset(dataset);
      await mustUser(user);
      const budget = normalizeBudget(input, ds.accounting);
      return serial(`${dataset}\0${user}`, () =>
        writeGrant(actor, dataset, user, budget, ds.accounting)
      );
    },

    async adjustGrant(
      actor: string,
      dataset: string,
      user: string,
      by: BudgetIn,
      direction: 'raise' | 'lower'
    ): Promise<GrantView> {
      const ds = await mustDataset(dataset);
      await mustUser(user);
      const delta = amount.parseBudget(normalizeBudget(by, ds.accounting, 'amount'));
      return serial(`${dataset}\0${user}`, async () => {
        const current = await store.getGrant(user, dataset);
        if (!current && direction === 'lower')
          throw new LomasError('NOT_FOUND', { what: `The grant of "${user}" on "${dataset}"` });
        const base = current ? amount.parseBudget(current.budget) : amount.ZERO_BUDGET;
        let next: amount.ExactBudget;
        if (direction === 'raise') next = amount.addBudget(base, delta);
        else {
          for (const d of ['epsilon', 'delta', 'rho'] as const) {
            if (amount.cmp(delta[d], base[d]) > 0)
              throw new LomasError('INVALID_PARAMETER', {
                parameter: d,
                rule: `lowering by ${amount.toDecimal(delta[d], DIGITS, 'up')} would take the grant below zero (it is ${amount.toDecimal(base[d], DIGITS, 'down')})`
              });
          }
          next = amount.subBudgetClamp(base, delta);
        }
        const budget: Budget = {
          epsilon: fracToDecimal(next.epsilon),
          delta: fracToDecimal(next.delta)
        };
        if (ds.accounting === 'zcdp' || !next.rho.isZero() || current?.budget.rho !== undefined)
          budget.rho = fracToDecimal(next.rho);
        return writeGrant(actor, dataset, user, budget, ds.accounting);
      });
    },

    // ----- datasets -----
    listDatasets: () => store.listDatasets(),
    getDataset: mustDataset,

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
      return mustDataset(input.name);
    },

    async updateDataset(actor: string, name: string, patch: UpdateDataset): Promise<DatasetRecord> {
      const current = await mustDataset(name);
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
      const fresh = await mustDataset(name);
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
      await mustDataset(name);
      await store.deleteDataset(name);
      return { name, removed: true };
    },

    // ----- ledger, archive, audit -----
    ledgerEntries: (filter: {
      dataset?: string;
      user?: string;
      afterSeq?: number;
      limit?: number;
    }): Promise<LedgerEntry[]> => ledger.entries({ ...filter, limit: filter.limit ?? 1000 }),

    archive: (filter: {
      dataset?: string;
      user?: string;
      limit?: number;
    }): Promise<ArchiveRecord[]> => store.listArchive({ ...filter, limit: filter.limit ?? 100 }),

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

/**
 * The exact decimal of an amount that came from a decimal: its reduced denominator is 2^a·5^b, so
 * max(a, b) fractional digits render it exactly (an amount "1e-300" has 300).
 */
function fracToDecimal(f: amount.Frac): string {
  let den = f.den;
  let twos = 0;
  let fives = 0;
  for (; den % 2n === 0n; twos++) den /= 2n;
  for (; den % 5n === 0n; fives++) den /= 5n;
  if (den !== 1n)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'budget',
      rule: 'an exact decimal amount'
    });
  return amount.toDecimal(f, Math.max(twos, fives), 'down');
}

export type AdminService = ReturnType<typeof createAdminService>;
