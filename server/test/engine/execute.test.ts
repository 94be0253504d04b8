import type { QueryPlan } from 'lomas-kernel/protocol';
import { execute } from '../../src/engine/execute';
import type { LoadedDataset } from '../../src/engine/load';
import type {
  MomentStats,
  QuantileStats,
  HistogramStats,
  CountStats
} from '../../src/engine/types';
import { bin, col, lit, loadRows, meta, resolve } from './helpers';

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
    expect(r.groups.map(g => [g.key[0], (g.stats[0] as CountStats).count])).toEqual([
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
    expect(withValues.groups.map(g => [g.key[0], g.rows])).toEqual([
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
      sumSquares: 101n,
      grid: { exponent: 0 }
    }); // 1 + clamp(15)=10
    expect(s[1]).toMatchObject({ count: 2n, nulls: 0n, sum: 10n, sumSquares: 100n }); // clamp(-4)=0, 10
    expect(s[3]).toMatchObject({ count: 0n, nulls: 0n, sum: 0n, sumSquares: 0n });
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
    expect(r.groups.filter(g => g.rows > 0n).map(g => [g.key[0], g.rows])).toEqual([
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
    expect(r.groups.map(g => g.key[0]).sort()).toEqual([-4, 1, 10, 15, 3, 5, null].sort());
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
  test('keeps the first max_ids rows of each id (source order)', async () => {
    const m = meta({
      max_ids: 2,
      row_privacy: false,
      privacy_id: 'pid',
      columns: { pid: { type: 'string', nullable: true }, v: { type: 'int', lower: 0, upper: 100 } }
    });
    const rows = [
      { pid: 'u1', v: 1 },
      { pid: 'u1', v: 2 },
      { pid: 'u1', v: 4 },
      { pid: 'u2', v: 8 },
      { pid: null, v: 16 },
      { pid: null, v: 32 },
      { pid: null, v: 64 },
      { pid: 'u1', v: 100 }
    ];
    const dd = await loadRows(m, rows);
    try {
      expect(dd.rowCount).toBe(5n);
      const r = await execute(resolve({ aggregations: [{ op: 'sum', column: 'v' }] }, m), dd);
      expect((r.groups[0].stats[0] as MomentStats).sum).toBe(1n + 2n + 8n + 16n + 32n);
      expect(r.maxRowsPerUnit).toBe(2);
    } finally {
      dd.close();
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
