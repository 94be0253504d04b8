/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * The synthetic-data routes over real HTTP (the harness: startServer on the embedded store, a
 * 60-row penguins CSV, approx accounting): estimate and dummy are free; a run is charged exactly
 * its estimate, before the data is read, and archived; the archived table is fetched again for
 * free by its payer only; an idempotent retry is not charged twice; bad input is refused before
 * any charge with an error that names the rule and the fix; a failure after the charge keeps it.
 */
import type { DatasetMetadata } from 'lomas-kernel/protocol';
import { createAdminService } from '../../src/admin/service';
import { call, GRANT, KEYS, PENGUINS_METADATA, startHarness, type Harness } from './harness';

let h: Harness;
const body = (extra: Record<string, unknown> = {}) => ({
  version: 1,
  dataset: 'penguins',
  rows: 50,
  budget: { epsilon: '0.3' },
  ...extra
});

async function charges(dataset = 'penguins') {
  return (await h.ledger.entries({ dataset })).filter(e => e.kind === 'charge');
}

beforeAll(async () => {
  h = await startHarness();
  const admin = createAdminService({ store: h.store, ledger: h.ledger });
  const wide: DatasetMetadata = {
    ...PENGUINS_METADATA,
    columns: {
      ...PENGUINS_METADATA.columns,
      note: { type: 'string', nullable: true },
      weight: { type: 'int', nullable: true, lower: 0 }
    }
  };
  await admin.createDataset('admin', {
    name: 'wide',
    connector: { kind: 'file', path: h.csvPath, format: 'csv' },
    metadata: wide,
    accounting: 'approx',
    cap: null
  });
  await admin.createDataset('admin', {
    name: 'broken',
    connector: { kind: 'file', path: `${h.dataDir}/missing.csv`, format: 'csv' },
    metadata: PENGUINS_METADATA,
    accounting: 'approx',
    cap: null
  });
  for (const d of ['wide', 'broken']) await admin.setGrant('admin', d, 'alice', GRANT);
}, 60_000);
afterAll(() => h.close());

describe('synthetic tables over HTTP', () => {
  test('estimate is free and states the cost, the noise of each stage and the columns', async () => {
    const r = await call(h, 'POST', '/v1/synthetic/estimate', { key: KEYS.alice, body: body() });
    expect(r.status).toBe(200);
    expect(r.body.cost).toEqual({ epsilon: '0.3', delta: '0' });
    expect(r.body.mechanisms.map((m: any) => m.aggregation)).toEqual([
      'one-way marginals',
      'tree of pairs',
      'pair marginals'
    ]);
    expect(r.body.model.columns.map((c: any) => c.name)).toEqual(
      Object.keys(PENGUINS_METADATA.columns)
    );
    expect(r.body.accuracy.marginals).toHaveLength(4);
    expect(await charges()).toHaveLength(0);
  });

  test('by default, columns without public bounds or categories are left out and reported', async () => {
    const r = await call(h, 'POST', '/v1/synthetic/estimate', {
      key: KEYS.alice,
      body: body({ dataset: 'wide' })
    });
    expect(r.status).toBe(200);
    expect(r.body.model.omitted).toEqual([
      { column: 'note', reason: 'public-categories' },
      { column: 'weight', reason: 'public-bins' }
    ]);
  });

  test('dummy is free: a table of the requested size learnt from dummy rows', async () => {
    const r = await call(h, 'POST', '/v1/synthetic/dummy', { key: KEYS.alice, body: body() });
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('dummy');
    expect(r.body.cost).toEqual({ epsilon: '0', delta: '0' });
    expect(r.body.data.species).toHaveLength(50);
    expect(await charges()).toHaveLength(0);
  });

  test('run: charged exactly its estimate, archived, fetched again for free by its payer only', async () => {
    const est = await call(h, 'POST', '/v1/synthetic/estimate', { key: KEYS.alice, body: body() });
    const r = await call(h, 'POST', '/v1/synthetic', { key: KEYS.alice, body: body() });
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('release');
    expect(r.body.cost).toEqual(est.body.cost);
    const [entry] = await charges();
    expect(entry.queryId).toBe(r.body.queryId);
    expect(entry.cost).toMatchObject({ epsilon: '3/10', delta: '0/1' });
    // values are public ones
    expect(new Set(r.body.data.species).size).toBeLessThanOrEqual(3);
    for (const v of r.body.data.species) expect(['Adelie', 'Chinstrap', 'Gentoo']).toContain(v);
    for (const v of r.body.data.body_mass_g)
      expect(v === null || (Number.isInteger(v) && v >= 2500 && v <= 6500)).toBe(true);
    expect(r.body.model.tree).toHaveLength(3);
    expect(r.body.budget.spent.epsilon).toBe('0.3');
    const again = await call(h, 'GET', `/v1/synthetic/${r.body.queryId}`, { key: KEYS.alice });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(r.body.data);
    expect(await charges()).toHaveLength(1);
    const bob = await call(h, 'GET', `/v1/synthetic/${r.body.queryId}`, { key: KEYS.bob });
    expect(bob.status).toBe(404);
    const history = await call(h, 'GET', '/v1/queries?dataset=penguins', { key: KEYS.alice });
    const listed = history.body.find((q: any) => q.queryId === r.body.queryId);
    expect(listed.plan).toMatchObject({ kind: 'synthetic', rows: 50 });
    expect(listed.release.data).toBeUndefined(); // listed without its rows
    expect(listed.release.model.tree).toHaveLength(3);
  });

  test('a retry with the same Idempotency-Key gets the same table and is charged once', async () => {
    const before = (await charges()).length;
    const headers = { 'idempotency-key': 'synthetic-retry-0001' };
    const a = await call(h, 'POST', '/v1/synthetic', { key: KEYS.alice, body: body(), headers });
    const b = await call(h, 'POST', '/v1/synthetic', { key: KEYS.alice, body: body(), headers });
    expect(b.body.queryId).toBe(a.body.queryId);
    expect(b.body.data).toEqual(a.body.data);
    expect((await charges()).length).toBe(before + 1);
  });

  test.each([
    [
      'an unknown column',
      body({ columns: ['species', 'beak'] }),
      400,
      'UNKNOWN_COLUMN',
      /Known columns/
    ],
    [
      'a column without categories',
      body({ dataset: 'wide', columns: ['species', 'note'] }),
      400,
      'PRIVACY_RULE',
      /public-categories.*list the categories.*or leave it out/
    ],
    [
      'a column without bounds',
      body({ dataset: 'wide', columns: ['weight'] }),
      400,
      'PRIVACY_RULE',
      /public-bins.*lower and upper bounds/
    ],
    [
      'too many columns',
      body({ columns: Array.from({ length: 17 }, (_, i) => `c${i}`) }),
      400,
      'INVALID_REQUEST',
      /at most 16 columns/
    ],
    [
      'too many rows',
      body({ rows: 100_001 }),
      400,
      'INVALID_REQUEST',
      /rows must be at most 100000.*Ask for 1 to 100000 rows/
    ],
    [
      'too many bins',
      body({ bins: 257 }),
      400,
      'INVALID_REQUEST',
      /bins must be at most 256.*Give bins between 2 and 256/
    ],
    [
      'a budget too small to measure anything',
      body({ budget: { epsilon: '0.0001' } }),
      400,
      'INVALID_PARAMETER',
      /too small to measure anything.*at least ε = /
    ],
    ['more than the grant', body({ budget: { epsilon: '5' } }), 403, 'BUDGET_EXHAUSTED', /remains/],
    ['an unknown field', body({ seed: 1 }), 400, 'INVALID_REQUEST', /Remove "seed"/]
  ])(
    'refuses %s before any charge, naming the rule and the fix',
    async (_what, req, status, code, message) => {
      const before = (await charges('penguins')).length + (await charges('wide')).length;
      const r = await call(h, 'POST', '/v1/synthetic', { key: KEYS.alice, body: req });
      expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
      expect(r.body.message).toMatch(message);
      expect((await charges('penguins')).length + (await charges('wide')).length).toBe(before);
    }
  );

  test('a failure after the charge keeps the charge, is archived, and a retry gets the same error', async () => {
    const headers = { 'idempotency-key': 'synthetic-broken-0001' };
    const req = body({ dataset: 'broken' });
    const a = await call(h, 'POST', '/v1/synthetic', { key: KEYS.alice, body: req, headers });
    expect(a.status).toBe(500);
    expect(a.body.code).toBe('QUERY_FAILED');
    const b = await call(h, 'POST', '/v1/synthetic', { key: KEYS.alice, body: req, headers });
    expect(b.body).toEqual(a.body);
    const kept = await charges('broken');
    expect(kept).toHaveLength(1);
    const archived = await call(h, 'GET', `/v1/synthetic/${kept[0].queryId}`, { key: KEYS.alice });
    expect(archived.body.code).toBe('QUERY_FAILED');
  });
});
