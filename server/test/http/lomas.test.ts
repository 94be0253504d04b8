/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * The Lomas-compatible routes (/lomas) on the production app (harness: startServer on SQLite):
 * every refusal comes back in the Python client's exception types and charges nothing; a query is
 * a job charged once, through the same ledger as /v1; jobs belong to their user.
 */
import { createAdminService } from '../../src/admin/service';
import { call, GRANT, KEYS, PENGUINS_METADATA, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // A dataset whose file is missing: its queries fail after their charge.
  const admin = createAdminService({ store: h.store, ledger: h.ledger });
  await admin.createDataset('admin', {
    name: 'broken',
    connector: { kind: 'file', path: `${h.dataDir}/missing.csv`, format: 'csv' },
    metadata: PENGUINS_METADATA,
    accounting: 'approx',
    cap: null
  });
  await admin.setGrant('admin', 'broken', 'alice', GRANT);
}, 60_000);
afterAll(async () => {
  await h.close();
});

async function charges(): Promise<number> {
  return (await h.ledger.entries({ dataset: 'penguins' })).filter(e => e.kind === 'charge').length;
}

const sql = (over: Record<string, unknown> = {}) => ({
  dataset_name: 'penguins',
  query_str: 'SELECT COUNT(*) AS n FROM df',
  epsilon: 0.1,
  delta: 0.00001,
  mechanisms: {},
  postprocess: true,
  ...over
});

const lomas = (route: string, body: unknown, key: string = KEYS.alice) =>
  call(h, 'POST', `/lomas/${route}`, { key, body });

describe('refusals: the client exception types, nothing charged', () => {
  const cases: Array<[string, string, unknown, number, string, RegExp]> = [
    [
      'OpenDP query',
      'opendp_query',
      { dataset_name: 'penguins', opendp_json: 'AA', epsilon: 1 },
      400,
      'InvalidQueryException',
      /OpenDP pipelines are serialised programs/
    ],
    [
      'OpenDP dummy',
      'dummy_opendp_query',
      { dataset_name: 'penguins' },
      400,
      'InvalidQueryException',
      /opendp requests are not supported/
    ],
    [
      'OpenDP cost',
      'estimate_opendp_cost',
      { dataset_name: 'penguins' },
      400,
      'InvalidQueryException',
      /opendp requests/
    ],
    [
      'DiffPrivLib',
      'diffprivlib_query',
      { dataset_name: 'penguins', diffprivlib_json: '{}' },
      400,
      'InvalidQueryException',
      /pickled/
    ],
    [
      'DiffPrivLib cost',
      'estimate_diffprivlib_cost',
      { dataset_name: 'penguins' },
      400,
      'InvalidQueryException',
      /diffprivlib requests/
    ],
    [
      'synthetic data',
      'smartnoise_synth_query',
      { dataset_name: 'penguins', synth_name: 'mwem' },
      400,
      'InvalidQueryException',
      /SmartNoise-Synth/
    ],
    [
      'synthetic cost',
      'estimate_smartnoise_synth_cost',
      { dataset_name: 'penguins' },
      400,
      'InvalidQueryException',
      /smartnoise_synth requests/
    ],
    [
      'OpenDP on a dataset not granted',
      'opendp_query',
      { dataset_name: 'other' },
      403,
      'UnauthorizedAccessException',
      /does not exist or is not shared/
    ],
    [
      'a join',
      'smartnoise_sql_query',
      sql({ query_str: 'SELECT COUNT(*) AS n FROM df JOIN df AS b ON df.species = b.species' }),
      422,
      'ExternalLibraryException',
      /no-joins/
    ],
    [
      'a subquery',
      'smartnoise_sql_query',
      sql({ query_str: 'SELECT COUNT(*) AS n FROM (SELECT * FROM df) AS t' }),
      422,
      'ExternalLibraryException',
      /subquer/i
    ],
    [
      'MIN',
      'smartnoise_sql_query',
      sql({ query_str: 'SELECT MIN(bill_length_mm) AS m FROM df' }),
      422,
      'ExternalLibraryException',
      /unsupported-aggregate/
    ],
    [
      'an unknown column',
      'smartnoise_sql_query',
      sql({ query_str: 'SELECT AVG(wingspan) AS w FROM df' }),
      422,
      'ExternalLibraryException',
      /wingspan/
    ],
    [
      'an unknown mechanism key',
      'smartnoise_sql_query',
      sql({ mechanisms: { median: 'laplace' } }),
      400,
      'InvalidQueryException',
      /"median" is not a SmartNoise mechanism key/
    ],
    [
      'the threshold mechanism',
      'smartnoise_sql_query',
      sql({ mechanisms: { threshold: 'laplace' } }),
      400,
      'InvalidQueryException',
      /"threshold" is not supported/
    ],
    [
      'an unknown mechanism',
      'smartnoise_sql_query',
      sql({ mechanisms: { count: 'exponential' } }),
      400,
      'InvalidQueryException',
      /not a mechanism this server runs/
    ],
    [
      'two mechanism families',
      'smartnoise_sql_query',
      sql({ mechanisms: { count: 'laplace', sum_float: 'gaussian' } }),
      400,
      'InvalidQueryException',
      /one mechanism family/
    ],
    [
      'Gaussian without delta',
      'smartnoise_sql_query',
      sql({ delta: 0, mechanisms: { count: 'gaussian' } }),
      400,
      'InvalidQueryException',
      /Gaussian noise needs a delta/
    ],
    [
      'postprocess=false',
      'smartnoise_sql_query',
      sql({ postprocess: false }),
      400,
      'InvalidQueryException',
      /postprocess=false is not supported/
    ],
    [
      'postprocess=false, dummy',
      'dummy_smartnoise_sql_query',
      sql({ postprocess: false, dummy_nb_rows: 10, dummy_seed: 1 }),
      400,
      'InvalidQueryException',
      /postprocess=false/
    ],
    [
      'an unknown field',
      'smartnoise_sql_query',
      sql({ extra: 1 }),
      400,
      'InvalidQueryException',
      /extra/
    ],
    [
      'epsilon 0',
      'smartnoise_sql_query',
      sql({ epsilon: 0 }),
      400,
      'InvalidQueryException',
      /epsilon/
    ],
    [
      'over the budget',
      'smartnoise_sql_query',
      sql({ epsilon: 5 }),
      400,
      'InvalidQueryException',
      /of your budget on "penguins" remains/
    ],
    [
      'no grant',
      'smartnoise_sql_query',
      sql({ dataset_name: 'other' }),
      403,
      'UnauthorizedAccessException',
      /not shared with you/
    ],
    [
      'a missing dataset_name',
      'get_initial_budget',
      {},
      400,
      'InvalidQueryException',
      /dataset_name/
    ],
    [
      'too many dummy rows',
      'get_dummy_dataset',
      { dataset_name: 'penguins', dummy_nb_rows: 100001, dummy_seed: 1 },
      400,
      'InvalidQueryException',
      /dummy_nb_rows/
    ]
  ];

  test.each(cases)('%s', async (_what, route, body, status, type, message) => {
    const before = await charges();
    const r = await lomas(route, body);
    expect({ status: r.status, type: r.body.type }).toEqual({ status, type });
    expect(r.body.message).toMatch(message);
    if (type === 'ExternalLibraryException') expect(r.body.library).toBe('smartnoise_sql');
    expect(r.text).not.toMatch(/\n\s+at /);
    expect(await charges()).toBe(before);
  });

  test('no credential, a bad key, a route that does not exist, a body that is not JSON', async () => {
    const none = await call(h, 'POST', '/lomas/get_initial_budget', {
      body: { dataset_name: 'penguins' }
    });
    expect([none.status, none.body.type]).toEqual([401, 'UnauthorizedAccessException']);
    const wrong = await lomas('get_initial_budget', { dataset_name: 'penguins' }, KEYS.wrong);
    expect([wrong.status, wrong.body.type]).toEqual([401, 'UnauthorizedAccessException']);
    const missing = await lomas('get_everything', { dataset_name: 'penguins' });
    expect([missing.status, missing.body.type]).toEqual([404, 'InvalidQueryException']);
    expect(missing.body.message).toMatch(/Route POST \/lomas\/get_everything was not found/);
    // A call the route table knows, with another method: 405 and the methods it answers.
    const get = await call(h, 'GET', '/lomas/get_initial_budget', { key: KEYS.alice });
    expect([get.status, get.body.type, get.headers.get('allow')]).toEqual([
      405,
      'InvalidQueryException',
      'POST'
    ]);
    const raw = await call(h, 'POST', '/lomas/get_initial_budget', {
      key: KEYS.alice,
      raw: '{"dataset_name":',
      contentType: 'application/json'
    });
    expect([raw.status, raw.body.type]).toEqual([400, 'InvalidQueryException']);
  });
});

describe('answers', () => {
  test('metadata, budgets and a dummy dataset in the client forms', async () => {
    const m = await lomas('get_dataset_metadata', { dataset_name: 'penguins' });
    expect(m.status).toBe(200);
    expect(m.body.columns.map((c: any) => c.name)).toEqual([
      'species',
      'island',
      'bill_length_mm',
      'body_mass_g'
    ]);
    expect(m.body.public_length).toBe(60);
    const initial = await lomas('get_initial_budget', { dataset_name: 'penguins' });
    expect(initial.body).toEqual({ initial_epsilon: 1, initial_delta: 0.00001 });
    const d = await lomas('get_dummy_dataset', {
      dataset_name: 'penguins',
      dummy_nb_rows: 5,
      dummy_seed: 3
    });
    expect(d.body.dummy_df.index).toEqual([0, 1, 2, 3, 4]);
    expect(d.body.dtypes).toEqual({
      species: 'string',
      island: 'string',
      bill_length_mm: 'float64',
      body_mass_g: 'Int64'
    });
  });

  test('an estimate and a query are jobs; the query is charged once, as estimated; jobs are private', async () => {
    const before = await charges();
    const est = await lomas('estimate_smartnoise_sql_cost', sql({ postprocess: undefined }));
    expect(est.status).toBe(202);
    const estJob = await call(h, 'GET', `/lomas/status/${est.body.uid}`, { key: KEYS.alice });
    expect(estJob.body).toMatchObject({
      status: 'complete',
      result: { epsilon: 0.1, delta: 0 },
      requested_by: 'alice'
    });
    expect(await charges()).toBe(before);

    const q = await lomas('smartnoise_sql_query', sql());
    expect(q.status).toBe(202);
    const job = await call(h, 'GET', `/lomas/status/${q.body.uid}`, { key: KEYS.alice });
    expect(job.body).toMatchObject({
      status: 'complete',
      status_code: 200,
      error: null,
      result: {
        epsilon: 0.1,
        delta: 0,
        requested_by: 'alice',
        result: { type: 'smartnoise_sql', df: { columns: ['n'], index: [0] } }
      }
    });
    expect(await charges()).toBe(before + 1);
    const again = await call(h, 'GET', `/lomas/status/${q.body.uid}`, { key: KEYS.alice });
    expect(again.body).toEqual(job.body);
    expect(await charges()).toBe(before + 1);

    // Another user: the same answer as an unknown uid.
    const other = await call(h, 'GET', `/lomas/status/${q.body.uid}`, { key: KEYS.bob });
    expect([other.status, other.body.type]).toEqual([404, 'InvalidQueryException']);
    const bad = await call(h, 'GET', '/lomas/status/not-a-uid', { key: KEYS.alice });
    expect([bad.status, bad.body.type]).toEqual([400, 'InvalidQueryException']);

    const spent = await lomas('get_total_spent_budget', { dataset_name: 'penguins' });
    expect(spent.body).toEqual({ total_spent_epsilon: 0.1, total_spent_delta: 0 });
    const prev = await lomas('get_previous_queries', { dataset_name: 'penguins' });
    expect(prev.body.previous_queries).toHaveLength(1);
    expect(prev.body.previous_queries[0]).toMatchObject({
      dp_library: 'smartnoise_sql',
      client_input: { query_str: 'SELECT COUNT(*) AS n FROM df', epsilon: 0.1 },
      response: job.body.result
    });
  });

  test('a Gaussian override spends the delta sent; the default (Laplace) spends none', async () => {
    const cost = async (over: Record<string, unknown>) => {
      const est = await lomas(
        'estimate_smartnoise_sql_cost',
        sql({ postprocess: undefined, ...over })
      );
      expect(est.status).toBe(202);
      return (await call(h, 'GET', `/lomas/status/${est.body.uid}`, { key: KEYS.alice })).body
        .result;
    };
    expect(await cost({ mechanisms: { count: 'gaussian' }, delta: 0.000001 })).toEqual({
      epsilon: 0.1,
      delta: 0.000001
    });
    expect(await cost({ delta: 0.000001 })).toEqual({ epsilon: 0.1, delta: 0 });
  });

  test('a dummy query runs on the requested number of rows, free', async () => {
    const before = await charges();
    const q = await lomas(
      'dummy_smartnoise_sql_query',
      sql({ dummy_nb_rows: 40, dummy_seed: 9, epsilon: 1000 })
    );
    expect(q.status).toBe(202);
    const job = await call(h, 'GET', `/lomas/status/${q.body.uid}`, { key: KEYS.alice });
    const n = job.body.result.result.df.data[0][0];
    // 40 dummy rows; ε = 1000 makes the noise negligible (scale 0.001).
    expect(n).toBe(40);
    expect(await charges()).toBe(before);
  });

  test('a failure after the charge is a failed job: InternalServerException, charge kept', async () => {
    const brokenCharges = async () =>
      (await h.ledger.entries({ dataset: 'broken' })).filter(e => e.kind === 'charge').length;
    const q = await lomas('smartnoise_sql_query', sql({ dataset_name: 'broken' }));
    expect(q.status).toBe(202);
    const job = await call(h, 'GET', `/lomas/status/${q.body.uid}`, { key: KEYS.alice });
    expect(job.body).toMatchObject({
      status: 'failed',
      status_code: 500,
      result: null,
      error: { type: 'InternalServerException', code: 'QUERY_FAILED' }
    });
    expect(await brokenCharges()).toBe(1);
    const prev = await lomas('get_previous_queries', { dataset_name: 'broken' });
    expect(prev.body.previous_queries).toMatchObject([
      { response: null, error: { type: 'InternalServerException', code: 'QUERY_FAILED' } }
    ]);
  });
});

test('a grant beyond the largest float reads as the largest float (JSON has no Infinity)', async () => {
  const huge = '1' + '0'.repeat(400);
  const g = await call(h, 'PUT', '/admin/grants/broken/alice', {
    key: KEYS.admin,
    body: { epsilon: huge, delta: '0' }
  });
  expect(g.status).toBe(200);
  const initial = await lomas('get_initial_budget', { dataset_name: 'broken' });
  expect([initial.status, initial.body]).toEqual([
    200,
    { initial_epsilon: Number.MAX_VALUE, initial_delta: 0 }
  ]);
  const remaining = await lomas('get_remaining_budget', { dataset_name: 'broken' });
  expect(remaining.body.remaining_epsilon).toBe(Number.MAX_VALUE);
});
