/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * DP releases over HTTP from a dataset that lives in Trino (issue 17): the real server
 * (startServer) with LOMAS_TRINO_URL, the harness's rows as a Parquet table in Trino's hive
 * catalog. The releases pass the same coverage test as the DuckDB-backed dataset
 * (e2e/queries.test.ts), and a Trino failure after the charge (the table dropped under the
 * server) is answered like every other post-charge failure. Needs the Trino that `npm test`
 * starts; skipped with a message locally without it, a failure in CI.
 */
import { join } from 'node:path';
import type { Trino } from 'trino-client';
import { describeWith } from '../helpers/services';
import {
  trinoClient,
  trinoQuery,
  trinoTestEnv,
  uniqueTableName,
  writeParquetWithDuckDb,
  type TrinoTestEnv
} from '../helpers/trino';
import {
  ANALYST_KEY,
  METADATA,
  binomialMissBound,
  plan,
  startE2E,
  truth,
  type E2E
} from './harness';

const single = trinoTestEnv('TRINO_TEST');

/** Runs `n` requests with at most `width` in flight. */
async function pool<T>(n: number, width: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next++ < n) out.push(await f());
    })
  );
  return out;
}

describeWith(single)('a Trino-backed dataset over HTTP', () => {
  let env: TrinoTestEnv;
  let trino: Trino;
  let h: E2E;
  const tables: string[] = [];

  /** The harness's CSV as a Parquet table in Trino; returns its name. */
  async function table(label: string): Promise<string> {
    const name = uniqueTableName(label);
    const location = await writeParquetWithDuckDb(
      env,
      name,
      `SELECT "group", CAST(x AS BIGINT) AS x, CAST(y AS DOUBLE) AS y, CAST(flag AS BOOLEAN) AS flag,
         CAST(z AS BIGINT) AS z FROM read_csv('${join(h.dataDir, 'data.csv')}')`
    );
    await trinoQuery(
      trino,
      `CREATE TABLE ${env.catalog}.${env.schema}.${name} ("group" varchar, x bigint, y double,
         flag boolean, z bigint) WITH (external_location = '${location}', format = 'PARQUET')`
    );
    tables.push(name);
    return name;
  }

  async function register(name: string, connector: unknown): Promise<void> {
    const created = await h.admin('POST', '/admin/datasets', {
      name,
      connector,
      metadata: METADATA,
      accounting: 'pure',
      cap: null
    });
    expect(created.status).toBe(201);
    const grant = await h.admin('PUT', `/admin/grants/${name}/analyst`, {
      epsilon: '100000',
      delta: '0'
    });
    expect(grant.status).toBe(200);
  }

  const trinoConnector = (name: string) => ({
    kind: 'trino',
    catalog: env.catalog,
    schema: env.schema,
    table: name
  });

  beforeAll(async () => {
    env = single!;
    trino = trinoClient(env);
    h = await startE2E({ env: { LOMAS_TRINO_URL: env.url, LOMAS_TRINO_USER: 'lomas-e2e' } });
    await register('in_trino', trinoConnector(await table('e2e')));
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    for (const name of tables)
      await trinoQuery(trino, `DROP TABLE IF EXISTS ${env.catalog}.${env.schema}.${name}`);
  }, 60_000);

  test('the dataset record holds no connection setting: no route returns the Trino URL', async () => {
    const r = await h.admin('GET', '/admin/datasets/in_trino');
    expect(r.status).toBe(200);
    expect(r.body.connector).toEqual(trinoConnector(tables[0]));
    expect(r.text).not.toContain(env.url);
  });

  test('models and synthetic data are refused before any charge (embedded engine only)', async () => {
    const before = (await h.budget('in_trino')).spent;
    const requests: [string, unknown][] = [
      [
        '/v1/models',
        {
          version: 1,
          dataset: 'in_trino',
          model: 'linear',
          features: ['y'],
          target: 'x',
          budget: { epsilon: '1' }
        }
      ],
      ['/v1/synthetic', { version: 1, dataset: 'in_trino', rows: 20, budget: { epsilon: '1' } }]
    ];
    for (const [path, body] of requests) {
      const r = await h.req('POST', path, body);
      expect({ path, status: r.status, code: r.body.code }).toEqual({
        path,
        status: 400,
        code: 'INVALID_PLAN'
      });
      expect(r.body.message).toMatch(/lives in a Trino cluster/);
    }
    expect((await h.budget('in_trino')).spent).toEqual(before);
  });

  /*
   * The coverage test of e2e/queries.test.ts (one aggregation of it, to keep CI short: the mean
   * uses the count and the exact DECIMAL sum; the agreement suite checks every statistic exactly):
   * N = 200 releases at ε = 0.05;
   * each 95% interval misses with probability ≤ 5%; with X ~ Bin(200, 0.05), P[X > 27] ≤ 1e-6, so
   * a correct server fails about once in a million runs.
   */
  const N = 200;
  const BOUND = binomialMissBound(N, 0.05, 1e-6);
  test.each([
    [
      'mean y',
      { op: 'mean', column: 'y' },
      'mean_y',
      () => truth(h.rows.map(r => r.y)).mean,
      '0.05'
    ]
  ] as const)(
    '%s (pure ε, 200 releases from Trino): misses ≤ binomial bound',
    async (_n, agg, column, t, epsilon) => {
      const truthValue = t();
      const replies = await pool(N, 8, () =>
        h.run(plan({ aggregations: [agg], budget: { epsilon } }, 'in_trino'))
      );
      let misses = 0;
      for (const r of replies) {
        expect(r.status).toBe(200);
        const row = r.body.rows[0];
        expect(row[column]).toEqual(expect.any(Number));
        if (!(row.lower <= truthValue && truthValue <= row.upper)) misses++;
      }
      expect(BOUND).toBe(27);
      expect(misses).toBeLessThanOrEqual(BOUND);
    },
    120_000
  );

  test('a Trino failure after the charge: charged once, archived, the same generic error as any other, also on retry', async () => {
    const gone = await table('gone');
    await register('trino_gone', trinoConnector(gone));
    await register('file_gone', {
      kind: 'file',
      path: join(h.dataDir, 'missing.csv'),
      format: 'csv'
    });
    // The table vanishes between registration and the query.
    await trinoQuery(trino, `DROP TABLE ${env.catalog}.${env.schema}.${gone}`);

    const q = plan({ aggregations: [{ op: 'count' }] }, 'trino_gone');
    const first = await h.run(q, 'trino-gone-0001');
    expect(first.status).toBe(500);
    expect(first.body.code).toBe('QUERY_FAILED');
    expect(first.text).not.toMatch(/TABLE_NOT_FOUND|lomas_test|gone_/);
    expect((await h.budget('trino_gone')).spent.epsilon).toBe('1');

    const retry = await h.run(q, 'trino-gone-0001');
    expect(retry.status).toBe(500);
    expect(retry.body).toEqual(first.body);
    expect((await h.budget('trino_gone')).spent.epsilon).toBe('1');
    const history = await h.req('GET', '/v1/queries?dataset=trino_gone', undefined, {
      key: ANALYST_KEY
    });
    expect(history.body).toHaveLength(1);

    // The same answer as a DuckDB-side post-charge failure (a file that cannot be read).
    const duck = await h.run(
      plan({ aggregations: [{ op: 'count' }] }, 'file_gone'),
      'file-gone-0001'
    );
    const withoutId = (b: any) => ({ ...b, details: { ...b.details, queryId: undefined } });
    expect(withoutId(duck.body)).toEqual(withoutId(first.body));
  }, 60_000);
});
