import { ResultBundle, type Budget, type BudgetStatus } from 'lomas-kernel/protocol';
import type { ConnectionState, DatasetSummary } from './tokens';

/**
 * Checks a MIME payload against the protocol's ResultBundle schema (the one the server builds its
 * releases with) without trusting it. Pure and DOM-free so it can be unit-tested; the renderer
 * shows `problems` in an error box instead of crashing.
 */
export type Parsed = { ok: true; bundle: ResultBundle } | { ok: false; problems: string[] };

/** A zod path as people read it: rows[0].a, mechanisms[1].cost.delta. */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

export function parseResultBundle(data: unknown): Parsed {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, problems: ['the payload is not a JSON object'] };
  const version = (data as { version?: unknown }).version;
  if (version !== 1)
    return {
      ok: false,
      problems: [`unsupported version ${JSON.stringify(version)} (expected 1)`]
    };
  const r = ResultBundle.safeParse(data);
  if (r.success) return { ok: true, bundle: r.data };
  return {
    ok: false,
    problems: r.error.issues
      .slice(0, 20)
      .map(i => `${pathText(i.path) || '(payload)'}: ${i.message}`)
  };
}

/*
 * The other payloads the front end reads: the Jupyter server extension's connection state, the
 * analyst's budgets and datasets, the admin route's answers. Hand checks until the protocol
 * exports zod schemas for them (issue 10 moves every wire type there): this file is the one place
 * to swap them. Each throws a PayloadError naming the first field that does not fit.
 */

export class PayloadError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isAmount(v: unknown): boolean {
  return (
    (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v))
  );
}

type Obj = Record<string, unknown>;

function need(ok: boolean, where: string, what: string): void {
  if (!ok) throw new PayloadError(`The server answered, but ${where} is not ${what}.`);
}

function obj(v: unknown, where: string): Obj {
  need(isObject(v), where, 'an object');
  return v as Obj;
}

function str(o: Obj, key: string, where: string): string {
  need(typeof o[key] === 'string', `${where}.${key}`, 'a string');
  return o[key] as string;
}

function optStr(o: Obj, key: string, where: string): string | undefined {
  if (o[key] === undefined || o[key] === null) return undefined;
  return str(o, key, where);
}

function list(v: unknown, where: string): unknown[] {
  need(Array.isArray(v), where, 'a list');
  return v as unknown[];
}

function amounts(v: unknown, where: string): { epsilon: string; delta: string; rho?: string } {
  const o = obj(v, where);
  for (const k of ['epsilon', 'delta']) need(isAmount(o[k]), `${where}.${k}`, 'an amount');
  if (o.rho !== undefined) need(isAmount(o.rho), `${where}.rho`, 'an amount');
  return {
    epsilon: String(o.epsilon),
    delta: String(o.delta),
    ...(o.rho !== undefined ? { rho: String(o.rho) } : {})
  };
}

const STATUSES = ['signed-out', 'signed-in', 'refused', 'unreachable'] as const;

/** GET/PUT/DELETE /lomas/connection (jupyterlab_lomas/handlers.py describe()). */
export function parseConnection(body: unknown): ConnectionState {
  const o = obj(body, 'the connection');
  need(
    (STATUSES as readonly unknown[]).includes(o.status),
    'connection.status',
    `one of ${STATUSES.join(', ')}`
  );
  need(o.url === null || typeof o.url === 'string', 'connection.url', 'a URL or null');
  const source = o.source === 'environment' ? 'environment' : 'file';
  return {
    status: o.status as ConnectionState['status'],
    url: (o.url as string | null) ?? null,
    source,
    ...(typeof o.user === 'string' ? { user: o.user } : {}),
    ...(typeof o.role === 'string' ? { role: o.role } : {}),
    ...(typeof o.configFile === 'string' ? { configFile: o.configFile } : {}),
    ...(typeof o.problem === 'string' ? { problem: o.problem } : {})
  };
}

/** GET /v1/me/budgets: budgets that do not fit are left out (one bad entry never hides the rest). */
export function parseBudgets(body: unknown): BudgetStatus[] {
  const out: BudgetStatus[] = [];
  for (const [i, v] of list(body, 'the budget list').entries()) {
    try {
      const o = obj(v, `budgets[${i}]`);
      out.push({
        dataset: str(o, 'dataset', `budgets[${i}]`),
        accounting: str(o, 'accounting', `budgets[${i}]`) as BudgetStatus['accounting'],
        initial: amounts(o.initial, `budgets[${i}].initial`),
        spent: amounts(o.spent ?? { epsilon: '0', delta: '0' }, `budgets[${i}].spent`),
        remaining: amounts(o.remaining, `budgets[${i}].remaining`)
      });
    } catch {
      // skipped
    }
  }
  return out;
}

/** GET /v1/datasets. */
export function parseDatasets(body: unknown): DatasetSummary[] {
  return list(body, 'the dataset list').map((v, i) => {
    const o = obj(v, `datasets[${i}]`);
    return {
      name: str(o, 'name', `datasets[${i}]`),
      accounting: optStr(o, 'accounting', `datasets[${i}]`) ?? '?',
      ...(typeof o.description === 'string' ? { description: o.description } : {})
    };
  });
}

/** A chart output: CHART_MIME's payload and the bundle's Vega-Lite spec. */
export function parseChart(
  payload: unknown,
  spec: unknown
): { ok: true; title: string; spec: Record<string, unknown> } | { ok: false; problem: string } {
  if (!isObject(payload) || payload.version !== 1)
    return { ok: false, problem: 'the chart payload is not version 1' };
  if (!isObject(spec)) return { ok: false, problem: 'the output has no Vega-Lite spec' };
  return { ok: true, title: typeof payload.title === 'string' ? payload.title : '', spec };
}

// ----- the admin route -----

export interface AdminUser {
  name: string;
  role: string;
  active: boolean;
  createdAt: string;
}
export interface AdminKey {
  id: string;
  user: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}
export interface AdminGrant {
  user: string;
  dataset: string;
  budget: Budget;
  spent?: Budget;
}
export interface AdminDataset {
  name: string;
  description?: string;
  accounting: string;
  version: number;
  cap: Budget | null;
  delta?: string;
  connector: Obj;
  metadata: Obj;
  updatedAt: string;
}
export interface AdminLedgerEntry {
  dataset: string;
  seq: number;
  user: string;
  kind: 'charge' | 'grant' | 'cap';
  cost: Budget;
  at: string;
  actor?: string;
  /** The new grant (kind 'grant') or cap (kind 'cap') the entry set; null when removed. */
  setTo?: Budget | null;
  hash: string;
}
export interface ChainReport {
  ok: boolean;
  entries: number;
  dataset?: string;
  firstBadSeq?: number;
  problem?: string;
  heads: Record<string, { seq: number; hash: string }>;
}

export function parseUser(v: unknown, where = 'the user'): AdminUser {
  const o = obj(v, where);
  need(typeof o.active === 'boolean', `${where}.active`, 'true or false');
  return {
    name: str(o, 'name', where),
    role: str(o, 'role', where),
    active: o.active as boolean,
    createdAt: optStr(o, 'createdAt', where) ?? ''
  };
}

export const parseUsers = (body: unknown): AdminUser[] =>
  list(body, 'the user list').map((v, i) => parseUser(v, `users[${i}]`));

export function parseKey(v: unknown, where = 'the key'): AdminKey {
  const o = obj(v, where);
  return {
    id: str(o, 'id', where),
    user: str(o, 'user', where),
    label: optStr(o, 'label', where) ?? '',
    createdAt: optStr(o, 'createdAt', where) ?? '',
    revokedAt: optStr(o, 'revokedAt', where) ?? null
  };
}

export const parseKeys = (body: unknown): AdminKey[] =>
  list(body, 'the key list').map((v, i) => parseKey(v, `keys[${i}]`));

/** POST /admin/users/{name}/keys: the key itself, shown once. */
export function parseIssuedKey(body: unknown): AdminKey & { key: string } {
  const k = parseKey(body, 'the issued key');
  const key = str(obj(body, 'the issued key'), 'key', 'the issued key');
  return { ...k, key };
}

export function parseGrant(v: unknown, where = 'the grant'): AdminGrant {
  const o = obj(v, where);
  return {
    user: str(o, 'user', where),
    dataset: str(o, 'dataset', where),
    budget: amounts(o.budget, `${where}.budget`),
    ...(o.spent !== undefined ? { spent: amounts(o.spent, `${where}.spent`) } : {})
  };
}

export const parseGrants = (body: unknown): AdminGrant[] =>
  list(body, 'the grant list').map((v, i) => parseGrant(v, `grants[${i}]`));

export function parseAdminDataset(v: unknown, where = 'the dataset'): AdminDataset {
  const o = obj(v, where);
  need(typeof o.version === 'number', `${where}.version`, 'a number');
  return {
    name: str(o, 'name', where),
    accounting: str(o, 'accounting', where),
    version: o.version as number,
    cap: o.cap === null || o.cap === undefined ? null : amounts(o.cap, `${where}.cap`),
    connector: obj(o.connector, `${where}.connector`),
    metadata: obj(o.metadata, `${where}.metadata`),
    updatedAt: optStr(o, 'updatedAt', where) ?? '',
    ...(typeof o.description === 'string' ? { description: o.description } : {}),
    ...(typeof o.delta === 'string' ? { delta: o.delta } : {})
  };
}

export const parseAdminDatasets = (body: unknown): AdminDataset[] =>
  list(body, 'the dataset list').map((v, i) => parseAdminDataset(v, `datasets[${i}]`));

const ENTRY_KINDS = ['charge', 'grant', 'cap'];

export const parseLedger = (body: unknown): AdminLedgerEntry[] =>
  list(body, 'the ledger').map((v, i) => {
    const where = `ledger[${i}]`;
    const o = obj(v, where);
    need(typeof o.seq === 'number', `${where}.seq`, 'a number');
    need(ENTRY_KINDS.includes(o.kind as string), `${where}.kind`, 'charge, grant or cap');
    return {
      dataset: str(o, 'dataset', where),
      seq: o.seq as number,
      user: str(o, 'user', where),
      kind: o.kind as AdminLedgerEntry['kind'],
      cost: amounts(o.cost, `${where}.cost`),
      at: str(o, 'at', where),
      hash: str(o, 'hash', where),
      ...(typeof o.actor === 'string' ? { actor: o.actor } : {}),
      ...(o.kind === 'grant' && o.userGrant !== undefined
        ? { setTo: o.userGrant === null ? null : amounts(o.userGrant, `${where}.userGrant`) }
        : {}),
      ...(o.kind === 'cap' && o.datasetCap !== undefined
        ? { setTo: o.datasetCap === null ? null : amounts(o.datasetCap, `${where}.datasetCap`) }
        : {})
    };
  });

export function parseChainReport(body: unknown): ChainReport {
  const o = obj(body, 'the audit report');
  need(typeof o.ok === 'boolean', 'audit.ok', 'true or false');
  need(typeof o.entries === 'number', 'audit.entries', 'a number');
  const heads: ChainReport['heads'] = {};
  for (const [name, h] of Object.entries(obj(o.heads ?? {}, 'audit.heads'))) {
    const head = obj(h, `audit.heads.${name}`);
    heads[name] = { seq: Number(head.seq), hash: String(head.hash) };
  }
  return {
    ok: o.ok as boolean,
    entries: o.entries as number,
    heads,
    ...(typeof o.dataset === 'string' ? { dataset: o.dataset } : {}),
    ...(typeof o.firstBadSeq === 'number' ? { firstBadSeq: o.firstBadSeq } : {}),
    ...(typeof o.problem === 'string' ? { problem: o.problem } : {})
  };
}
