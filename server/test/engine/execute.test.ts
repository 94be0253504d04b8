import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listValue } from '@duckdb/node-api';
import { PLAN_LIMITS, type QueryPlan } from 'lomas-kernel/protocol';
import { compileFor, execute } from '../../src/engine/execute';
import type { EngineFailure } from '../../src/engine/failure';
import { LIMITS } from '../../src/query/types';
import { loadDataset, type LoadedDataset } from '../../src/engine/load';
import type {
  MomentStats,
  QuantileStats,
  HistogramStats,
  CountStats
} from '../../src/engine/types';
import { releaseValue, type Key } from '../../src/query/keys';
import { bin, col, lit, loadRows, meta, resolve } from './helpers';

/** The first key of a group, as released. */
const key0 = (g: { key: Key }) => releaseValue(g.key[0]);

const M = meta({
  columns: {
    g: { type: 'string', categories: ['a', 'b', 'c', 'empty'] },
    flag: { type: 'boolean' },
    n: { type: 'int', lower: 0, upper: 10, nullable: true },
    x: { type: 'float', lower: -1.5, upper: 2.25, nullable: true },
    t: { type: 'datetime', lower: '2020-01-01', upper: '2020-12-31' }
  }
});

// Known rows: values outside bounds (clamped), NULLs, a category not in the public list ("zzz" → NULL).
const ROWS = [
  { g: 'a', flag: true, n: 1, x: 0.1, t: '2020-01-05T10:00:00Z' },
  { g: 'a', flag: false, n: 15, x: -7, t: '2020-02-05T10:00:00Z' },
  { g: 'a', flag: true, n: null, x: 1 / 3, t: '2020-03-05T10:00:00Z' },
  { g: 'b', flag: true, n: -4, x: null, t: '2020-03-06T10:00:00Z' },
  { g: 'b', flag: false, n: 10, x: 2.2, t: '2020-07-01T00:00:00Z' },
  { g: 'c', flag: false, n: 3, x: 99, t: '2020-12-01T00:00:00Z' },
  { g: 'zzz', flag: true, n: 5, x: 1, t: '2020-12-02T00:00:00Z' }
];

let d: LoadedDataset;
beforeAll(async () => {
  d = await loadRows(M, ROWS);
});
afterAll(() => d.close());

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

describe('execute: exact statistics', () => {
  test('grouped count keeps every public key, including empty groups and NULL', async () => {
    const r = await execute(
      resolve({ groupby: { keys: ['g'] }, aggregations: [{ op: 'count' }] }, M),
      d
    );
    expect(r.keyMode).toBe('public');
    expect(r.groups.map(g => [key0(g), (g.stats[0] as CountStats).count])).toEqual([
      ['a', 3n],
      ['b', 2n],
      ['c', 1n],
      ['empty', 0n]
    ]);
    // "zzz" is outside the public categories: loaded as NULL; g is not nullable, so the NULL group is not public → dropped.
    const withValues = await execute(
      resolve(
        {
          groupby: { keys: ['g'], values: { g: ['b', 'nope', null] } },
          aggregations: [{ op: 'count' }]
        },
        M
      ),
      d
    );
    expect(withValues.groups.map(g => [key0(g), g.rows])).toEqual([
      ['b', 2n],
      ['nope', 0n],
      [null, 1n]
    ]);
  });

  test('int sums: clamped, exact, NULLs counted separately', async () => {
    const r = await execute(
      resolve({ groupby: { keys: ['g'] }, aggregations: [{ op: 'sum', column: 'n' }] }, M),
      d
    );
    const s = r.groups.map(g => g.stats[0] as MomentStats);
    expect(s[0]).toMatchObject({
      count: 2n,
      nulls: 1n,
      sum: 11n,
      grid: { exponent: 0 }
    }); // 1 + clamp(15)=10
    expect(s[1]).toMatchObject({ count: 2n, nulls: 0n, sum: 10n }); // clamp(-4)=0, 10
    expect(s[3]).toMatchObject({ count: 0n, nulls: 0n, sum: 0n });
    // A sum releases no squares, so the statement does not compute them (needsSumSquares).
    expect(s.every(x => x.sumSquares === undefined)).toBe(true);
  });

  test('float sums on the fixed-point grid equal a BigInt reference', async () => {
    const rp = resolve({ aggregations: [{ op: 'variance', column: 'x' }] }, M);
    const r = await execute(rp, d);
    const s = r.groups[0].stats[0] as MomentStats;
    const e = s.grid.exponent;
    expect(e).toBe(2 - 31); // M = 2.25 → ceil(log2) = 2
    const scaled = ROWS.filter(x => x.g !== undefined && x.x !== null).map(x =>
      BigInt(Math.round(clamp(x.x as number, -1.5, 2.25) * 2 ** -e))
    );
    expect(s.count).toBe(BigInt(scaled.length));
    expect(s.nulls).toBe(1n);
    expect(s.sum).toBe(scaled.reduce((a, b) => a + b, 0n));
    expect(s.sumSquares).toBe(scaled.reduce((a, b) => a + b * b, 0n));
    for (const v of scaled) expect(v >= s.grid.lowerScaled && v <= s.grid.upperScaled).toBe(true);
  });

  test('quantile counts below/above each public candidate', async () => {
    const r = await execute(resolve({ aggregations: [{ op: 'median', column: 'n' }] }, M), d);
    const q = r.groups[0].stats[0] as QuantileStats;
    expect(q.candidates).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const vals = ROWS.map(x => x.n)
      .filter((v): v is number => v !== null)
      .map(v => clamp(v, 0, 10));
    expect(q.count).toBe(BigInt(vals.length));
    q.candidates.forEach((c, i) => {
      expect(q.below[i]).toBe(BigInt(vals.filter(v => v < c).length));
      expect(q.above[i]).toBe(BigInt(vals.filter(v => v > c).length));
    });
  });

  test('histograms: numeric bins (clamped) and categories', async () => {
    // A histogram is the only aggregation of its query (a plan rule): one query each.
    const one = async (a: QueryPlan['aggregations'][number]) =>
      (await execute(resolve({ aggregations: [a] }, M), d)).groups[0].stats[0] as HistogramStats;
    const h = await one({ op: 'histogram', column: 'x', bins: [-1.5, 0, 1, 2.25] });
    const c = await one({ op: 'histogram', column: 'g' });
    const f = await one({ op: 'histogram', column: 'flag' });
    // x: 0.1, -7→-1.5, 1/3, null, 2.2, 99→2.25, 1  →  (-1.5..0]: 1, (0..1]: 3, (1..2.25]: 2
    expect(h.counts).toEqual([1n, 3n, 2n]);
    expect(h.nulls).toBe(1n);
    expect(c.counts).toEqual([3n, 2n, 1n, 0n]);
    expect(c.nulls).toBe(1n);
    expect(f.counts).toEqual([3n, 4n]);
  });

  test('filters, derived columns and datetime parts', async () => {
    const r = await execute(
      resolve(
        {
          steps: [
            { op: 'filter', predicate: bin('>=', col('t'), lit('2020-03-01')) },
            {
              op: 'derive',
              columns: { m: { expr: { kind: 'call', fn: 'month', args: [col('t')] } as never } }
            }
          ],
          groupby: { keys: ['m'] },
          aggregations: [{ op: 'count' }]
        },
        M
      ),
      d
    );
    expect(r.groups).toHaveLength(12);
    expect(r.groups.filter(g => g.rows > 0n).map(g => [key0(g), g.rows])).toEqual([
      [3, 2n],
      [7, 1n],
      [12, 2n]
    ]);
  });

  test('discovery returns observed keys only', async () => {
    const r = await execute(
      resolve(
        {
          groupby: { keys: ['n'], discover: { delta: '0.00001' } },
          aggregations: [{ op: 'count' }]
        },
        meta({ columns: { n: { type: 'int', nullable: true } } })
      ),
      d
    );
    expect(r.keyMode).toBe('discover');
    expect(r.groups.map(key0).sort()).toEqual([-4, 1, 10, 15, 3, 5, null].sort());
  });

  test('no data-dependent errors: division by zero, overflow, log(0), bad casts give NULL', async () => {
    const big = meta({ columns: { a: { type: 'int' }, b: { type: 'int' }, f: { type: 'float' } } });
    const dd = await loadRows(big, [
      { a: 9007199254740991, b: 0, f: 0 },
      { a: -5, b: 2, f: -1 },
      { a: 4, b: 0, f: 1 }
    ]);
    try {
      const exprs: unknown[] = [
        bin('/', col('a'), col('b')),
        bin('%', col('a'), col('b')),
        bin('*', bin('*', col('a'), col('a')), col('a')),
        bin('+', col('a'), lit(9007199254740991)),
        { kind: 'unary', op: '-', arg: bin('*', col('a'), lit(1024)) },
        { kind: 'call', fn: 'log', args: [col('f')] },
        { kind: 'call', fn: 'sqrt', args: [col('f')] },
        { kind: 'call', fn: 'exp', args: [bin('*', col('a'), lit(1000))] },
        {
          kind: 'call',
          fn: 'abs',
          args: [bin('-', lit(-9007199254740991), bin('*', col('a'), col('a')))]
        },
        { kind: 'call', fn: 'round', args: [bin('*', col('f'), lit(1e300))] }
      ];
      for (const e of exprs) {
        const r = await execute(
          resolve(
            {
              steps: [
                { op: 'derive', columns: { y: { expr: e as never } } },
                {
                  op: 'filter',
                  predicate: {
                    kind: 'unary',
                    op: '!',
                    arg: { kind: 'isnull', arg: col('y') }
                  } as never
                }
              ],
              aggregations: [{ op: 'count' }]
            },
            big
          ),
          dd
        );
        expect(r.groups[0].rows).toBeGreaterThanOrEqual(0n);
      }
    } finally {
      dd.close();
    }
  });
});

describe('privacy unit: truncation to max_ids rows per id', () => {
  const m = meta({
    max_ids: 2,
    row_privacy: false,
    privacy_id: 'pid',
    columns: {
      pid: { type: 'string', nullable: true },
      g: { type: 'string', categories: ['x', 'y'] },
      v: { type: 'int', lower: 0, upper: 100 }
    }
  });
  const rows = [
    { pid: 'u1', g: 'x', v: 1 },
    { pid: 'u1', g: 'y', v: 2 },
    { pid: 'u1', g: 'x', v: 4 },
    { pid: 'u2', g: 'x', v: 8 },
    { pid: null, g: 'x', v: 16 },
    { pid: null, g: 'y', v: 32 },
    { pid: null, g: 'x', v: 64 },
    { pid: 'u1', g: 'y', v: 100 }
  ];

  test('keeps the first max_ids rows of each id (source order) and drops rows without an id', async () => {
    const dd = await loadRows(m, rows);
    try {
      expect(dd.rowCount).toBe(3n);
      const r = await execute(resolve({ aggregations: [{ op: 'sum', column: 'v' }] }, m), dd);
      expect((r.groups[0].stats[0] as MomentStats).sum).toBe(1n + 2n + 8n);
      expect(r.maxRowsPerUnit).toBe(2);
    } finally {
      dd.close();
    }
  });

  test('adding a person whose id is NULL changes no count (the bound is max_ids; here 0)', async () => {
    // Neighbouring datasets: the same rows, plus one more person with five rows and no id.
    const person = Array.from({ length: 5 }, (_, i) => ({ pid: null, g: 'x', v: i }));
    const counts = async (data: Record<string, unknown>[]) => {
      const dd = await loadRows(m, data);
      try {
        const total = await execute(resolve({ aggregations: [{ op: 'count' }] }, m), dd);
        const byG = await execute(
          resolve({ groupby: { keys: ['g'] }, aggregations: [{ op: 'count' }] }, m),
          dd
        );
        return [total, byG].flatMap(r => r.groups.map(g => (g.stats[0] as CountStats).count));
      } finally {
        dd.close();
      }
    };
    const without = await counts(rows);
    const withPerson = await counts([...rows, ...person]);
    without.forEach((c, i) => {
      const change = withPerson[i] > c ? withPerson[i] - c : c - withPerson[i];
      expect(change).toBeLessThanOrEqual(BigInt(m.max_ids));
    });
    expect(withPerson).toEqual(without);
  });

  test('units are the ids after the cast to the declared type: "1", "01" and 1 are one person', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lomas-units-'));
    const path = join(dir, 'rows.json');
    writeFileSync(
      path,
      JSON.stringify([
        { pid: '1', v: 1 },
        { pid: '01', v: 2 },
        { pid: '001', v: 4 },
        { pid: 'not a number', v: 8 },
        { pid: '2', v: 16 }
      ])
    );
    const mi = meta({
      max_ids: 1,
      row_privacy: false,
      privacy_id: 'pid',
      columns: { pid: { type: 'int', nullable: true }, v: { type: 'int', lower: 0, upper: 100 } }
    });
    const dd = await loadDataset(
      { path, format: 'json', columns: {}, bytes: 0, release: async () => undefined },
      mi
    );
    try {
      const r = await execute(resolve({ aggregations: [{ op: 'sum', column: 'v' }] }, mi), dd);
      // One row of person 1 (the first), none of the id that is not an int, one of person 2.
      expect((r.groups[0].stats[0] as MomentStats).sum).toBe(1n + 16n);
    } finally {
      dd.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lockdown', () => {
  test('external access is off after load: file reads, COPY, ATTACH, INSTALL and SET fail', async () => {
    const conn = await d.instance.connect();
    try {
      for (const sql of [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "COPY data TO '/tmp/lomas-leak.csv'",
        "ATTACH '/tmp/lomas-leak.db'",
        'INSTALL httpfs',
        'SET enable_external_access = true',
        'RESET enable_external_access'
      ]) {
        await expect(conn.run(sql)).rejects.toThrow();
      }
      const ok = await conn.runAndReadAll('SELECT count(*) FROM data');
      expect(ok.getRows()[0][0]).toBe(7n);
    } finally {
      conn.closeSync();
    }
  });
});

describe('group keys are exact end to end', () => {
  const bm = meta({
    columns: { y: { type: 'int', lower: 0, upper: 100 }, s: { type: 'string' } }
  });
  // The reported membership oracle: two derived keys that are one JS number apart from nothing.
  const big = (plus: number) =>
    bin('+', bin('*', lit(9007199254740991), lit(2)), lit(plus)) as unknown;
  const oracle = {
    steps: [
      {
        op: 'derive',
        columns: {
          k: {
            expr: {
              kind: 'cond',
              test: bin('==', col('y'), lit(42)),
              then: big(3),
              else: big(2)
            } as never
          }
        }
      }
    ],
    groupby: { keys: ['k'], discover: { delta: '0.000001' } },
    aggregations: [{ op: 'count' as const }]
  } as never;

  test('derived keys beyond 2^53 stay two groups with their own counts', async () => {
    const dd = await loadRows(bm, [{ y: 42 }, { y: 1 }, { y: 2 }, { y: 3 }]);
    try {
      const r = await execute(resolve(oracle, bm), dd);
      const got = r.groups.map(g => [key0(g), (g.stats[0] as CountStats).count]);
      expect(got.sort()).toEqual([
        ['18014398509481984', 3n],
        ['18014398509481985', 1n]
      ]);
    } finally {
      dd.close();
    }
  });

  test('two result rows with the same key fail closed', async () => {
    const compileModule = await import('../../src/query/compile');
    const original = compileModule.compile;
    const spy = jest.spyOn(compileModule, 'compile').mockImplementation((plan, storage) => {
      const q = original(plan, storage);
      return { ...q, sql: `${q.sql} UNION ALL ${q.sql}` }; // every group twice
    });
    try {
      await expect(
        execute(resolve({ groupby: { keys: ['g'] }, aggregations: [{ op: 'count' }] }, M), d)
      ).rejects.toMatchObject({ name: 'EngineFailure', reason: 'duplicate-key' });
    } finally {
      spy.mockRestore();
    }
  });
});

test('a result row outside the public keys fails closed (the SQL and the key identity disagree)', async () => {
  const compileModule = await import('../../src/query/compile');
  const original = compileModule.compile;
  const spy = jest.spyOn(compileModule, 'compile').mockImplementation((plan, storage) => {
    const q = original(plan, storage);
    return { ...q, sql: q.sql.replace(' WHERE (enum_code', ' WHERE true OR (enum_code') };
  });
  try {
    await expect(
      execute(
        resolve(
          { groupby: { keys: ['g'], values: { g: ['b'] } }, aggregations: [{ op: 'count' }] },
          M
        ),
        d
      )
    ).rejects.toMatchObject({ name: 'EngineFailure', reason: 'unexpected-key' });
  } finally {
    spy.mockRestore();
  }
});

describe('resource limits fail closed', () => {
  const cm = meta({ columns: { k: { type: 'int' }, v: { type: 'float', lower: 0, upper: 1 } } });
  const discover = (q: Record<string, unknown> = {}) =>
    resolve(
      {
        groupby: { keys: ['k'], discover: { delta: '0.000001' } },
        aggregations: [{ op: 'count' }],
        ...q
      },
      cm
    );
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ k: i, v: (i % 97) / 97 }));

  test('key discovery reads at most the public cap of keys, plus one to know it was exceeded', async () => {
    expect(LIMITS.maxDiscoveredGroups).toBe(PLAN_LIMITS.discoveredGroups);
    const cap = LIMITS.maxDiscoveredGroups;
    expect(compileFor(discover(), d).sql).toMatch(new RegExp(`LIMIT ${cap + 1}$`));
    const atCap = await loadRows(cm, rows(cap));
    const overCap = await loadRows(cm, rows(cap + 1));
    try {
      expect((await execute(discover(), atCap)).groups).toHaveLength(cap);
      await expect(execute(discover(), overCap)).rejects.toMatchObject({ reason: 'group-cap' });
    } finally {
      atCap.close();
      overCap.close();
    }
  });

  test('public keys are restricted in the SQL: rows with other keys are never grouped', async () => {
    const sqlOf = (p: Record<string, unknown>) =>
      compileFor(resolve({ aggregations: [{ op: 'count' }], ...p } as never, M), d);
    // A stored ENUM, some values: compared by ENUM code ("b" is code 1).
    const some = sqlOf({ groupby: { keys: ['g'], values: { g: ['b', 'nope', null] } } });
    expect(some.sql).toContain('WHERE (enum_code("g") IN (SELECT unnest($1)) OR "g" IS NULL)');
    expect(some.params[0]).toEqual(listValue([1]));
    // Every category is public: only the NULL group (values outside the list) is left out.
    expect(sqlOf({ groupby: { keys: ['g'] } }).sql).toContain('WHERE "g" IS NOT NULL)');
    // Ints, and a derived column that replaced the ENUM, are compared by value.
    const ints = sqlOf({ groupby: { keys: ['n'], values: { n: [1, 10] } } });
    expect(ints.sql).toContain('WHERE ("n" IN (SELECT unnest($1))))');
    expect(ints.params[0]).toEqual(listValue([1n, 10n]));
    const derived = sqlOf({
      steps: [
        {
          op: 'derive',
          columns: { g: { expr: { kind: 'call', fn: 'upper', args: [col('g')] } as never } }
        }
      ],
      groupby: { keys: ['g'], values: { g: ['A'] } }
    });
    expect(derived.sql).toContain('WHERE (CAST("g" AS VARCHAR) IN (SELECT unnest(');

    // The rows grouped are exactly the public ones: a count over a high-cardinality column.
    const wide = meta({ columns: { k: { type: 'int' } } });
    const dd = await loadRows(
      wide,
      Array.from({ length: 5000 }, (_, i) => ({ k: i % 2500 }))
    );
    try {
      const r = await execute(
        resolve(
          {
            groupby: { keys: ['k'], values: { k: [7, 2499, 2500] } },
            aggregations: [{ op: 'count' }]
          },
          wide
        ),
        dd
      );
      expect(r.groups.map(g => [key0(g), g.rows])).toEqual([
        [7, 2n],
        [2499, 2n],
        [2500, 0n]
      ]);
    } finally {
      dd.close();
    }
  });

  test('the timeout interrupts a running statement', async () => {
    const km = meta({
      columns: { k: { type: 'int', lower: 0, upper: 9999 }, v: cm.columns.v }
    });
    const dd = await loadDataset(
      { kind: 'rows', rows: rows(200_000).map(r => ({ ...r, k: r.k % 10_000 })) },
      km,
      { queryTimeoutMs: 100 }
    );
    try {
      // 10,000 groups × 256 candidates: seconds of work, interrupted after 100 ms.
      const slow = resolve(
        { groupby: { keys: ['k'] }, aggregations: [{ op: 'median', column: 'v' }] },
        km
      );
      const failure = await execute(slow, dd).then(
        () => null,
        (e: unknown) => e as EngineFailure
      );
      expect(failure).toMatchObject({ name: 'EngineFailure', reason: 'timeout' });
      expect(String((failure?.cause as Error)?.message)).toMatch(/INTERRUPT/);
      // The instance stays usable.
      expect(
        (await execute(resolve({ aggregations: [{ op: 'count' }] }, km), dd)).groups[0].rows
      ).toBe(200_000n);
    } finally {
      dd.close();
    }
  });

  test('an out-of-memory statement fails as "memory" (no spilling to disk)', async () => {
    const dd = await loadDataset({ kind: 'rows', rows: rows(200_000) }, cm, {
      memoryLimit: '16MB'
    });
    try {
      await expect(
        execute(discover({ aggregations: [{ op: 'median', column: 'v' }] }), dd)
      ).rejects.toMatchObject({ name: 'EngineFailure', reason: 'memory' });
    } finally {
      dd.close();
    }
  });
});
