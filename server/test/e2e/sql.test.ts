/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * SQL end to end over HTTP against the real server (startServer): SQL text → the server's
 * compiler → the plan pipeline (validation, cost, charge, DuckDB, noise) → release with the
 * compiled plan. The data is the harness's seeded CSV, whose true answers the test computes.
 */
import { binomialMissBound, plan, startE2E, truth, type E2E, type Reply } from './harness';

let h: E2E;
beforeAll(async () => {
  h = await startE2E();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

type Sql = { sql: string; dataset?: string; params?: unknown[]; options?: Record<string, unknown> };
const sqlRun = (body: Sql, key?: string): Promise<Reply> =>
  h.req('POST', '/v1/queries/sql', body, key ? { headers: { 'idempotency-key': key } } : {});
const sqlEstimate = (body: Sql) => h.req('POST', '/v1/queries/sql/estimate', body);
const sqlDummy = (body: Sql) => h.req('POST', '/v1/queries/sql/dummy', body);

async function pool<T>(n: number, width: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await f(i);
      }
    })
  );
  return out;
}

describe('SQL over HTTP answers exactly as the plan it compiles to', () => {
  test('the Lomas client form (FROM df, dataset in the request): 200, plan and SQL in the release', async () => {
    const body = {
      sql: 'SELECT flag, COUNT(*) AS n, AVG(y) FROM df GROUP BY flag',
      dataset: 'e2e',
      options: { epsilon: 1 }
    };
    const r = await sqlRun(body);
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('release');
    expect(r.body.plan).toEqual({
      version: 1,
      dataset: 'e2e',
      steps: [],
      groupby: { keys: ['flag'] },
      aggregations: [
        { op: 'count', as: 'n' },
        { op: 'mean', column: 'y' }
      ],
      budget: { epsilon: 1 }
    });
    expect(r.body.sql.text).toBe(body.sql);
    expect(r.body.rows.map((x: any) => x.flag)).toEqual([false, true]);
    expect(r.body.columns.map((c: any) => c.name)).toEqual([
      'flag',
      'n',
      'n_lower',
      'n_upper',
      'mean_y',
      'mean_y_lower',
      'mean_y_upper'
    ]);
    expect(r.body.cost).toEqual({ epsilon: '1', delta: '0' });
  });

  test('estimate: the same cost and accuracy as the plan sent directly, nothing spent', async () => {
    const before = await h.budget('e2e');
    const s = await sqlEstimate({
      sql: 'SELECT SUM(x) FROM e2e WHERE flag = TRUE',
      options: { epsilon: '0.5' }
    });
    const p = await h.estimate(
      plan({
        steps: [
          {
            op: 'filter',
            predicate: {
              kind: 'binary',
              op: '==',
              left: { kind: 'col', name: 'flag' },
              right: { kind: 'lit', value: true }
            }
          }
        ],
        aggregations: [{ op: 'sum', column: 'x' }],
        budget: { epsilon: '0.5' }
      })
    );
    expect(s.status).toBe(200);
    expect(p.status).toBe(200);
    const { plan: compiled, ...rest } = s.body;
    expect(rest).toEqual(p.body);
    expect(compiled.aggregations).toEqual([{ op: 'sum', column: 'x' }]);
    expect(await h.budget('e2e')).toEqual(before);
  });

  test('dummy is free and answers on dummy data', async () => {
    const before = await h.budget('e2e');
    const r = await sqlDummy({
      sql: 'SELECT flag, MEDIAN(x) AS m FROM df GROUP BY flag',
      dataset: 'e2e',
      options: { epsilon: 1 }
    });
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('dummy');
    expect(r.body.cost).toEqual({ epsilon: '0', delta: '0' });
    expect(await h.budget('e2e')).toEqual(before);
  });

  test('HAVING, ORDER BY and LIMIT post-process the released table, at no extra cost', async () => {
    const r = await sqlRun({
      sql: 'SELECT flag, COUNT(*) AS n FROM df GROUP BY flag HAVING n > 0 ORDER BY n DESC LIMIT 1',
      dataset: 'e2e',
      options: { epsilon: 5 }
    });
    expect(r.status).toBe(200);
    expect(r.body.cost).toEqual({ epsilon: '5', delta: '0' });
    // About 70% of the rows have flag = false: the larger group comes first.
    expect(r.body.rows).toHaveLength(1);
    expect(r.body.rows[0].flag).toBe(false);
  });

  test('bound parameters: a value that looks like SQL is only a value', async () => {
    const r = await sqlRun({
      sql: 'SELECT COUNT(*) AS n FROM df WHERE x > $1 AND flag IN ($2)',
      dataset: 'e2e',
      params: ['0 OR 1=1; DROP TABLE x --', [true]],
      options: { epsilon: 1 }
    });
    // "0 OR 1=1 …" is a string compared with an int column: a type error, before any charge.
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('TYPE_MISMATCH');
    const ok = await sqlRun({
      sql: 'SELECT COUNT(*) AS n FROM df WHERE x > $1 AND flag IN ($2)',
      dataset: 'e2e',
      params: [50, [true]],
      options: { epsilon: 1 }
    });
    expect(ok.status).toBe(200);
    expect(ok.body.plan.steps[0].predicate.right).toEqual({
      kind: 'binary',
      op: '==',
      left: { kind: 'col', name: 'flag' },
      right: { kind: 'lit', value: true }
    });
  });

  test('the archive keeps the SQL text and the plan; history and the admin archive show both', async () => {
    const text = 'SELECT STDDEV(y) AS sd FROM df -- archived\nWHERE x < 90';
    const r = await sqlRun({ sql: text, dataset: 'e2e', options: { epsilon: 1 } });
    expect(r.status).toBe(200);
    const hist = await h.req('GET', '/v1/queries?dataset=e2e&limit=5');
    const entry = hist.body.find((e: any) => e.queryId === r.body.queryId);
    expect(entry.sql.text).toBe(text);
    expect(entry.sql.options).toEqual({ epsilon: 1 });
    expect(entry.plan).toEqual(r.body.plan);
    const archived = await h.admin('GET', `/admin/archive/${r.body.queryId}`);
    expect(archived.status).toBe(200);
    expect(archived.body.sql.text).toBe(text);
    expect(archived.body.sql.postprocess).toEqual(r.body.sql.postprocess);
    expect(archived.body.plan).toEqual(r.body.plan);
  });

  test('an Idempotency-Key replays an SQL run: same answer, charged once', async () => {
    const body = { sql: 'SELECT COUNT(*) FROM df', dataset: 'e2e', options: { epsilon: '0.25' } };
    const before = await h.budget('e2e');
    const a = await sqlRun(body, 'sql-idem-key-0001');
    const b = await sqlRun(body, 'sql-idem-key-0001');
    expect(a.status).toBe(200);
    expect(b.body.rows).toEqual(a.body.rows);
    const after = await h.budget('e2e');
    expect(Number(after.spent.epsilon) - Number(before.spent.epsilon)).toBeCloseTo(0.25, 12);
  });

  test('a rule of the plan comes back on the SQL: SUM of a column without bounds', async () => {
    const r = await sqlRun({
      sql: 'SELECT flag,\n       SUM(z) AS total\nFROM df GROUP BY flag',
      dataset: 'e2e',
      options: { epsilon: 1 }
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PRIVACY_RULE');
    expect(r.body.details.rule).toBe('bounded-contribution');
    expect(r.body.details.sql).toMatchObject({ line: 2, column: 8, length: 6 });
    expect(r.body.message).toContain('{ bounds: { total: [lower, upper] } }');
    expect(r.body.message).toContain(
      'line 2, column 8:\n           SUM(z) AS total\n           ^^^^^^'
    );
    // The same with the bounds in the options is answered.
    const ok = await sqlRun({
      sql: 'SELECT flag, SUM(z) AS total FROM df GROUP BY flag',
      dataset: 'e2e',
      options: { epsilon: 1, bounds: { total: [0, 1000] } }
    });
    expect(ok.status).toBe(200);
  });
});

// ================================================================================================
describe('coverage: SQL releases contain the truth at the stated rate', () => {
  /*
   * As in queries.test.ts: N releases, each 95% interval misses with probability ≤ 5%; a one-sided
   * binomial test at α = 1e-6 (a correct server fails once in a million runs).
   */
  const N = 200;
  const ALPHA = 1e-6;

  async function misses(
    body: Sql,
    truthOf: (row: any) => number,
    column: string,
    lower: string,
    upper: string
  ) {
    const replies = await pool(N, 8, () => sqlRun(body));
    let miss = 0;
    let intervals = 0;
    for (const r of replies) {
      // The error body, if any, is in the failure message.
      expect({ status: r.status, error: r.status === 200 ? null : r.body }).toEqual({
        status: 200,
        error: null
      });
      for (const row of r.body.rows) {
        const t = truthOf(row);
        expect(row[column]).toEqual(expect.any(Number));
        intervals++;
        if (!(row[lower] <= t && t <= row[upper])) miss++;
      }
    }
    return { miss, intervals };
  }

  test('grouped count with WHERE (2 keys × 200 releases): misses ≤ bound', async () => {
    const counts = { false: 0, true: 0 } as Record<string, number>;
    for (const r of h.rows) if (r.x >= 30) counts[String(r.flag)]++;
    const { miss, intervals } = await misses(
      {
        sql: 'SELECT flag, COUNT(*) AS n FROM df WHERE x >= 30 GROUP BY flag',
        dataset: 'e2e',
        options: { epsilon: '0.1' }
      },
      row => counts[String(row.flag)],
      'n',
      'lower',
      'upper'
    );
    expect(intervals).toBe(2 * N);
    expect(miss).toBeLessThanOrEqual(binomialMissBound(2 * N, 0.05, ALPHA));
  });

  test('mean with BETWEEN (200 releases): misses ≤ bound', async () => {
    const t = truth(h.rows.filter(r => r.x >= 20 && r.x <= 60).map(r => r.y)).mean;
    const { miss } = await misses(
      {
        sql: 'SELECT AVG(y) AS m FROM e2e WHERE x BETWEEN 20 AND 60',
        options: { epsilon: '0.05' }
      },
      () => t,
      'm',
      'lower',
      'upper'
    );
    expect(miss).toBeLessThanOrEqual(binomialMissBound(N, 0.05, ALPHA));
  });

  test('sum of an expression, bounds inferred from it (200 releases): misses ≤ bound', async () => {
    const t = h.rows.reduce((s, r) => s + Math.min(r.x * 2, 150), 0);
    const { miss } = await misses(
      {
        sql: 'SELECT SUM(LEAST(x * 2, 150)) AS s FROM df',
        dataset: 'e2e',
        options: { epsilon: '0.1' }
      },
      () => t,
      's',
      'lower',
      'upper'
    );
    expect(miss).toBeLessThanOrEqual(binomialMissBound(N, 0.05, ALPHA));
  });
});

// ================================================================================================
describe('hostile SQL is refused before any charge, with its own code', () => {
  const hostile: Array<[string, string, RegExp]> = [
    ['join', 'SELECT COUNT(*) FROM df JOIN e2e_zcdp ON df.x = e2e_zcdp.x', /UNSUPPORTED_SQL/],
    ['subquery', 'SELECT COUNT(*) FROM df WHERE x IN (SELECT x FROM e2e_tight)', /UNSUPPORTED_SQL/],
    ['cte', 'WITH t AS (SELECT * FROM df) SELECT COUNT(*) FROM t', /UNSUPPORTED_SQL/],
    ['union', 'SELECT COUNT(*) FROM df UNION ALL SELECT COUNT(*) FROM df', /UNSUPPORTED_SQL/],
    ['window', 'SELECT SUM(x) OVER () FROM df', /UNSUPPORTED_SQL/],
    ['select star', 'SELECT * FROM df', /UNSUPPORTED_SQL/],
    ['bare column', 'SELECT x, COUNT(*) FROM df', /UNSUPPORTED_SQL/],
    ['distinct', 'SELECT COUNT(DISTINCT x) FROM df', /UNSUPPORTED_SQL/],
    ['two statements', 'SELECT COUNT(*) FROM df; DELETE FROM df', /INVALID_SQL/],
    ['comment hiding a statement', 'SELECT COUNT(*) FROM df /* ; DROP TABLE df */', /INVALID_SQL/],
    [
      'file reader',
      "SELECT COUNT(*) FROM df WHERE read_csv_auto('/etc/passwd') IS NULL",
      /UNSUPPORTED_SQL/
    ],
    [
      'DuckDB table function in FROM',
      "SELECT COUNT(*) FROM read_parquet('x.parquet')",
      /INVALID_SQL|UNSUPPORTED_SQL/
    ],
    ['quoted identifier', 'SELECT COUNT("x") FROM df', /INVALID_SQL/],
    ['homoglyph', 'SELECT COUNT(*) FROM df WHERE х > 1', /INVALID_SQL/],
    ['bidi override', 'SELECT COUNT(*) FROM df WHERE x > 1 -- \u202e', /INVALID_SQL/],
    ['pragma', 'PRAGMA database_list', /UNSUPPORTED_SQL/],
    ['attach', "ATTACH 'evil.db'", /UNSUPPORTED_SQL/],
    ['min', 'SELECT MIN(x) FROM df', /UNSUPPORTED_SQL/],
    ['another dataset', 'SELECT COUNT(*) FROM e2e_tight', /INVALID_PARAMETER/],
    ['unbounded sum', 'SELECT SUM(z) FROM df', /PRIVACY_RULE/],
    [
      'huge text',
      'SELECT COUNT(*) FROM df WHERE ' + Array(2000).fill('x > 1').join(' AND '),
      /INVALID_SQL/
    ]
  ];

  test.each(hostile)('%s', async (_n, sql, code) => {
    const before = await h.budget('e2e');
    const hist = (await h.req('GET', '/v1/queries?dataset=e2e&limit=1000')).body.length;
    for (const path of ['/v1/queries/sql', '/v1/queries/sql/estimate', '/v1/queries/sql/dummy']) {
      const r = await h.req('POST', path, { sql, dataset: 'e2e', options: { epsilon: 1 } });
      expect({ path, status: r.status }).toEqual({ path, status: 400 });
      expect(r.body.code).toMatch(code);
      expect(r.body.message.length).toBeGreaterThan(20);
      expect(r.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    }
    expect(await h.budget('e2e')).toEqual(before);
    expect((await h.req('GET', '/v1/queries?dataset=e2e&limit=1000')).body.length).toBe(hist);
  });

  test('malformed requests: unknown fields, wrong types, too many parameters', async () => {
    for (const body of [
      { sql: 'SELECT COUNT(*) FROM df', dataset: 'e2e', options: { epsilon: 1 }, plan: {} },
      { sql: 42, dataset: 'e2e' },
      {
        sql: 'SELECT COUNT(*) FROM df',
        dataset: 'e2e',
        params: Array(101).fill(1),
        options: { epsilon: 1 }
      },
      {
        sql: 'SELECT COUNT(*) FROM df',
        dataset: 'e2e',
        params: [{ $gt: 1 }],
        options: { epsilon: 1 }
      },
      { sql: 'SELECT COUNT(*) FROM df', dataset: '../etc', options: { epsilon: 1 } }
    ]) {
      const r = await sqlRun(body as Sql);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('INVALID_REQUEST');
    }
  });

  test('an unknown dataset in FROM is not found, as with plans', async () => {
    const r = await sqlRun({ sql: 'SELECT COUNT(*) FROM secret_ds', options: { epsilon: 1 } });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('DATASET_NOT_FOUND');
  });
});
