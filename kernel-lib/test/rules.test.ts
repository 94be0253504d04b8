import {
  DatasetMetadata,
  LomasError,
  checkPlan,
  gridFor,
  parsePlan,
  quantileCandidates,
  type CheckedPlan,
  type QueryPlan
} from '../src/protocol';

/** The plan rules (protocol/rules), as the builder and the server run them. */

const meta = (m: unknown) => DatasetMetadata.parse(m);
const col = (name: string) => ({ kind: 'col' as const, name });
const lit = (value: string | number | boolean | null) => ({ kind: 'lit' as const, value });
const bin = (op: string, left: unknown, right: unknown) =>
  ({ kind: 'binary', op, left, right }) as never;

function resolve(
  p: Partial<QueryPlan> & { aggregations: QueryPlan['aggregations'] },
  metadata: DatasetMetadata
): CheckedPlan {
  const plan = parsePlan({ version: 1, dataset: 'test', steps: [], budget: { epsilon: 1 }, ...p });
  return checkPlan(plan, { metadata });
}

const M = meta({
  columns: {
    species: { type: 'string', categories: ['Adelie', 'Chinstrap', 'Gentoo'] },
    island: { type: 'string' },
    mass: { type: 'int', lower: 2500, upper: 6500, nullable: true },
    bill: { type: 'float', lower: 30, upper: 60 },
    free: { type: 'float' },
    adult: { type: 'boolean' },
    age: { type: 'int', lower: 0, upper: 30 },
    when: { type: 'datetime', lower: '2001-01-01', upper: '2003-12-31' }
  }
});

function err(f: () => unknown): LomasError {
  try {
    f();
  } catch (e) {
    if (e instanceof LomasError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('checkPlan', () => {
  test('unknown column lists the known ones', () => {
    const e = err(() => resolve({ aggregations: [{ op: 'mean', column: 'weight' }] }, M));
    expect(e.code).toBe('UNKNOWN_COLUMN');
    expect(e.message).toContain('species, island, mass');
  });

  test('type mismatches', () => {
    expect(err(() => resolve({ aggregations: [{ op: 'mean', column: 'species' }] }, M)).code).toBe(
      'TYPE_MISMATCH'
    );
    expect(
      err(() =>
        resolve(
          {
            steps: [{ op: 'filter', predicate: bin('>', col('species'), lit(3)) }],
            aggregations: [{ op: 'count' }]
          },
          M
        )
      ).code
    ).toBe('TYPE_MISMATCH');
    expect(
      err(() =>
        resolve(
          { steps: [{ op: 'filter', predicate: col('mass') }], aggregations: [{ op: 'count' }] },
          M
        )
      ).code
    ).toBe('TYPE_MISMATCH');
    expect(
      err(() => resolve({ groupby: { keys: ['bill'] }, aggregations: [{ op: 'count' }] }, M))
        .message
    ).toContain('floor(bill / 10)');
  });

  test('sum without bounds is a privacy rule with why and fix', () => {
    const e = err(() => resolve({ aggregations: [{ op: 'sum', column: 'free' }] }, M));
    expect(e.code).toBe('PRIVACY_RULE');
    expect(e.details.rule).toBe('bounded-contribution');
    expect(e.message).toMatch(/one person could move the result without limit/);
    expect(e.message).toContain('{ bounds: [0, 100] }');
    // explicit bounds fix it
    const r = resolve({ aggregations: [{ op: 'sum', column: 'free', bounds: [0, 10] }] }, M);
    expect(r.aggregations[0]).toMatchObject({ bounds: [0, 10] });
  });

  test("an aggregation's bounds override the column's public bounds, wider or narrower", () => {
    const at = (bounds: [number, number]) =>
      resolve({ aggregations: [{ op: 'mean', column: 'mass', bounds }] }, M).aggregations[0];
    expect(at([2000, 5000])).toMatchObject({ bounds: [2000, 5000], grid: { exponent: 0 } });
    expect(at([7000, 8000])).toMatchObject({ bounds: [7000, 8000] });
    expect(at([3000, 4000])).toMatchObject({ bounds: [3000, 4000] });
    // Without them, the metadata's.
    expect(
      resolve({ aggregations: [{ op: 'mean', column: 'mass' }] }, M).aggregations[0]
    ).toMatchObject({ bounds: [2500, 6500] });
  });

  test('group keys must be public or discovered', () => {
    const e = err(() =>
      resolve({ groupby: { keys: ['island'] }, aggregations: [{ op: 'count' }] }, M)
    );
    expect(e.code).toBe('PRIVACY_RULE');
    expect(e.details.rule).toBe('public-group-keys');
    const d = resolve(
      {
        groupby: { keys: ['island'], discover: { delta: '0.000001' } },
        aggregations: [{ op: 'count' }]
      },
      M
    );
    expect(d.groupBy).toMatchObject({ mode: 'discover' });
    const x = resolve(
      {
        groupby: { keys: ['island'], values: { island: ['Biscoe', 'Dream'] } },
        aggregations: [{ op: 'count' }]
      },
      M
    );
    expect(x.groupBy).toMatchObject({ mode: 'public', values: [['Biscoe', 'Dream']] });
    const p = resolve(
      { groupby: { keys: ['species', 'adult', 'age'] }, aggregations: [{ op: 'count' }] },
      M
    );
    expect(p.groupCount).toBe(3 * 2 * 31);
  });

  test('group limit: 10,000 groups', () => {
    const big = meta({
      columns: { a: { type: 'int', lower: 0, upper: 999 }, b: { type: 'int', lower: 0, upper: 99 } }
    });
    expect(
      err(() => resolve({ groupby: { keys: ['a', 'b'] }, aggregations: [{ op: 'count' }] }, big))
        .code
    ).toBe('INVALID_PLAN');
  });

  test('derived columns get fresh bounds by interval arithmetic (never stale ones)', () => {
    const r = resolve(
      {
        steps: [
          { op: 'derive', columns: { kg: { expr: bin('/', col('mass'), lit(1000)) } } },
          { op: 'derive', columns: { mass: { expr: bin('*', col('mass'), lit(2)) } } },
          {
            op: 'derive',
            columns: {
              decade: {
                expr: { kind: 'call', fn: 'floor', args: [bin('/', col('age'), lit(10))] } as never
              }
            }
          },
          {
            op: 'derive',
            columns: { yr: { expr: { kind: 'call', fn: 'year', args: [col('when')] } as never } }
          }
        ],
        groupby: { keys: ['decade', 'yr'] },
        aggregations: [
          { op: 'mean', column: 'kg' },
          { op: 'sum', column: 'mass' }
        ]
      },
      M
    );
    expect(r.aggregations[0]).toMatchObject({ bounds: [2.5, 6.5] });
    expect(r.aggregations[1]).toMatchObject({ bounds: [5000, 13000] });
    expect(r.groupBy).toMatchObject({
      values: [
        [0, 1, 2, 3],
        [2001, 2002, 2003]
      ]
    });
  });

  test('a derived column from an unbounded one has no bounds', () => {
    const e = err(() =>
      resolve(
        {
          steps: [{ op: 'derive', columns: { y: { expr: bin('+', col('free'), lit(1)) } } }],
          aggregations: [{ op: 'sum', column: 'y' }]
        },
        M
      )
    );
    expect(e.details.rule).toBe('bounded-contribution');
    // declared bounds are enforced (clamped) and used
    const r = resolve(
      {
        steps: [
          {
            op: 'derive',
            columns: { y: { expr: bin('+', col('free'), lit(1)), lower: 0, upper: 5 } }
          }
        ],
        aggregations: [{ op: 'sum', column: 'y' }]
      },
      M
    );
    expect(r.aggregations[0]).toMatchObject({ bounds: [0, 5] });
  });

  test('division by an interval containing zero has no bounds', () => {
    const e = err(() =>
      resolve(
        {
          steps: [{ op: 'derive', columns: { y: { expr: bin('/', col('bill'), col('age')) } } }],
          aggregations: [{ op: 'sum', column: 'y' }]
        },
        M
      )
    );
    expect(e.details.rule).toBe('bounded-contribution');
  });

  test('histograms: categorical needs public categories, numeric needs bins', () => {
    expect(
      resolve({ aggregations: [{ op: 'histogram', column: 'species' }] }, M).aggregations[0]
    ).toMatchObject({ categories: ['Adelie', 'Chinstrap', 'Gentoo'] });
    expect(
      err(() => resolve({ aggregations: [{ op: 'histogram', column: 'island' }] }, M)).details.rule
    ).toBe('public-categories');
    expect(
      err(() => resolve({ aggregations: [{ op: 'histogram', column: 'bill' }] }, M)).code
    ).toBe('INVALID_PLAN');
  });

  test('datetime comparisons take ISO literals', () => {
    expect(() =>
      resolve(
        {
          steps: [{ op: 'filter', predicate: bin('>=', col('when'), lit('2002-01-01')) }],
          aggregations: [{ op: 'count' }]
        },
        M
      )
    ).not.toThrow();
    expect(
      err(() =>
        resolve(
          {
            steps: [{ op: 'filter', predicate: bin('>=', col('when'), lit('tomorrow')) }],
            aggregations: [{ op: 'count' }]
          },
          M
        )
      ).code
    ).toBe('TYPE_MISMATCH');
  });
});

describe('fixed-point grid and candidates', () => {
  test('integers with small integer bounds are summed as they are', () => {
    expect(gridFor([2500, 6500], 'int')).toEqual({
      exponent: 0,
      lowerScaled: 2500n,
      upperScaled: 6500n
    });
  });
  test('floats use the finest grid with |n| ≤ 2^31', () => {
    const g = gridFor([30, 60], 'float');
    expect(g.exponent).toBe(6 - 31);
    expect(60 * 2 ** -g.exponent).toBeLessThanOrEqual(2 ** 31);
    expect(g.upperScaled).toBe(BigInt(60 * 2 ** 25));
    for (const b of [
      [0, 1],
      [-1e12, 5],
      [0, 2 ** 31],
      [-3.3e-7, 1e-9]
    ] as [number, number][]) {
      const gg = gridFor(b, 'float');
      expect(Math.max(Math.abs(b[0]), Math.abs(b[1])) * 2 ** -gg.exponent).toBeLessThanOrEqual(
        2 ** 31
      );
      expect(Math.max(Math.abs(b[0]), Math.abs(b[1])) * 2 ** -(gg.exponent - 1)).toBeGreaterThan(
        2 ** 31
      );
    }
  });
  test('quantile candidates depend on bounds only and increase strictly', () => {
    expect(quantileCandidates([0, 10], 'int')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const c = quantileCandidates([30, 60], 'float');
    expect(c[0]).toBe(30);
    expect(c[c.length - 1]).toBe(60);
    expect(c.length).toBeLessThanOrEqual(256);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeGreaterThan(c[i - 1]);
  });
});

describe('grids and candidates for extreme bounds (found by the agreement property test)', () => {
  const extreme: Array<[number, number]> = [
    [-1.5e-323, 0],
    [0, 5e-324],
    [-1e-300, 1e-300],
    [1, 1.0000000000000002],
    [1e300, 1e300 * (1 + 1e-15)],
    [-Number.MAX_VALUE, Number.MAX_VALUE],
    [1e17, 1e17 + 1000]
  ];
  test.each(extreme)(
    '[%p, %p]: quantile candidates come quickly, strictly increasing, from L to U',
    (L, U) => {
      // Before: subnormal or few-ulp ranges looped forever (a hang of the server before any charge).
      const c = quantileCandidates([L, U], 'float');
      expect(c[0]).toBe(L);
      expect(c[c.length - 1]).toBe(U);
      for (let i = 1; i < c.length; i++) expect(c[i]).toBeGreaterThan(c[i - 1]);
      expect(c.length).toBeLessThanOrEqual(256);
    }
  );
  test.each(extreme)('[%p, %p]: the fixed-point scale 2^-exponent is a finite double', (L, U) => {
    // The SQL multiplies by this scale: it must never overflow to Infinity.
    const g = gridFor([L, U], 'float');
    expect(Number.isFinite(2 ** -g.exponent)).toBe(true);
    const M = Math.max(Math.abs(L), Math.abs(U));
    expect(M * 2 ** -g.exponent).toBeLessThanOrEqual(2 ** 31);
  });
});
