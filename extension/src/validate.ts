import {
  BudgetStatus,
  ChainReport,
  ChartPayload,
  DatasetInfo,
  DatasetSummary,
  DatasetView,
  GrantView,
  HistoryEntry,
  IssuedKey,
  KeyView,
  LedgerEntryView,
  RemovedDataset,
  ResultBundle,
  UserView
} from 'lomas-kernel/protocol';
import type { ConnectionState } from './tokens';

/**
 * The front end reads every Lomas payload (the server's answers and the kernel's outputs) with the
 * protocol's zod schema, the one the server builds it with and /openapi.json is generated from:
 * nothing is drawn half-read, and a payload that does not fit is refused in words that name the
 * field. Pure and DOM-free (unit-tested).
 */

/** What the zod schemas offer here (the extension imports zod only through the protocol). */
interface Schema<T> {
  safeParse(
    data: unknown
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
}

/** A zod path as people read it: rows[0].a, mechanisms[1].cost.delta. */
function pathText(root: string, path: readonly PropertyKey[]): string {
  return (
    root +
    path
      .map((p, i) =>
        typeof p === 'number' ? `[${p}]` : `${i === 0 && !root ? '' : '.'}${String(p)}`
      )
      .join('')
  );
}

/** Each problem as `where: what`, at most 20. */
function problemsOf<T>(schema: Schema<T>, data: unknown, root: string): T | string[] {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  return r.error.issues
    .slice(0, 20)
    .map(i => `${pathText(root, i.path) || '(payload)'}: ${i.message}`);
}

// ----- outputs of the notebook library (drawn by the renderers) -----

export type Parsed = { ok: true; bundle: ResultBundle } | { ok: false; problems: string[] };

/** A result output: the renderer shows `problems` in an error box instead of crashing. */
export function parseResultBundle(data: unknown): Parsed {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, problems: ['the payload is not a JSON object'] };
  const version = (data as { version?: unknown }).version;
  if (version !== 1)
    return {
      ok: false,
      problems: [`unsupported version ${JSON.stringify(version)} (expected 1)`]
    };
  const r = problemsOf(ResultBundle, data, '');
  return Array.isArray(r) ? { ok: false, problems: r } : { ok: true, bundle: r };
}

/** A chart output: CHART_MIME's payload and the bundle's Vega-Lite spec (vega-embed checks it). */
export function parseChart(
  payload: unknown,
  spec: unknown
): { ok: true; title: string; spec: Record<string, unknown> } | { ok: false; problem: string } {
  const r = problemsOf(ChartPayload, payload, 'chart');
  if (Array.isArray(r)) return { ok: false, problem: `the chart payload does not fit: ${r[0]}` };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    return { ok: false, problem: 'the output has no Vega-Lite spec' };
  return { ok: true, title: r.title, spec: spec as Record<string, unknown> };
}

// ----- answers of the Lomas server (through the Jupyter server's proxy) -----

export class PayloadError extends Error {}

/** The payload as `schema` reads it, or a PayloadError naming the first field that does not fit. */
function read<T>(schema: Schema<T>, body: unknown, root: string): T {
  const r = problemsOf(schema, body, root);
  if (!Array.isArray(r)) return r;
  throw new PayloadError(`The server answered, but ${r[0]}.`);
}

/** A list of `item`s: a body that is no list is refused as a whole. */
function list<T>(item: Schema<T>, body: unknown, root: string): T[] {
  if (!Array.isArray(body))
    throw new PayloadError(`The server answered, but ${root} is not a list.`);
  return body.map((v, i) => read(item, v, `${root}[${i}]`));
}

/** GET /v1/me/budgets. */
export const parseBudgets = (body: unknown): BudgetStatus[] => list(BudgetStatus, body, 'budgets');

/** GET /v1/datasets. */
export const parseDatasets = (body: unknown): DatasetSummary[] =>
  list(DatasetSummary, body, 'datasets');

/** GET /v1/datasets/{name}: a dataset's public description. */
export const parseDatasetInfo = (body: unknown): DatasetInfo => read(DatasetInfo, body, 'dataset');

/** GET /v1/queries: my previous queries (plans are read by plans.ts, per entry). */
export const parseHistory = (body: unknown): HistoryEntry[] => list(HistoryEntry, body, 'queries');

export const parseUser = (body: unknown): UserView => read(UserView, body, 'user');
export const parseUsers = (body: unknown): UserView[] => list(UserView, body, 'users');
export const parseKey = (body: unknown): KeyView => read(KeyView, body, 'key');
export const parseKeys = (body: unknown): KeyView[] => list(KeyView, body, 'keys');
/** POST /admin/users/{name}/keys: the key itself, shown once. */
export const parseIssuedKey = (body: unknown): IssuedKey => read(IssuedKey, body, 'issuedKey');
export const parseGrant = (body: unknown): GrantView => read(GrantView, body, 'grant');
export const parseGrants = (body: unknown): GrantView[] => list(GrantView, body, 'grants');
export const parseAdminDataset = (body: unknown): DatasetView => read(DatasetView, body, 'dataset');
export const parseAdminDatasets = (body: unknown): DatasetView[] =>
  list(DatasetView, body, 'datasets');
export const parseRemovedDataset = (body: unknown): RemovedDataset =>
  read(RemovedDataset, body, 'removed');
export const parseLedger = (body: unknown): LedgerEntryView[] =>
  list(LedgerEntryView, body, 'ledger');
export const parseChainReport = (body: unknown): ChainReport => read(ChainReport, body, 'audit');

// ----- the Jupyter server extension's own answer -----

/*
 * GET/PUT/DELETE /lomas/connection is written by Python (jupyterlab_lomas/handlers.py describe()),
 * not by the Lomas server, so no protocol schema describes it: a hand check (unit-tested in
 * extension.test.ts; the Python side's answers in server-extension.test.ts). It keeps only the
 * fields it knows.
 */

const STATUSES = ['signed-out', 'signed-in', 'refused', 'unreachable'] as const;

function need(ok: boolean, where: string, what: string): void {
  if (!ok) throw new PayloadError(`The Jupyter server answered, but ${where} is not ${what}.`);
}

export function parseConnection(body: unknown): ConnectionState {
  need(typeof body === 'object' && body !== null && !Array.isArray(body), 'it', 'an object');
  const o = body as Record<string, unknown>;
  need(
    (STATUSES as readonly unknown[]).includes(o.status),
    'connection.status',
    `one of ${STATUSES.join(', ')}`
  );
  need(o.url === null || typeof o.url === 'string', 'connection.url', 'a URL or null');
  const text = (key: 'user' | 'role' | 'configFile' | 'problem') =>
    typeof o[key] === 'string' ? { [key]: o[key] } : {};
  return {
    status: o.status as ConnectionState['status'],
    url: (o.url as string | null) ?? null,
    source: o.source === 'environment' ? 'environment' : 'file',
    ...text('user'),
    ...text('role'),
    ...text('configFile'),
    ...text('problem')
  };
}
