/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * End-to-end harness: the REAL server (startServer: SQLite store, ledger, DuckDB engine, DP engine,
 * admin and analyst routes) in this process, on a temp data dir, LOMAS_DEMO=false, port 0.
 *
 * It writes a small CSV whose true answers the tests know (2,000 rows, seeded):
 *   group  string, categories A, B, C, D — D never occurs in the data (an empty public group)
 *   x      int in [0, 100]
 *   y      float in [0, 10]
 *   flag   boolean
 *   z      int with NO public bounds (for the "sum without bounds" rule)
 * and registers it through the admin HTTP API three times:
 *   `e2e`       pure accounting, grant ε = 100000 to `analyst`
 *   `e2e_zcdp`  zCDP accounting (δ = 1e-6), grant ρ = 100000
 *   `e2e_tight` pure accounting, grant ε = 1 (for budget exhaustion)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createLogger, type Logger } from '../../src/logger';
import { startServer } from '../../src/server';

export const ADMIN_KEY = 'lomas_00000000000000e1_e2eadminsecretadminsecret01';
export const ANALYST_KEY = 'lomas_00000000000000e2_e2eanalystsecretanalyst0001';
export const WRONG_KEY = 'lomas_00000000000000e2_notTheAnalystSecretAtAll0001';

export const GROUPS = ['A', 'B', 'C', 'D'] as const;
export const ROWS = 2000;

export interface Row {
  group: 'A' | 'B' | 'C';
  x: number;
  y: number;
  flag: boolean;
  z: number;
}

/** mulberry32: a tiny seeded PRNG, so the data (and its true answers) are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeRows(n = ROWS, seed = 20240601): Row[] {
  const r = prng(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    // Unequal group sizes: A ~50%, B ~30%, C ~20%, D never.
    const u = r();
    const group = u < 0.5 ? 'A' : u < 0.8 ? 'B' : 'C';
    // x skewed towards low values in A, high in C, so per-group truths differ.
    const base = group === 'A' ? 20 : group === 'B' ? 50 : 80;
    const x = Math.max(0, Math.min(100, Math.round(base + (r() - 0.5) * 40)));
    const y = Math.round(r() * 10 * 1000) / 1000;
    rows.push({ group, x, y, flag: r() < 0.3, z: Math.floor(r() * 1000) });
  }
  return rows;
}

export function toCsv(rows: Row[]): string {
  return (
    ['group,x,y,flag,z', ...rows.map(r => `${r.group},${r.x},${r.y},${r.flag},${r.z}`)].join('\n') +
    '\n'
  );
}

export const METADATA = {
  max_ids: 1,
  row_privacy: true,
  columns: {
    group: { type: 'string', categories: [...GROUPS], nullable: false },
    x: { type: 'int', lower: 0, upper: 100, nullable: false },
    y: { type: 'float', lower: 0, upper: 10, nullable: false },
    flag: { type: 'boolean', nullable: false },
    z: { type: 'int', nullable: false }
  }
};

/** Exact statistics of a list of numbers (population variance, as a DP release targets). */
export function truth(xs: number[]): {
  count: number;
  sum: number;
  mean: number;
  variance: number;
  stdev: number;
} {
  const count = xs.length;
  const sum = xs.reduce((a, b) => a + b, 0);
  const mean = count ? sum / count : NaN;
  const variance = count ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / count : NaN;
  return { count, sum, mean, variance, stdev: Math.sqrt(variance) };
}

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export interface E2E {
  url: string;
  dataDir: string;
  rows: Row[];
  /** Analyst-authenticated JSON request. */
  req(
    method: string,
    path: string,
    body?: unknown,
    opts?: { key?: string | null; headers?: Record<string, string>; raw?: string }
  ): Promise<Reply>;
  admin(method: string, path: string, body?: unknown): Promise<Reply>;
  estimate(plan: unknown): Promise<Reply>;
  dummy(plan: unknown): Promise<Reply>;
  run(plan: unknown, idempotencyKey?: string): Promise<Reply>;
  /** The analyst's budget status on a dataset (decimal strings). */
  budget(dataset: string): Promise<{ initial: any; spent: any; remaining: any }>;
  /** Registers the test CSV under a new name with the given accounting and grant. */
  register(
    name: string,
    accounting: 'pure' | 'approx' | 'zcdp',
    grant: Record<string, string>,
    extra?: Record<string, unknown>
  ): Promise<void>;
  stop(): Promise<void>;
}

export interface E2EOptions {
  /** More server environment (engine limits, ...), over the harness's own. */
  env?: Record<string, string>;
  /** The server's logger (default: silent). */
  logger?: Logger;
}

export async function startE2E(opts: E2EOptions = {}): Promise<E2E> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-e2e-'));
  const rows = makeRows();
  const csv = join(dataDir, 'data.csv');
  writeFileSync(csv, toCsv(rows));
  const config = loadConfig({
    LOMAS_PORT: '0',
    LOMAS_HOST: '127.0.0.1',
    LOMAS_DATA_DIR: dataDir,
    LOMAS_DEMO: 'false',
    LOMAS_ADMIN_KEY: ADMIN_KEY,
    LOMAS_DEMO_ANALYST_KEY: ANALYST_KEY,
    LOMAS_RATE_LIMIT_PER_MINUTE: '1000000',
    // These tests measure answers, not timing: protection off, explicitly (it is on by default).
    LOMAS_MIN_LATENCY_MS: '0',
    LOMAS_LATENCY_JITTER_MS: '0',
    LOG_LEVEL: 'silent',
    ...opts.env
  });
  const server = await startServer(config, opts.logger ?? createLogger('silent'));

  async function send(
    method: string,
    path: string,
    body: unknown,
    key: string | null,
    headers: Record<string, string> = {},
    raw?: string
  ): Promise<Reply> {
    const h: Record<string, string> = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (raw !== undefined) {
      payload = raw;
      h['content-type'] ??= 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  const e2e: E2E = {
    url: server.url,
    dataDir,
    rows,
    req: (method, path, body, opts = {}) =>
      send(
        method,
        path,
        body,
        opts.key === undefined ? ANALYST_KEY : opts.key,
        opts.headers,
        opts.raw
      ),
    admin: (method, path, body) => send(method, path, body, ADMIN_KEY),
    estimate: plan => send('POST', '/v1/queries/estimate', plan, ANALYST_KEY),
    dummy: plan => send('POST', '/v1/queries/dummy', plan, ANALYST_KEY),
    run: (plan, idem) =>
      send('POST', '/v1/queries', plan, ANALYST_KEY, idem ? { 'idempotency-key': idem } : {}),
    async budget(dataset) {
      const r = await send('GET', `/v1/datasets/${dataset}/budget`, undefined, ANALYST_KEY);
      if (r.status !== 200) throw new Error(`budget ${dataset}: ${r.status} ${r.text}`);
      return r.body;
    },
    async register(name, accounting, grant, extra = {}) {
      const created = await e2e.admin('POST', '/admin/datasets', {
        name,
        connector: { kind: 'file', path: csv, format: 'csv' },
        metadata: METADATA,
        accounting,
        cap: null,
        ...extra
      });
      if (created.status !== 201)
        throw new Error(`register ${name}: ${created.status} ${created.text}`);
      const g = await e2e.admin('PUT', `/admin/grants/${name}/analyst`, grant);
      if (g.status !== 200) throw new Error(`grant ${name}: ${g.status} ${g.text}`);
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  await e2e.register('e2e', 'pure', { epsilon: '100000', delta: '0' });
  await e2e.register(
    'e2e_zcdp',
    'zcdp',
    { epsilon: '0', delta: '0.000001', rho: '100000' },
    { delta: '0.000001' }
  );
  await e2e.register('e2e_tight', 'pure', { epsilon: '1', delta: '0' });
  return e2e;
}

/** A plan on `e2e` (pure ε) with the given pieces. */
export function plan(parts: Record<string, unknown>, dataset = 'e2e'): Record<string, unknown> {
  return { version: 1, dataset, steps: [], budget: { epsilon: '1' }, ...parts };
}

/**
 * Upper bound of a one-sided binomial test: the smallest m with P[Bin(n, p) > m] ≤ alpha.
 * With n = 200, p = 0.05, alpha = 1e-6 this is 30 (mean 10 misses).
 */
export function binomialMissBound(n: number, p: number, alpha: number): number {
  // P[X = k] computed in log space, then the upper tail accumulated from the top.
  const logC = (k: number) => lgammaInt(n + 1) - lgammaInt(k + 1) - lgammaInt(n - k + 1);
  const pmf = (k: number) => Math.exp(logC(k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
  let tail = 0;
  for (let m = n; m >= 0; m--) {
    // tail = P[X > m]
    if (tail + pmf(m) > alpha) return m;
    tail += pmf(m);
  }
  return 0;
}

function lgammaInt(k: number): number {
  // log((k-1)!) for integer k ≥ 1
  let s = 0;
  for (let i = 2; i < k; i++) s += Math.log(i);
  return s;
}
