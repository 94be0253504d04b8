import { LomasError, parsePlan, type QueryPlan } from 'lomas-kernel/protocol';
import { compile, quoteIdent } from '../../src/query/compile';
import { execute } from '../../src/engine/execute';
import { releaseValue } from '../../src/query/keys';
import { bin, col, lit, loadRows, meta, resolve } from '../engine/helpers';

const M = meta({
  columns: {
    name: { type: 'string' },
    kind: { type: 'string', categories: ["it's", 'a"b', '; DROP TABLE data; --'] },
    x: { type: 'int', lower: 0, upper: 10 }
  }
});

const HOSTILE = [
  "'; DROP TABLE data; --",
  '"; DROP TABLE data; --',
  "' OR '1'='1",
  '/* comment */ 1',
  '-- comment',
  '1; $2',
  "\\'; SELECT * FROM read_csv('/etc/passwd'); --",
  'ünïcødé \u0000 nul'
];

const storage = { table: 'data', columns: Object.keys(M.columns) };

describe('compile: identifiers quoted, literals bound', () => {
  test('quoteIdent doubles quotes', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('x; DROP TABLE y')).toBe('"x; DROP TABLE y"');
  });

  test.each(HOSTILE)('hostile literal %j is a parameter, never SQL text', s => {
    const r = resolve(
      {
        steps: [
          {
            op: 'filter',
            predicate: {
              kind: 'logical',
              op: '||',
              left: bin('==', col('name'), lit(s)),
              right: { kind: 'call', fn: 'startsWith', args: [col('name'), lit(s)] }
            } as never
          }
        ],
        groupby: { keys: ['kind'], values: { kind: [s, "it's"] } },
        aggregations: [{ op: 'count' }]
      },
      M
    );
    const q = compile(r, storage);
    expect(q.sql).not.toContain(s);
    expect(q.sql).not.toMatch(/DROP|--|\/\*|read_csv|'/);
    expect(q.params).toContain(s);
    // Every literal of the plan became a $n placeholder.
    expect(q.sql).toMatch(/"name" = \$1/);
  });

  test('hostile column names are rejected before any SQL (plan schema and metadata)', () => {
    for (const name of ['a"; DROP TABLE data; --', 'x y', "o'k", '__proto__', 'constructor']) {
      expect(() =>
        parsePlan({
          version: 1,
          dataset: 't',
          steps: [],
          budget: { epsilon: 1 },
          aggregations: [{ op: 'count', column: name }]
        })
      ).toThrow(LomasError);
    }
    expect(() => meta({ columns: { 'a"b': { type: 'int' } } })).toThrow();
  });

  test('numbers, bounds and categories are bound too', () => {
    const query = (aggregations: QueryPlan['aggregations']) =>
      resolve(
        {
          steps: [{ op: 'filter', predicate: bin('>', col('x'), lit(3.5)) }],
          groupby: { keys: ['kind'] },
          aggregations
        },
        M
      );
    // A histogram is the only aggregation of its query (a plan rule); the compiler itself lays out
    // any mix, so the three kinds are joined here to check one statement holds them all.
    const r = query([
      { op: 'sum', column: 'x', bounds: [1, 9] },
      { op: 'median', column: 'x' }
    ]);
    const h = query([{ op: 'histogram', column: 'kind' }]).aggregations[0];
    const mixed = {
      ...r,
      aggregations: [r.aggregations[0], { ...h, index: 1 }, { ...r.aggregations[1], index: 2 }]
    };
    const q = compile(mixed, storage);
    expect(q.sql).not.toMatch(/3\.5|\b9\b|DROP/);
    expect(q.params).toEqual(expect.arrayContaining([3.5, 1n, 9n]));
    expect(q.sql).toMatchInlineSnapshot(
      `"SELECT CAST("__k0" AS VARCHAR) AS "__k0", count(*) AS "__rows", count("__a0") AS "__n0", sum("__a0") AS "__s0", histogram("__a1") AS "__h1", count("__a2") AS "__n2", histogram("__a2", $7) AS "__h2", histogram_exact("__a2", $7) AS "__e2" FROM (SELECT "kind" AS "__k0", (CASE WHEN "x" IS NOT NULL THEN least(greatest("x", $2), $3) END) AS "__a0", list_position($4, CAST("kind" AS VARCHAR)) AS "__a1", (CASE WHEN (CASE WHEN isfinite(CAST("x" AS DOUBLE)) THEN CAST("x" AS DOUBLE) END) IS NOT NULL THEN least(greatest((CASE WHEN isfinite(CAST("x" AS DOUBLE)) THEN CAST("x" AS DOUBLE) END), $5), $6) END) AS "__a2" FROM (SELECT * FROM "data" AS t WHERE ("x" > $1)) AS t WHERE (CAST("kind" AS VARCHAR) IN (SELECT unnest($8)))) AS v GROUP BY "__k0""`
    );
  });

  test('hostile literals run harmlessly and the table survives', async () => {
    const rows = [
      { name: "'; DROP TABLE data; --", kind: '; DROP TABLE data; --', x: 1 },
      { name: 'plain', kind: "it's", x: 2 },
      { name: '"; DROP TABLE data; --', kind: 'a"b', x: 3 }
    ];
    const d = await loadRows(M, rows);
    try {
      for (const s of HOSTILE) {
        const r = resolve(
          {
            steps: [{ op: 'filter', predicate: bin('==', col('name'), lit(s)) }],
            groupby: { keys: ['kind'] },
            aggregations: [{ op: 'count' }]
          },
          M
        );
        const res = await execute(r, d);
        const total = res.groups.reduce((n, g) => n + g.rows, 0n);
        expect(total).toBe(BigInt(rows.filter(x => x.name === s).length));
        expect(res.groups.map(g => releaseValue(g.key[0]))).toEqual([
          "it's",
          'a"b',
          '; DROP TABLE data; --'
        ]);
      }
      const all = await execute(resolve({ aggregations: [{ op: 'count' }] }, M), d);
      expect(all.groups[0].rows).toBe(3n);
    } finally {
      d.close();
    }
  });
});
