import { ANALYST_KEY, METADATA, plan, startE2E, type E2E } from './harness';

/**
 * A failure after the charge (here: the dataset's file is gone, so loading fails) keeps the charge —
 * a data-dependent failure must never be free — and a retry with the same Idempotency-Key gets the
 * same error without a second charge.
 */
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  const created = await e2e.admin('POST', '/admin/datasets', {
    name: 'gone',
    connector: { kind: 'file', path: `${e2e.dataDir}/missing.csv`, format: 'csv' },
    metadata: METADATA,
    accounting: 'pure',
    cap: null
  });
  expect(created.status).toBe(201);
  expect(
    (await e2e.admin('PUT', '/admin/grants/gone/analyst', { epsilon: '10', delta: '0' })).status
  ).toBe(200);
}, 60000);

afterAll(async () => {
  await e2e?.stop();
});

test('a failure after the charge keeps the charge, and its retry gets the same error for free', async () => {
  const p = plan({ aggregations: [{ op: 'count' }] }, 'gone');
  const first = await e2e.run(p, 'failure-key-0001');
  expect(first.body).toMatchObject({ code: 'QUERY_FAILED' });
  expect(first.status).toBe(500);
  expect(first.text).not.toMatch(/at .*\.js|missing\.csv/); // no stack, no server paths
  expect((await e2e.budget('gone')).spent.epsilon).toBe('1');

  const retry = await e2e.run(p, 'failure-key-0001');
  expect(retry.status).toBe(500);
  expect(retry.body).toEqual(first.body);
  expect((await e2e.budget('gone')).spent.epsilon).toBe('1');

  const history = await e2e.req('GET', '/v1/queries?dataset=gone', undefined, { key: ANALYST_KEY });
  expect(history.status).toBe(200);
  expect(history.body).toHaveLength(1);
});
