import { checkPlan, parsePlan, type DatasetMetadata } from 'lomas-kernel/protocol';
import { compile, checkExactSums } from '../../src/query/compile';
import { TRINO, trinoLiteral, trinoStatement } from '../../src/query/dialect';

/** The Trino dialect's binding and the exact-sum range, without a Trino (unit tests). */
const META = {
  max_ids: 1,
  row_privacy: true,
  columns: {
    x: { type: 'float', lower: 0, upper: 10, nullable: true },
    n: { type: 'int', lower: -5, upper: 5, nullable: false },
    s: { type: 'string', categories: ["o'hara", 'b'], nullable: true }
  }
} as DatasetMetadata;

const checked = (parts: object) =>
  checkPlan(parsePlan({ version: 1, dataset: 'd', steps: [], budget: { epsilon: 1 }, ...parts }), {
    metadata: META
  });

describe('Trino literals (the values after USING)', () => {
  test.each([
    [{ value: 9007199254740993n, type: 'bigint' }, "BIGINT '9007199254740993'"],
    [{ value: -3, type: 'integer' }, "INTEGER '-3'"],
    [{ value: 0.1, type: 'double' }, "DOUBLE '0.1'"],
    [{ value: -0, type: 'double' }, "DOUBLE '-0'"],
    [{ value: 1e300, type: 'double' }, "DOUBLE '1e+300'"],
    [{ value: NaN, type: 'double' }, 'nan()'],
    [{ value: -Infinity, type: 'double' }, '-infinity()'],
    [{ value: true, type: 'boolean' }, 'true'],
    [{ value: "it's'; DROP TABLE t; --", type: 'varchar' }, "'it''s''; DROP TABLE t; --'"],
    [{ value: null, type: 'varchar' }, 'CAST(NULL AS VARCHAR)'],
    [
      { value: [1n, 2n], type: { list: 'bigint' } },
      "CAST(ARRAY[BIGINT '1', BIGINT '2'] AS ARRAY(BIGINT))"
    ],
    [{ value: [], type: { list: 'double' } }, 'CAST(ARRAY[] AS ARRAY(DOUBLE))']
  ] as const)('%j → %s', (p, expected) => {
    expect(trinoLiteral(p as never)).toBe(expected);
  });

  test('a value of the wrong type is refused, not spelled', () => {
    expect(() => trinoLiteral({ value: 1.5, type: 'bigint' })).toThrow(TypeError);
    expect(() => trinoLiteral({ value: '1', type: 'double' })).toThrow(TypeError);
  });
});

test('the statement: placeholders become ? in text order, values follow USING in that order', () => {
  const sql = `SELECT \u00002\u0000, \u00001\u0000, \u00002\u0000 FROM "t"`;
  expect(
    trinoStatement(sql, [
      { value: 'a', type: 'varchar' },
      { value: 7n, type: 'bigint' }
    ])
  ).toBe(`EXECUTE IMMEDIATE 'SELECT ?, ?, ? FROM "t"' USING BIGINT '7', 'a', BIGINT '7'`);
});

test('a compiled Trino plan carries no plan value in its text', () => {
  const plan = checked({
    steps: [
      {
        op: 'filter',
        predicate: {
          kind: 'binary',
          op: '==',
          left: { kind: 'col', name: 's' },
          right: { kind: 'lit', value: "o'hara" }
        }
      }
    ],
    groupby: { keys: ['s'] },
    aggregations: [{ op: 'mean', column: 'x' }]
  });
  const q = compile(plan, { table: 'data', columns: ['x', 'n', 's'] }, TRINO);
  const [text, using] = q.sql.split("' USING ");
  expect(text).not.toMatch(/hara|\b10\b/);
  expect(text).toContain('CAST(sum(CAST("__a0" AS DECIMAL(38,0))) AS VARCHAR)');
  expect(using).toContain("'o''hara'");
});

test('exact sums: a grid beyond ±2^31 is refused as INVALID_PLAN (the grid rule never makes one)', () => {
  const plan = checked({ aggregations: [{ op: 'sum', column: 'n' }] });
  expect(() => checkExactSums(plan)).not.toThrow();
  const a = plan.aggregations[0] as { grid: { lowerScaled: bigint; upperScaled: bigint } };
  a.grid = { ...a.grid, upperScaled: 2n ** 31n + 1n };
  expect(() => checkExactSums(plan)).toThrow(expect.objectContaining({ code: 'INVALID_PLAN' }));
});
