/**
 * The authorization matrix: every route of the route table × {no key, wrong key, revoked key,
 * analyst of another dataset, analyst, admin} → the expected status, against the assembled app.
 * The Python Lomas client's routes (/lomas) are in the table too: their errors are the client's
 * exception bodies, which carry this server's code and message as well.
 */
import { recordFor } from '../../src/auth/keys';
import { apiRoutes, type RouteSpec } from '../../src/http/openapi';
import {
  call,
  countPlan,
  syntheticRequest,
  GRANT,
  KEYS,
  PENGUINS_METADATA,
  startHarness,
  type Harness
} from './harness';

type Who = 'none' | 'wrong' | 'revoked' | 'other' | 'analyst' | 'admin';
const WHO: Who[] = ['none', 'wrong', 'revoked', 'other', 'analyst', 'admin'];
const KEY_OF: Record<Who, string | undefined> = {
  none: undefined,
  wrong: KEYS.wrong,
  revoked: KEYS.carolRevoked,
  other: KEYS.bob,
  analyst: KEYS.alice,
  admin: KEYS.admin
};

let h: Harness;
let n = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** The SQL form of countPlan. */
function countSql(epsilon = '0.5') {
  return { sql: 'SELECT COUNT(*) FROM df', dataset: 'penguins', options: { epsilon } };
}

interface Req {
  path: string;
  body?: unknown;
}

/** The Python Lomas client's SmartNoise-SQL request (a text unlike countSql's, see the archive check). */
function lomasSql(epsilon: number, extra: Record<string, unknown> = {}) {
  return {
    dataset_name: 'penguins',
    query_str: 'SELECT COUNT(*) AS n FROM df',
    epsilon,
    delta: 0,
    mechanisms: {},
    ...extra
  };
}

/** A valid request for a /lomas route. */
async function lomasRequestFor(r: RouteSpec): Promise<Req> {
  const penguins = { dataset_name: 'penguins' };
  switch (r.path) {
    case '/lomas/get_dummy_dataset':
      return { path: r.path, body: { ...penguins, dummy_nb_rows: 5, dummy_seed: 1 } };
    case '/lomas/estimate_smartnoise_sql_cost':
      return { path: r.path, body: lomasSql(0.5) };
    case '/lomas/smartnoise_sql_query':
      return { path: r.path, body: lomasSql(0.001, { postprocess: true }) };
    case '/lomas/dummy_smartnoise_sql_query':
      return {
        path: r.path,
        body: lomasSql(0.5, { postprocess: true, dummy_nb_rows: 10, dummy_seed: 1 })
      };
    case '/lomas/status/{uid}': {
      // A job of alice's (an estimate: free): only she may read it.
      const job = await call(h, 'POST', '/lomas/estimate_smartnoise_sql_cost', {
        key: KEYS.alice,
        body: lomasSql(0.5)
      });
      expect(job.status).toBe(202);
      return { path: `/lomas/status/${job.body.uid}` };
    }
  }
  // Every other call names its dataset only (the refused ones are not read any further).
  return { path: r.path, body: penguins };
}

/** A valid request for each route (fixtures made on the fly so mutating routes can run 6 times). */
async function requestFor(r: RouteSpec): Promise<Req> {
  const i = ++n;
  const at = new Date().toISOString();
  if (r.path.startsWith('/lomas/')) return lomasRequestFor(r);
  switch (`${r.method} ${r.path}`) {
    case 'post /admin/users':
      return { path: r.path, body: { name: `user${i}`, role: 'analyst' } };
    case 'patch /admin/users/{name}':
      return { path: '/admin/users/alice', body: { active: true } };
    case 'post /admin/users/{name}/keys':
      return { path: '/admin/users/bob/keys', body: { label: `k${i}` } };
    case 'delete /admin/keys/{id}': {
      const id = i.toString(16).padStart(16, '0');
      await h.store.addKey(
        recordFor(`lomas_${id}_throwawaythrowawaythrowaway`, 'bob', 'throwaway', at)
      );
      return { path: `/admin/keys/${id}` };
    }
    case 'put /admin/grants/{dataset}/{user}':
      return { path: '/admin/grants/penguins/alice', body: GRANT };
    case 'post /admin/grants/{dataset}/{user}/raise':
    case 'post /admin/grants/{dataset}/{user}/lower':
      return {
        path: r.path.replace('{dataset}', 'penguins').replace('{user}', 'alice'),
        body: { epsilon: '0', delta: '0' }
      };
    case 'post /admin/datasets':
      return {
        path: r.path,
        body: {
          name: `ds${i}`,
          connector: { kind: 'vega-datasets', name: 'penguins' },
          metadata: PENGUINS_METADATA,
          accounting: 'approx'
        }
      };
    case 'patch /admin/datasets/{name}':
      return { path: '/admin/datasets/penguins', body: { description: `d${i}` } };
    case 'delete /admin/datasets/{name}': {
      await h.store.putDataset({
        name: `gone${i}`,
        connector: { kind: 'vega-datasets', name: 'penguins' },
        metadata: PENGUINS_METADATA,
        accounting: 'approx',
        cap: null,
        version: 1,
        createdAt: at,
        updatedAt: at
      });
      return { path: `/admin/datasets/gone${i}` };
    }
    case 'get /admin/archive/{queryId}': {
      const queryId = `q${i}`;
      await h.store.addArchive({
        queryId,
        user: 'alice',
        dataset: 'penguins',
        at,
        kind: 'failure',
        plan: {},
        release: null,
        error: { code: 'INTERNAL', message: 'charged, then failed' },
        cost: GRANT
      });
      return { path: `/admin/archive/${queryId}` };
    }
    case 'get /v1/charges/{idempotencyKey}':
      // Nobody charged this key (the e2e cancel test reads real charges): 404 for every caller.
      return { path: `/v1/charges/matrix-key-${i}` };
    case 'post /v1/queries':
      return { path: r.path, body: countPlan('penguins', '0.001') };
    case 'post /v1/queries/estimate':
    case 'post /v1/queries/dummy':
      return { path: r.path, body: countPlan('penguins') };
    case 'post /v1/queries/sql':
      return { path: r.path, body: countSql('0.001') };
    case 'post /v1/queries/sql/estimate':
    case 'post /v1/queries/sql/dummy':
      return { path: r.path, body: countSql() };
    case 'post /v1/synthetic':
      return { path: r.path, body: syntheticRequest('penguins', '0.01') };
    case 'post /v1/synthetic/estimate':
    case 'post /v1/synthetic/dummy':
      return { path: r.path, body: syntheticRequest('penguins', '0.5') };
    case 'get /v1/synthetic/{queryId}': {
      // A synthetic table alice paid for: only she may fetch it again.
      const queryId = `s${i}`;
      await h.store.addArchive({
        queryId,
        user: 'alice',
        dataset: 'penguins',
        at,
        kind: 'release',
        plan: { kind: 'synthetic' },
        // A well-formed (tiny) synthetic release: responses are checked against their schema.
        release: {
          version: 1,
          kind: 'release',
          dataset: 'penguins',
          queryId,
          title: 'synthetic penguins',
          rows: 1,
          columns: [{ name: 'island', type: 'string' }],
          data: { island: ['Biscoe'] },
          cost: GRANT,
          mechanisms: [],
          model: { columns: [], omitted: [] },
          accuracy: { confidence: 0.95, marginals: [], selection: null, note: '' }
        },
        cost: GRANT
      });
      return { path: `/v1/synthetic/${queryId}` };
    }
    case 'post /v1/models':
    case 'post /v1/models/estimate':
    case 'post /v1/models/dummy':
      return {
        path: r.path,
        body: {
          version: 1,
          dataset: 'penguins',
          model: 'linear',
          features: ['bill_length_mm'],
          target: 'body_mass_g',
          budget: { epsilon: '0.01' }
        }
      };
  }
  if (r.method !== 'get') throw new Error(`no request for ${r.method} ${r.path}`);
  return {
    path: r.path
      .replace('{name}', r.path.startsWith('/admin/users') ? 'alice' : 'penguins')
      .replace('{dataset}', 'penguins')
      .replace('{user}', 'alice')
  };
}

/**
 * Expected status. An analyst sees a dataset only through a grant, and one without a grant looks
 * exactly like one that does not exist (DATASET_NOT_FOUND, 404). An admin may read any dataset on
 * the analyst routes (domain/access.ts datasetAccess) but spending needs a grant even for an
 * admin (spendingAccess: NO_GRANT, 403).
 */
function expected(r: RouteSpec, who: Who): { status: number; code?: string } {
  // A route without a success answer only refuses (the Python client's other libraries).
  const ok = r.ok ? { status: r.ok.status } : { status: 400, code: 'INVALID_REQUEST' };
  if (r.access === 'public') return ok;
  if (who === 'none' || who === 'wrong' || who === 'revoked')
    return { status: 401, code: 'UNAUTHENTICATED' };
  if (r.access === 'admin') return who === 'admin' ? ok : { status: 403, code: 'FORBIDDEN' };
  if (r.path.startsWith('/lomas/')) return lomasExpected(r, who, ok);
  // Charges are looked up among the caller's own: an unknown key is not found, for everyone.
  if (r.path === '/v1/charges/{idempotencyKey}') return { status: 404, code: 'NOT_FOUND' };
  // Analyst routes: only the analyst with a grant on "penguins" may touch it.
  const scoped = r.path.includes('{name}') || r.body !== undefined;
  if (who === 'analyst') return ok;
  // An archived synthetic table is its payer's only (admins read the archive on /admin).
  if (r.path === '/v1/synthetic/{queryId}') return { status: 404, code: 'NOT_FOUND' };
  if (!scoped) return ok;
  const spends =
    r.method === 'post' &&
    (r.path === '/v1/queries' ||
      r.path === '/v1/queries/sql' ||
      r.path === '/v1/synthetic' ||
      r.path === '/v1/models');
  if (who === 'admin') return spends ? { status: 403, code: 'NO_GRANT' } : ok;
  return { status: 404, code: 'DATASET_NOT_FOUND' };
}

/**
 * /lomas as the client's server answers: access refusals are 403 (a dataset not shared with the
 * analyst too, where /v1 says 404), and a job belongs to whoever started it (others: 404, as an
 * unknown uid). An admin may read any dataset but spends only with a grant, as on /v1.
 */
function lomasExpected(
  r: RouteSpec,
  who: Who,
  ok: { status: number; code?: string }
): { status: number; code?: string } {
  if (who === 'analyst') return ok;
  if (r.path === '/lomas/status/{uid}') return { status: 404, code: 'NOT_FOUND' };
  if (who === 'other') return { status: 403, code: 'DATASET_NOT_FOUND' };
  if (r.path === '/lomas/smartnoise_sql_query') return { status: 403, code: 'NO_GRANT' };
  return ok;
}

const rows = apiRoutes().flatMap(r =>
  WHO.map(who => [`${r.method.toUpperCase()} ${r.path}`, who, r] as const)
);

describe('authorization matrix', () => {
  test.each(rows)('%s as %s', async (_name, who, route) => {
    const req = await requestFor(route);
    const res = await call(h, route.method.toUpperCase(), req.path, {
      key: KEY_OF[who],
      body: req.body
    });
    const want = expected(route, who);
    const got = { status: res.status, code: res.status >= 400 ? res.body?.code : undefined };
    expect(got).toEqual({ status: want.status, code: want.code });
    if (res.status >= 400) {
      expect(typeof res.body.code).toBe('string');
      expect(typeof res.body.message).toBe('string');
    }
  });

  test('every route and principal was exercised; only the analyst spent budget', async () => {
    expect(rows.length).toBe(apiRoutes().length * WHO.length);
    const entries = await h.store.ledgerEntries({ dataset: 'penguins' });
    const charges = entries.filter(e => e.kind === 'charge');
    // Three queries (plan, SQL and the Lomas client's SQL), one synthetic table and one model,
    // all alice's.
    expect(charges.map(e => e.user)).toEqual(['alice', 'alice', 'alice', 'alice', 'alice']);
    // The real query pipeline ran: the charge's answer is in the archive, a DP count of the CSV.
    const archived = await Promise.all(charges.map(c => h.store.getArchive(c.queryId)));
    for (const a of archived)
      expect(a).toMatchObject({ user: 'alice', dataset: 'penguins', kind: 'release' });
    expect((archived[0]!.release as { queryId?: string }).queryId).toBe(charges[0].queryId);
    // The SQL query's archive keeps its text next to the compiled plan.
    expect(archived.filter(a => a?.sql?.text === 'SELECT COUNT(*) FROM df')).toHaveLength(1);
    expect(await h.store.ledgerEntries({ dataset: 'other' })).toHaveLength(1); // bob's grant only
  });

  test('a dataset the analyst may not see looks exactly like one that does not exist', async () => {
    const hidden = await call(h, 'GET', '/v1/datasets/penguins', { key: KEYS.bob });
    const missing = await call(h, 'GET', '/v1/datasets/nosuchdataset', { key: KEYS.bob });
    expect(hidden.status).toBe(missing.status);
    expect(hidden.body.code).toBe(missing.body.code);
    const list = await call(h, 'GET', '/v1/datasets', { key: KEYS.bob });
    expect(list.body.map((d: { name: string }) => d.name)).toEqual(['other']);
  });

  test('no identity from plain headers', async () => {
    for (const headers of <Array<Record<string, string>>>[
      { 'x-user': 'admin' },
      { 'x-forwarded-user': 'admin' },
      { 'x-remote-user': 'admin' },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { authorization: `bearer ${KEYS.admin}x` }
    ]) {
      expect((await call(h, 'GET', '/admin/users', { headers })).status).toBe(401);
    }
  });
});
