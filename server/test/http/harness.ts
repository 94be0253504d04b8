/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * A real HTTP server for the HTTP/admin/CLI tests: createApp (app.ts) + the embedded SQLite store
 * in a temp dir + the privacy ledger + the admin router + the service routes (metrics, health,
 * OpenAPI, timing) + the per-key rate limit, listening on 127.0.0.1:0.
 *
 * The analyst domain (AnalystService/QueryService) is a small stand-in that follows the rules of
 * the real one where the tests look (grants decide what an analyst sees; a run is charged to the
 * ledger before anything else; plans are validated with the protocol's parsePlan).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { LomasError, parsePlan, type Budget, type DatasetMetadata } from 'lomas-kernel/protocol';
import { createApp } from '../../src/app';
import { recordFor } from '../../src/auth/keys';
import type { Config } from '../../src/config';
import type { AnalystService, QueryService } from '../../src/domain/types';
import { createMetrics, type Metrics } from '../../src/http/metrics';
import type { Principal } from '../../src/http/principal';
import { rateLimit } from '../../src/http/rateLimit';
import { serviceRoutes } from '../../src/http/service';
import { bodyGuard } from '../../src/http/validate';
import { createLedger, type Ledger } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { adminRouter } from '../../src/routes/admin';
import { openStore } from '../../src/store';
import type { Store } from '../../src/store/types';

export const KEYS = {
  admin: 'lomas_00000000000000a1_adminsecretadminsecret0001',
  alice: 'lomas_00000000000000b1_alicesecretalicesecret0001',
  bob: 'lomas_00000000000000c1_bobsecretbobsecretbobsecret1',
  carolRevoked: 'lomas_00000000000000d1_carolsecretcarolsecret0001',
  wrong: 'lomas_00000000000000b1_notalicesecretnotalicesecret',
  unknown: 'lomas_ffffffffffffffff_unknownsecretunknownsecret01'
} as const;

export const PENGUINS_METADATA: DatasetMetadata = {
  max_ids: 1,
  row_privacy: true,
  rows: 344,
  columns: {
    species: { type: 'string', categories: ['Adelie', 'Chinstrap', 'Gentoo'], nullable: false },
    island: { type: 'string', categories: ['Biscoe', 'Dream', 'Torgersen'], nullable: false },
    bill_length_mm: { type: 'float', lower: 30, upper: 60, nullable: true },
    body_mass_g: { type: 'int', lower: 2500, upper: 6500, nullable: true }
  }
};

export const GRANT: Budget = { epsilon: '1', delta: '0.00001' };

export function countPlan(
  dataset: string,
  epsilon: string | number = '0.1'
): Record<string, unknown> {
  return { version: 1, dataset, steps: [], aggregations: [{ op: 'count' }], budget: { epsilon } };
}

export interface Harness {
  url: string;
  store: Store;
  ledger: Ledger;
  metrics: Metrics;
  config: Config;
  dataDir: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  rateLimitPerMinute?: number;
  minLatencyMs?: number;
  latencyJitterMs?: number;
  bodyLimit?: string;
  /** Seed users, datasets, grants (default true). */
  seed?: boolean;
}

const hashOf = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');

/** Stand-in analyst domain (see file comment). */
function standInDomain(
  store: Store,
  ledger: Ledger
): { analyst: AnalystService; queries: QueryService } {
  async function visible(who: Principal, name: string) {
    const ds = await store.getDataset(name);
    const grant = ds ? await store.getGrant(who.user, name) : null;
    if (!ds || !grant) throw new LomasError('DATASET_NOT_FOUND', { dataset: name });
    return { ds, grant };
  }
  async function status(who: Principal, name: string) {
    const { ds, grant } = await visible(who, name);
    const f = await ledger.figures({
      dataset: name,
      user: who.user,
      grant: grant.budget,
      cap: ds.cap,
      accounting: ds.accounting
    });
    return {
      dataset: name,
      accounting: ds.accounting,
      initial: f.initial,
      spent: f.spent,
      remaining: f.remaining
    };
  }
  const analyst: AnalystService = {
    async datasets(who) {
      const grants = await store.listGrants({ user: who.user });
      const out = [];
      for (const g of grants) {
        const ds = await store.getDataset(g.dataset);
        if (ds) out.push({ name: ds.name, accounting: ds.accounting });
      }
      return out;
    },
    async metadata(who, name) {
      return (await visible(who, name)).ds.metadata;
    },
    budget: status,
    async budgets(who) {
      const grants = await store.listGrants({ user: who.user });
      return Promise.all(grants.map(g => status(who, g.dataset)));
    },
    async history(who, dataset, limit) {
      return store.listArchive({ user: who.user, dataset, limit });
    },
    async dummyRows(who, name, rows) {
      await visible(who, name);
      return { rows: Array.from({ length: Math.min(rows, 5) }, () => ({ species: 'Adelie' })) };
    }
  };
  function cost(plan: ReturnType<typeof parsePlan>): Budget {
    return {
      epsilon: String(plan.budget?.epsilon ?? '0.1'),
      delta: String(plan.budget?.delta ?? '0')
    };
  }
  function release(
    plan: ReturnType<typeof parsePlan>,
    kind: 'release' | 'dummy',
    queryId?: string
  ) {
    return {
      version: 1 as const,
      kind,
      dataset: plan.dataset,
      queryId,
      title: 'count',
      columns: [{ name: 'count', role: 'estimate' as const, type: 'number' as const }],
      rows: [{ count: 42 }],
      cost: cost(plan),
      mechanisms: []
    };
  }
  const queries: QueryService = {
    async estimate(who, body) {
      const plan = parsePlan(body);
      await visible(who, plan.dataset);
      return { dataset: plan.dataset, cost: cost(plan), mechanisms: [] };
    },
    async dummy(who, body) {
      const plan = parsePlan(body);
      await visible(who, plan.dataset);
      return release(plan, 'dummy');
    },
    async run(who, body, idempotencyKey) {
      const plan = parsePlan(body);
      const { ds, grant } = await visible(who, plan.dataset);
      const queryId = randomUUID();
      const { entry } = await ledger.charge({
        user: who.user,
        dataset: plan.dataset,
        cost: cost(plan),
        grant: grant.budget,
        cap: ds.cap,
        accounting: ds.accounting,
        queryId,
        idempotencyKey: idempotencyKey ?? undefined,
        requestHash: hashOf(plan)
      });
      const out = release(plan, 'release', entry.queryId);
      if (entry.queryId === queryId)
        await store.addArchive({
          queryId,
          user: who.user,
          dataset: plan.dataset,
          at: entry.at,
          kind: 'release',
          plan,
          release: out,
          cost: out.cost
        });
      return out;
    }
  };
  return { analyst, queries };
}

export async function seed(store: Store, ledger: Ledger): Promise<void> {
  const at = new Date().toISOString();
  for (const [name, role] of [
    ['admin', 'admin'],
    ['alice', 'analyst'],
    ['bob', 'analyst'],
    ['carol', 'analyst']
  ] as const)
    await store.createUser({ name, role, active: true, createdAt: at });
  await store.addKey(recordFor(KEYS.admin, 'admin', 'test', at));
  await store.addKey(recordFor(KEYS.alice, 'alice', 'test', at));
  await store.addKey(recordFor(KEYS.bob, 'bob', 'test', at));
  const carol = recordFor(KEYS.carolRevoked, 'carol', 'test', at);
  await store.addKey(carol);
  await store.revokeKey(carol.id, at);
  for (const name of ['penguins', 'other'])
    await store.putDataset({
      name,
      connector: { kind: 'vega-datasets', name: 'penguins' },
      metadata: PENGUINS_METADATA,
      accounting: 'approx',
      cap: null,
      version: 1,
      createdAt: at,
      updatedAt: at
    });
  await ledger.setGrant({
    user: 'alice',
    dataset: 'penguins',
    budget: GRANT,
    accounting: 'approx',
    actor: 'admin'
  });
  await ledger.setGrant({
    user: 'carol',
    dataset: 'penguins',
    budget: GRANT,
    accounting: 'approx',
    actor: 'admin'
  });
  await ledger.setGrant({
    user: 'bob',
    dataset: 'other',
    budget: GRANT,
    accounting: 'approx',
    actor: 'admin'
  });
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-http-'));
  const config: Config = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    mongodbDb: 'lomas',
    demo: false,
    bodyLimit: opts.bodyLimit ?? '64kb',
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 1_000_000,
    minLatencyMs: opts.minLatencyMs ?? 0,
    latencyJitterMs: opts.latencyJitterMs ?? 0,
    corsOrigins: ['*'],
    logLevel: 'silent'
  };
  const logger = createLogger('silent');
  const store = await openStore({ dataDir });
  const ledger = createLedger(store);
  if (opts.seed !== false) await seed(store, ledger);
  const metrics = createMetrics({ defaultMetrics: false });
  const { analyst, queries } = standInDomain(store, ledger);
  const admin = adminRouter({ store, ledger });
  const app = createApp({
    config,
    logger,
    store,
    analyst,
    queries,
    admin,
    publicRoutes: serviceRoutes({
      store,
      logger,
      metrics,
      timing: { minLatencyMs: config.minLatencyMs, jitterMs: config.latencyJitterMs }
    }),
    authenticated: [bodyGuard, rateLimit({ perMinute: config.rateLimitPerMinute })]
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    ledger,
    metrics,
    config,
    dataDir,
    async close() {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

/** fetch with an optional Bearer key; returns status, headers and the parsed body. */
export async function call(
  h: { url: string },
  method: string,
  path: string,
  opts: {
    key?: string;
    body?: unknown;
    raw?: string | Buffer;
    contentType?: string;
    headers?: Record<string, string>;
  } = {}
): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? 'application/json';
  }
  const res = await fetch(h.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}
