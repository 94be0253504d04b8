/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * End to end over HTTP against the real server (startServer): the query builder of kernel-lib or
 * raw plans → Express → validation → planning → ledger charge → DuckDB → DP noise → release.
 * The dataset is a seeded CSV whose true answers the test computes itself (harness.ts).
 */
import type { EstimateResponse, QueryPlan, ReleaseResponse } from 'lomas-kernel/protocol';
import { QueryBuilder } from '../../../kernel-lib/src/query';
import type { QueryRunner } from '../../../kernel-lib/src/query/runner';
import { quantileCandidates } from 'lomas-kernel/protocol';
import {
  binomialMissBound,
  GROUPS,
  METADATA,
  plan,
  startE2E,
  truth,
  WRONG_KEY,
  type E2E
} from './harness';

let h: E2E;
beforeAll(async () => {
  h = await startE2E();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

/** The kernel-lib builder, sending its plans to the real server. */
function builder(dataset = 'e2e'): QueryBuilder {
  const ok = <T>(r: { status: number; body: any; text: string }): T => {
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text}`);
    return r.body as T;
  };
  const runner: QueryRunner<EstimateResponse, ReleaseResponse> = {
    estimate: async p => ok(await h.estimate(p)),
    dummy: async p => ok(await h.dummy(p)),
    run: async (p, o) => ok(await h.run(p, o?.idempotencyKey))
  };
  return new QueryBuilder(dataset, runner, METADATA as any);
}

// ------------------------------------------------------------------------------------------------
// Exact decimal arithmetic for budgets (strings like "0.1"): never floats.
// ------------------------------------------------------------------------------------------------
const SCALE = 30;
function dec(s: string): bigint {
  const [i, f = ''] = s.split('.');
  return BigInt(i) * 10n ** BigInt(SCALE) + BigInt((f + '0'.repeat(SCALE)).slice(0, SCALE));
}
function undec(v: bigint): string {
  const i = v / 10n ** BigInt(SCALE);
  const f = (v % 10n ** BigInt(SCALE)).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return f ? `${i}.${f}` : `${i}`;
}

/** Runs `n` requests with at most `width` in flight. */
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

function columnNames(r: ReleaseResponse): string[] {
  return r.columns.map(c => c.name);
}

// ================================================================================================
describe('every aggregation over HTTP (builder → server → release)', () => {
  const eps = { epsilon: 1 };

  test.each([
    ['count', () => builder().count(eps), ['count', 'lower', 'upper']],
    ['sum', () => builder().sum('x', eps), ['sum_x', 'lower', 'upper']],
    ['mean', () => builder().mean('y', eps), ['mean_y', 'lower', 'upper']],
    ['variance', () => builder().variance('x', eps), ['variance_x', 'lower', 'upper']],
    ['stdev', () => builder().stdev('x', eps), ['stdev_x', 'lower', 'upper']],
    ['quantile', () => builder().quantile('x', 0.9, eps), ['quantile_x', 'lower', 'upper']],
    ['median', () => builder().median('y', eps), ['median_y', 'lower', 'upper']],
    [
      'histogram (numeric bins)',
      () => builder().histogram('x', { ...eps, bins: [0, 25, 50, 100] }),
      ['bin', 'histogram_x', 'lower', 'upper']
    ],
    [
      'histogram (categories)',
      () => builder().histogram('group', eps),
      ['bin', 'histogram_group', 'lower', 'upper']
    ]
  ] as const)('ungrouped %s → 200 with the expected columns', async (_name, build, cols) => {
    const r = await build().run();
    expect(r.kind).toBe('release');
    expect(r.dataset).toBe('e2e');
    expect(columnNames(r)).toEqual(cols);
    expect(r.rows.length).toBeGreaterThanOrEqual(1);
    expect(r.cost).toEqual({ epsilon: '1', delta: '0' });
    expect(r.mechanisms).toHaveLength(1);
    for (const row of r.rows) expect(typeof row[cols[cols[0] === 'bin' ? 1 : 0]]).toBe('number');
  });

  test.each([
    ['count', (g: ReturnType<QueryBuilder['groupby']>) => g.count(eps), 'count'],
    ['sum', (g: ReturnType<QueryBuilder['groupby']>) => g.sum('x', eps), 'sum_x'],
    ['mean', (g: ReturnType<QueryBuilder['groupby']>) => g.mean('x', eps), 'mean_x'],
    ['variance', (g: ReturnType<QueryBuilder['groupby']>) => g.variance('y', eps), 'variance_y'],
    ['stdev', (g: ReturnType<QueryBuilder['groupby']>) => g.stdev('y', eps), 'stdev_y'],
    [
      'quantile',
      (g: ReturnType<QueryBuilder['groupby']>) => g.quantile('x', 0.25, eps),
      'quantile_x'
    ],
    ['median', (g: ReturnType<QueryBuilder['groupby']>) => g.median('x', eps), 'median_x']
  ] as const)(
    'grouped %s → one row per public key, empty group D included',
    async (_n, build, name) => {
      const r = await build(builder().groupby('group')).run();
      expect(columnNames(r)).toEqual(['group', name, 'lower', 'upper']);
      expect(r.rows.map(x => x.group)).toEqual([...GROUPS]);
      for (const row of r.rows) expect(row[name]).not.toBeUndefined();
    }
  );

  test('grouped count includes EVERY public key, even the empty group D (a noisy value near 0)', async () => {
    const r = await builder().groupby('group').count({ epsilon: 2 }).run();
    expect(r.rows.map(x => x.group)).toEqual(['A', 'B', 'C', 'D']);
    const d = r.rows.find(x => x.group === 'D')!;
    expect(typeof d.count).toBe('number');
    // A 99.99% bound for discrete Laplace at scale 1/2: |noise| ≤ 10.
    expect(Math.abs(d.count as number)).toBeLessThanOrEqual(10);
  });

  test('grouped histogram: groups × bins, all present', async () => {
    const r = await builder()
      .groupby('group')
      .histogram('x', { epsilon: 1, bins: [0, 50, 100] })
      .run();
    expect(columnNames(r)).toEqual(['group', 'bin', 'histogram_x', 'lower', 'upper']);
    expect(r.rows).toHaveLength(4 * 2);
  });

  test('explicit groupby values (a key list, with a value absent from the data)', async () => {
    const r = await builder()
      .groupby('flag', { values: { flag: [true, false] } })
      .count({ epsilon: 1 })
      .run();
    expect(r.rows.map(x => x.flag)).toEqual([true, false]);
  });

  test('filter and derive change the answer as the true data says', async () => {
    const truthA = h.rows.filter(r => r.group === 'A' && r.x > 20).length;
    const r = await builder()
      .filter(d => d.group === 'A' && d.x > 20)
      .count({ epsilon: 5 })
      .run();
    expect(Math.abs((r.rows[0].count as number) - truthA)).toBeLessThanOrEqual(10);

    const derived = h.rows.reduce((s, r) => s + Math.min(20, Math.max(0, r.x / 10 + r.y)), 0);
    const r2 = await builder()
      .derive({ w: { expr: d => d.x / 10 + d.y, lower: 0, upper: 20 } })
      .sum('w', { epsilon: 5 })
      .run();
    expect(columnNames(r2)).toEqual(['sum_w', 'lower', 'upper']);
    expect(Math.abs((r2.rows[0].sum_w as number) - derived)).toBeLessThanOrEqual(40);
  });

  test('several aggregations in one query share its budget; select works', async () => {
    const q = builder()
      .select('group', 'x')
      .groupby('group')
      .agg(a => [a.count(), a.mean('x'), a.median('x')], { epsilon: 3 });
    const e = await q.estimate();
    expect(e.cost).toEqual({ epsilon: '3', delta: '0' });
    const r = await q.run();
    expect(columnNames(r)).toEqual([
      'group',
      'count',
      'count_lower',
      'count_upper',
      'mean_x',
      'mean_x_lower',
      'mean_x_upper',
      'median_x',
      'median_x_lower',
      'median_x_upper'
    ]);
    expect(r.rows).toHaveLength(4);
  });

  test('zCDP dataset: gaussian mechanism, cost in rho', async () => {
    const r = await builder('e2e_zcdp').groupby('group').mean('x', { rho: '0.5' }).run();
    expect(r.dataset).toBe('e2e_zcdp');
    expect(r.cost.rho).toBe('0.5');
    expect(r.rows.map(x => x.group)).toEqual([...GROUPS]);
    expect(r.mechanisms[0].mechanism).toMatch(/gaussian/);
  });
});

// ================================================================================================
describe('coverage: released intervals contain the true value at the stated rate', () => {
  /*
   * N = 200 independent releases per aggregation at a small ε (so the noise is large compared with
   * the grid). Each release's 95% interval misses the true value with probability ≤ 5% (the
   * reported intervals are conservative: union bounds, interval arithmetic). A one-sided binomial
   * test at false-positive rate α = 1e-6: with X ~ Bin(200, 0.05), P[X > 27] ≤ 1e-6, so a correct
   * server fails this test about once in a million runs; a server whose real miss rate is 15% or
   * more fails it almost always (E[X] = 30).
   */
  const N = 200;
  const ALPHA = 1e-6;
  const BOUND = binomialMissBound(N, 0.05, ALPHA);

  test('the binomial bound is what the comment says', () => {
    expect(BOUND).toBe(27);
  });

  const xs = () => h.rows.map(r => r.x);
  const ys = () => h.rows.map(r => r.y);

  async function misses(
    p: Record<string, unknown>,
    truthOf: (row: any) => number,
    column: string
  ): Promise<number> {
    const replies = await pool(N, 8, () => h.run(p));
    let miss = 0;
    for (const r of replies) {
      expect(r.status).toBe(200);
      for (const row of r.body.rows) {
        const t = truthOf(row);
        expect(row[column]).toEqual(expect.any(Number));
        if (!(row.lower <= t && t <= row.upper)) miss++;
      }
    }
    return miss;
  }

  test.each([
    ['count', { op: 'count' }, 'count', () => h.rows.length, '0.1'],
    ['sum x', { op: 'sum', column: 'x' }, 'sum_x', () => truth(xs()).sum, '0.1'],
    ['sum y', { op: 'sum', column: 'y' }, 'sum_y', () => truth(ys()).sum, '0.1'],
    ['mean x', { op: 'mean', column: 'x' }, 'mean_x', () => truth(xs()).mean, '0.05'],
    ['mean y', { op: 'mean', column: 'y' }, 'mean_y', () => truth(ys()).mean, '0.05'],
    [
      'variance x',
      { op: 'variance', column: 'x' },
      'variance_x',
      () => truth(xs()).variance,
      '0.5'
    ],
    ['stdev y', { op: 'stdev', column: 'y' }, 'stdev_y', () => truth(ys()).stdev, '0.5']
  ] as const)(
    '%s (pure ε, 200 releases): misses ≤ binomial bound',
    async (_n, agg, column, t, epsilon) => {
      const truthValue = t();
      const m = await misses(
        plan({ aggregations: [agg], budget: { epsilon } }),
        () => truthValue,
        column
      );
      expect(m).toBeLessThanOrEqual(BOUND);
    }
  );

  test('grouped count (4 keys incl. the empty D, 200 releases = 800 intervals): misses ≤ bound', async () => {
    const counts: Record<string, number> = { A: 0, B: 0, C: 0, D: 0 };
    for (const r of h.rows) counts[r.group]++;
    const m = await misses(
      plan({
        groupby: { keys: ['group'] },
        aggregations: [{ op: 'count' }],
        budget: { epsilon: '0.1' }
      }),
      row => counts[row.group],
      'count'
    );
    expect(m).toBeLessThanOrEqual(binomialMissBound(4 * N, 0.05, ALPHA));
  });

  test.each([
    ['count', { op: 'count' }, 'count', () => h.rows.length],
    ['sum x', { op: 'sum', column: 'x' }, 'sum_x', () => truth(xs()).sum],
    ['mean y', { op: 'mean', column: 'y' }, 'mean_y', () => truth(ys()).mean]
  ] as const)(
    'zCDP (gaussian) %s, 200 releases: misses ≤ binomial bound',
    async (_n, agg, column, t) => {
      const truthValue = t();
      const m = await misses(
        plan({ aggregations: [agg], budget: { rho: '0.005' } }, 'e2e_zcdp'),
        () => truthValue,
        column
      );
      expect(m).toBeLessThanOrEqual(BOUND);
    }
  );

  /*
   * Quantiles report no value interval (lower/upper are null); their accuracy is a bound on the
   * selected candidate's score (OpenDP's score: |(den−num)·#{x < c} − num·#{x > c}| for q = num/den,
   * 0 = exact). The mechanism report's halfWidth is that bound at 95% (score units; rankError =
   * halfWidth/den rows). So: score(released) ≤ min over candidates of score + halfWidth, in at least
   * 95% of releases (same binomial test). And always: the value lies within the public bounds.
   */
  test.each([
    ['median y', { op: 'median', column: 'y' }, 'median_y', 'y', 1n, 2n, [0, 10], 'float'],
    [
      'quantile x q=0.25',
      { op: 'quantile', column: 'x', q: 0.25 },
      'quantile_x',
      'x',
      1n,
      4n,
      [0, 100],
      'int'
    ]
  ] as const)(
    '%s: score of the released value within the reported bound at the stated rate',
    async (_n, agg, column, field, num, den, bounds, type) => {
      const values = h.rows.map(r => (r as any)[field] as number);
      const score = (c: number) => {
        let below = 0n;
        let above = 0n;
        for (const v of values) {
          if (v < c) below++;
          else if (v > c) above++;
        }
        const s = (den - num) * below - num * above;
        return Number(s < 0n ? -s : s);
      };
      const candidates = quantileCandidates([bounds[0], bounds[1]], type);
      const best = Math.min(...candidates.map(score));
      const replies = await pool(N, 8, () =>
        h.run(plan({ aggregations: [agg], budget: { epsilon: '0.2' } }))
      );
      let miss = 0;
      for (const r of replies) {
        expect(r.status).toBe(200);
        const v = r.body.rows[0][column] as number;
        expect(v).toBeGreaterThanOrEqual(bounds[0]);
        expect(v).toBeLessThanOrEqual(bounds[1]);
        expect(r.body.rows[0].lower).toBeNull();
        const hw = r.body.mechanisms[0].halfWidth as number;
        if (score(v) > best + hw) miss++;
      }
      expect(miss).toBeLessThanOrEqual(BOUND);
    }
  );
});

// ================================================================================================
describe('estimate, dummy, budget and idempotency', () => {
  test('estimate is free and its cost equals what run then charges', async () => {
    const q = builder()
      .groupby('group')
      .agg(a => [a.count(), a.sum('x', { epsilon: '0.3' })], { epsilon: '0.7' });
    const before = await h.budget('e2e');
    const e = await q.estimate();
    const e2 = await q.estimate();
    expect(e2.cost).toEqual(e.cost);
    expect(await h.budget('e2e')).toEqual(before);
    expect(e.cost).toEqual({ epsilon: '1', delta: '0' });
    expect(e.mechanisms.map(m => m.aggregation)).toEqual(['count', 'sum_x']);
    const r = await q.run();
    expect(r.cost).toEqual(e.cost);
    const after = await h.budget('e2e');
    expect(undec(dec(after.spent.epsilon) - dec(before.spent.epsilon))).toBe(e.cost.epsilon);
  });

  test('estimate on zCDP: same cost as the charge (rho)', async () => {
    const p = plan(
      { aggregations: [{ op: 'mean', column: 'x' }], budget: { rho: '0.0123' } },
      'e2e_zcdp'
    );
    const before = await h.budget('e2e_zcdp');
    const e = await h.estimate(p);
    expect(e.status).toBe(200);
    expect(await h.budget('e2e_zcdp')).toEqual(before);
    const r = await h.run(p);
    expect(r.body.cost).toEqual(e.body.cost);
    const after = await h.budget('e2e_zcdp');
    expect(undec(dec(after.spent.rho) - dec(before.spent.rho))).toBe(e.body.cost.rho);
  });

  test('estimate with an accuracy target: the charge equals the estimated cost, and the interval meets the target', async () => {
    const p = plan({
      aggregations: [{ op: 'count', accuracy: { halfWidth: 25 } }],
      budget: undefined
    });
    const before = await h.budget('e2e');
    const e = await h.estimate(p);
    expect(e.status).toBe(200);
    expect(e.body.mechanisms[0].halfWidth).toBeLessThanOrEqual(25);
    expect(await h.budget('e2e')).toEqual(before);
    const r = await h.run(p);
    expect(r.status).toBe(200);
    expect(r.body.cost).toEqual(e.body.cost);
    expect(r.body.rows[0].upper - r.body.rows[0].lower).toBeLessThanOrEqual(50);
    const after = await h.budget('e2e');
    expect(undec(dec(after.spent.epsilon) - dec(before.spent.epsilon))).toBe(e.body.cost.epsilon);
  });

  test('an Idempotency-Key is per user: another analyst reusing it gets their own (charged) answer', async () => {
    const u = await h.admin('POST', '/admin/users', { name: 'bob' });
    expect(u.status).toBe(201);
    const k = await h.admin('POST', '/admin/users/bob/keys', { label: 'e2e' });
    expect(k.status).toBe(201);
    expect(
      (await h.admin('PUT', '/admin/grants/e2e/bob', { epsilon: '10', delta: '0' })).status
    ).toBe(200);
    const p = plan({ aggregations: [{ op: 'count' }], budget: { epsilon: '0.5' } });
    const key = `e2e-shared-key-${Date.now()}`;
    const mine = await h.run(p, key);
    const theirs = await h.req('POST', '/v1/queries', p, {
      key: k.body.key,
      headers: { 'idempotency-key': key }
    });
    expect(theirs.status).toBe(200);
    expect(theirs.body.queryId).not.toBe(mine.body.queryId);
    const bob = await h.req('GET', '/v1/datasets/e2e/budget', undefined, { key: k.body.key });
    expect(bob.body.spent.epsilon).toBe('0.5');
  });

  test('dummy is free and has kind "dummy"', async () => {
    const before = await h.budget('e2e');
    const r = await builder().groupby('group').mean('x', { epsilon: 1 }).dummy();
    expect(r.kind).toBe('dummy');
    expect(r.rows.map(x => x.group)).toEqual([...GROUPS]);
    expect(r.cost).toEqual({ epsilon: '0', delta: '0' });
    expect(await h.budget('e2e')).toEqual(before);
  });

  test('after k runs, spent is the EXACT decimal sum of the costs (0.1 + 0.2 + 0.3 + ... never drifts)', async () => {
    await h.register('e2e_budget', 'pure', { epsilon: '10', delta: '0' });
    const costs = ['0.1', '0.2', '0.3', '0.001', '0.07', '1.329'];
    let expected = 0n;
    for (const epsilon of costs) {
      const r = await h.run(
        plan({ aggregations: [{ op: 'count' }], budget: { epsilon } }, 'e2e_budget')
      );
      expect(r.status).toBe(200);
      expect(r.body.cost.epsilon).toBe(epsilon);
      expected += dec(epsilon);
      const b = await h.budget('e2e_budget');
      expect(b.spent.epsilon).toBe(undec(expected));
      expect(b.remaining.epsilon).toBe(undec(dec('10') - expected));
    }
    expect(undec(expected)).toBe('2');
  });

  test('idempotency: the same Idempotency-Key returns the same answer, charged once', async () => {
    const p = plan({ aggregations: [{ op: 'count' }], budget: { epsilon: '0.25' } });
    const key = `e2e-idem-${Date.now()}`;
    const before = await h.budget('e2e');
    const a = await h.run(p, key);
    const b = await h.run(p, key);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.queryId).toBe(a.body.queryId);
    expect(b.body.rows).toEqual(a.body.rows);
    const after = await h.budget('e2e');
    expect(undec(dec(after.spent.epsilon) - dec(before.spent.epsilon))).toBe('0.25');
    // The same key with a different plan is a conflict, not a second charge.
    const c = await h.run(
      plan({ aggregations: [{ op: 'count' }], budget: { epsilon: '0.5' } }),
      key
    );
    expect(c.status).toBe(409);
    expect(c.body.code).toBe('CONFLICT');
    expect(await h.budget('e2e')).toEqual(after);
  });

  test('idempotency: concurrent retries with one key are charged once AND all get the answer', async () => {
    const p = plan({ aggregations: [{ op: 'count' }], budget: { epsilon: '0.25' } });
    const key = `e2e-idem-concurrent-${Date.now()}`;
    const before = await h.budget('e2e');
    const replies = await Promise.all(Array.from({ length: 5 }, () => h.run(p, key)));
    // Charged once, whatever the answers.
    const after = await h.budget('e2e');
    expect(undec(dec(after.spent.epsilon) - dec(before.spent.epsilon))).toBe('0.25');
    // A retry that arrives while the first request is still executing must get the same answer
    // (or at least not a 409 telling the analyst to resend with a NEW key, which charges twice).
    expect(
      replies.map(r => [r.status, r.body.code ?? 'ok', r.status === 409 ? r.body.message : ''])
    ).toEqual(replies.map(() => [200, 'ok', '']));
    expect(new Set(replies.map(r => r.body.queryId)).size).toBe(1);
  });
});

// ================================================================================================
describe('bad input → typed 4xx {code, message}, no budget change', () => {
  const good = () => plan({ aggregations: [{ op: 'count' }], budget: { epsilon: '0.5' } });

  async function expectRejected(
    r: Promise<{ status: number; body: any; text: string }>,
    status: number,
    code: string | RegExp
  ): Promise<void> {
    const before = await h.budget('e2e');
    const res = await r;
    expect({ status: res.status, code: res.body?.code }).toEqual({
      status,
      code: typeof code === 'string' ? code : expect.stringMatching(code)
    });
    expect(typeof res.body.message).toBe('string');
    expect(res.body.message.length).toBeGreaterThan(10);
    expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/); // never a stack trace
    expect(await h.budget('e2e')).toEqual(before);
  }

  test('no key → 401', () =>
    expectRejected(h.req('POST', '/v1/queries', good(), { key: null }), 401, 'UNAUTHENTICATED'));
  test('wrong key → 401', () =>
    expectRejected(
      h.req('POST', '/v1/queries', good(), { key: WRONG_KEY }),
      401,
      'UNAUTHENTICATED'
    ));
  test('unknown dataset → 404', () =>
    expectRejected(h.run({ ...good(), dataset: 'no_such_dataset' }), 404, 'DATASET_NOT_FOUND'));
  test('malformed JSON → 400', () =>
    expectRejected(
      h.req('POST', '/v1/queries', undefined, { raw: '{"version": 1, "dataset": "e2e", ' }),
      400,
      /INVALID_(REQUEST|PLAN)/
    ));

  test.each([
    ['NaN (raw JSON)', 'NaN'],
    ['Infinity (raw JSON)', 'Infinity'],
    ['1e999 (overflows to Infinity)', '1e999'],
    ['negative', '-1'],
    ['zero', '0'],
    ['"0"', '"0"'],
    ['"0.000"', '"0.000"'],
    ['"NaN"', '"NaN"'],
    ['"Infinity"', '"Infinity"'],
    ['"-0.5"', '"-0.5"'],
    ['garbage string', '"lots"'],
    ['"1e1000" (exponent beyond 3 digits)', '"1e1000"'],
    ['null', 'null'],
    ['object', '{}']
  ])('epsilon %s → 400', async (_n, raw) => {
    const text = `{"version":1,"dataset":"e2e","steps":[],"aggregations":[{"op":"count"}],"budget":{"epsilon":${raw}}}`;
    const before = await h.budget('e2e');
    for (const path of ['/v1/queries', '/v1/queries/estimate', '/v1/queries/dummy']) {
      const res = await h.req('POST', path, undefined, { raw: text });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body.code).toMatch(/^INVALID_(REQUEST|PLAN|PARAMETER)$/);
      expect(typeof res.body.message).toBe('string');
    }
    expect(await h.budget('e2e')).toEqual(before);
  });

  test('epsilon on an aggregation that is NaN via a string → 400', () =>
    expectRejected(
      h.run(
        plan({ aggregations: [{ op: 'count', budget: { epsilon: 'NaN' } }], budget: undefined })
      ),
      400,
      /INVALID_(PLAN|PARAMETER)/
    ));
  test('missing aggregation → 400', () =>
    expectRejected(h.run(plan({ aggregations: [] })), 400, 'INVALID_PLAN'));
  test('no aggregations field → 400', () => {
    const p = good();
    delete p.aggregations;
    return expectRejected(h.run(p), 400, 'INVALID_PLAN');
  });
  test('sum without bounds on an unbounded column → 400 PRIVACY_RULE', () =>
    expectRejected(
      h.run(plan({ aggregations: [{ op: 'sum', column: 'z' }] })),
      400,
      'PRIVACY_RULE'
    ));
  test('mean/quantile without bounds on an unbounded column → 400 PRIVACY_RULE', async () => {
    await expectRejected(
      h.run(plan({ aggregations: [{ op: 'mean', column: 'z' }] })),
      400,
      'PRIVACY_RULE'
    );
    await expectRejected(
      h.run(plan({ aggregations: [{ op: 'median', column: 'z' }] })),
      400,
      'PRIVACY_RULE'
    );
  });
  test('unknown column → 400 UNKNOWN_COLUMN', () =>
    expectRejected(
      h.run(plan({ aggregations: [{ op: 'sum', column: 'nope', bounds: [0, 1] }] })),
      400,
      'UNKNOWN_COLUMN'
    ));
  test('type mismatch: mean of a string column → 400', () =>
    expectRejected(
      h.run(plan({ aggregations: [{ op: 'mean', column: 'group' }] })),
      400,
      /TYPE_MISMATCH|PRIVACY_RULE|INVALID_PLAN/
    ));
  test('wrong plan version → 400', () =>
    expectRejected(h.run({ ...good(), version: 2 }), 400, 'INVALID_PLAN'));
  test('non-JSON content type → 415', () =>
    expectRejected(
      h.req('POST', '/v1/queries', undefined, {
        raw: JSON.stringify(good()),
        headers: { 'content-type': 'text/plain' }
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE'
    ));
  test('bad Idempotency-Key → 400', () =>
    expectRejected(
      h.req('POST', '/v1/queries', good(), { headers: { 'idempotency-key': 'x' } }),
      400,
      'INVALID_PARAMETER'
    ));

  test('budget exhausted → 403 BUDGET_EXHAUSTED, and nothing charged by the refused query', async () => {
    const p = (epsilon: string) =>
      plan({ aggregations: [{ op: 'count' }], budget: { epsilon } }, 'e2e_tight');
    const first = await h.run(p('0.6'));
    expect(first.status).toBe(200);
    const before = await h.budget('e2e_tight');
    expect(before.spent.epsilon).toBe('0.6');
    const second = await h.run(p('0.6'));
    expect(second.status).toBe(403);
    expect(second.body.code).toBe('BUDGET_EXHAUSTED');
    expect(typeof second.body.message).toBe('string');
    expect(await h.budget('e2e_tight')).toEqual(before);
    // What is left can still be spent exactly.
    const last = await h.run(p('0.4'));
    expect(last.status).toBe(200);
    expect((await h.budget('e2e_tight')).remaining.epsilon).toBe('0');
    // And estimate stays free (and answers) even with nothing left.
    expect((await h.estimate(p('0.1'))).status).toBe(200);
  });
});

// Keep the builder type import used (QueryPlan documents what the runner receives).
export type _Plan = QueryPlan;
