/**
 * Generators of hostile-but-well-formed cases for the red-team suite: random public metadata,
 * random private rows (out of bounds, NULL, NaN, extreme values), and random plans over every
 * aggregation, mechanism, accounting mode and budget form, with filters and derived columns that
 * use extreme literals (±2^63, ±1e308, NaN-producing operations, empty strings, far dates) and
 * integer keys beyond ±2^53.
 */
import fc from 'fast-check';

type Json = Record<string, unknown>;
export type Measure = 'pure' | 'approx' | 'zcdp';

export interface Case {
  accounting: Measure;
  metadata: Json & { max_ids: number; columns: Record<string, Json> };
  rows: Record<string, unknown>[];
  plan: Json & { aggregations: Json[]; groupby?: Json };
}

const col = (name: string) => ({ kind: 'col', name });
const lit = (value: unknown) => ({ kind: 'lit', value });
const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });
const call = (fn: string, ...args: unknown[]) => ({ kind: 'call', fn, args });

/** 2^53·2 + 3 and 2^53·2 + 2, built in exact integer arithmetic (plan literals are doubles). */
const BIG_A = bin('+', bin('*', lit(9007199254740991), lit(2)), lit(3));
const BIG_B = bin('+', bin('*', lit(9007199254740991), lit(2)), lit(2));

const EXTREME_NUMBERS = [2 ** 63, -(2 ** 63), 1e308, -1e308, 0, 5, 2 ** 53, -(2 ** 53), 0.1];

const intBounds = fc.constantFrom<[number, number]>(
  [0, 10],
  [-5, 5],
  [-(2 ** 53 - 1), 2 ** 53 - 1],
  [0, 1_000_000],
  [7, 7]
);
const floatBounds = fc.constantFrom<[number, number]>(
  [0, 1],
  [2000, 7000],
  [-1e300, 1e300],
  [-1e-300, 1e-300],
  [0, 0]
);
const categories = fc.constantFrom(['a', 'b'], ['a', 'b', '', 'é'], ['only']);

const metadata = fc
  .record({
    maxIds: fc.constantFrom(1, 1, 2, 3),
    ib: intBounds,
    fb: floatBounds,
    cats: categories,
    nullable: fc.boolean()
  })
  .map(({ maxIds, ib, fb, cats, nullable }) => ({
    max_ids: maxIds,
    row_privacy: maxIds === 1,
    ...(maxIds > 1 ? { privacy_id: 'pid' } : {}),
    columns: {
      x_int: { type: 'int', lower: ib[0], upper: ib[1], nullable },
      x_float: { type: 'float', lower: fb[0], upper: fb[1], nullable: true },
      cat: { type: 'string', categories: cats, nullable },
      flag: { type: 'boolean', nullable: false },
      g: { type: 'int', lower: 0, upper: 3, nullable: false },
      when: { type: 'datetime', lower: '2000-01-01', upper: '2030-12-31', nullable: true },
      pid: { type: 'int', nullable: true }
    }
  }));

function rowsFor(m: Case['metadata']): fc.Arbitrary<Record<string, unknown>[]> {
  const ib = [m.columns.x_int.lower, m.columns.x_int.upper] as [number, number];
  const cats = m.columns.cat.categories as string[];
  const row = fc.record({
    x_int: fc.oneof(
      fc.integer({ min: Math.max(ib[0], -1e6), max: Math.min(ib[1], 1e6) }),
      fc.constantFrom(-(2 ** 53 - 1), 2 ** 53 - 1, 0, -1),
      // the value the big-key attack splits on: frequent, so both keys occur
      { arbitrary: fc.constant(37), weight: 3 },
      fc.constant(null)
    ),
    x_float: fc.oneof(
      fc.double(),
      fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308, 5e-324, 2500, 0.5),
      fc.constant(null)
    ),
    cat: fc.constantFrom(...cats, 'zzz', null),
    flag: fc.boolean(),
    g: fc.integer({ min: -1, max: 5 }),
    when: fc.constantFrom('1999-01-01', '2020-05-05', '2030-12-31', null),
    pid: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(null))
  });
  return fc.array(row, { maxLength: 40 });
}

const predicate = fc.oneof(
  fc
    .record({
      op: fc.constantFrom('<', '<=', '>', '>=', '==', '!='),
      v: fc.constantFrom(...EXTREME_NUMBERS)
    })
    .map(({ op, v }) => bin(op, col('x_int'), lit(v))),
  fc.constantFrom(...EXTREME_NUMBERS).map(v => bin('<', col('x_float'), lit(v))),
  fc.constant(bin('==', col('cat'), lit(''))),
  fc.constant(bin('>', col('when'), lit('0001-01-01'))),
  fc.constant(bin('<', col('when'), lit('9999-12-31'))),
  fc.constant({ kind: 'unary', op: '!', arg: { kind: 'isnull', arg: col('x_float') } }),
  fc.constant(bin('>', call('log', col('x_float')), lit(0))),
  fc.constant(bin('==', bin('/', col('x_int'), lit(0)), lit(0))),
  fc.constant(bin('>=', call('sqrt', bin('-', lit(0), col('x_float'))), lit(0))),
  fc.constant(call('startsWith', col('cat'), lit(''))),
  fc.constant(bin('==', call('exp', col('x_float')), lit(1e308)))
);

/** The membership-oracle attack: a derived integer key beyond 2^53 that splits on one value. */
const DERIVE_KEY_VALUE = {
  op: 'derive',
  columns: {
    dk: { expr: { kind: 'cond', test: bin('==', col('x_int'), lit(37)), then: BIG_A, else: BIG_B } }
  }
};

/** Derived values with NaN / division-by-zero paths, clamped by declared bounds. */
const derive = fc.constantFrom<{ op: string; columns: Record<string, unknown> }>(
  {
    op: 'derive',
    columns: { dv: { expr: bin('/', col('x_float'), col('x_int')), lower: -100, upper: 100 } }
  },
  {
    op: 'derive',
    columns: {
      dv: { expr: call('log', col('x_float')), type: 'float', lower: -1e308, upper: 1e308 }
    }
  }
);

const budget = fc.oneof(
  fc.constantFrom('0.1', '1', '5').map(epsilon => ({ budget: { epsilon } })),
  fc
    .constantFrom('0.000001', '0.3')
    .map(delta => ({ budget: { epsilon: '1', delta }, mechanism: 'gaussian' })),
  fc.constantFrom('0.05', '0.5').map(rho => ({ budget: { rho }, mechanism: 'gaussian' })),
  // a generous ρ: little noise, low key thresholds, so discovered keys (big ones too) get released
  fc.constantFrom('0.5', '50').map(rho => ({ budget: { rho } })),
  fc.constantFrom(5, 50).map(halfWidth => ({ accuracy: { halfWidth } })),
  fc.constantFrom(5).map(halfWidth => ({ accuracy: { halfWidth }, mechanism: 'gaussian' }))
);

function aggregationFor(valueColumns: string[]): fc.Arbitrary<Json> {
  const valueColumn = fc.constantFrom(...valueColumns);
  return fc.oneof(
    budget.map(b => ({ op: 'count', ...b })),
    fc
      .record({
        op: fc.constantFrom('sum', 'mean', 'variance', 'stdev', 'median'),
        column: valueColumn,
        bounds: fc.option(fc.constantFrom([0, 1], [-1e300, 1e300], [0, 5000], [-5, 5]), {
          nil: undefined
        }),
        b: budget
      })
      .map(({ op, column, bounds, b }) => ({ op, column, ...(bounds ? { bounds } : {}), ...b })),
    fc
      .record({ column: valueColumn, q: fc.constantFrom(0.1, 0.9, 0.333), b: budget })
      .map(({ column, q, b }) => ({ op: 'quantile', column, q, ...b }))
  );
}

const histogram = fc
  .record({ column: fc.constantFrom('cat', 'flag', 'x_int', 'x_float'), b: budget })
  .map(({ column, b }) => ({
    op: 'histogram',
    column,
    ...(column === 'x_int' || column === 'x_float' ? { bins: [-1e300, 0, 1, 1e300] } : {}),
    ...b
  }));

/**
 * Plans that pass the schema in most cases: derived columns are used only once derived; key
 * discovery has one aggregation; a histogram is alone. (Refusals still happen: types, bounds,
 * accounting modes that cannot honour a budget form — those must be typed and free.)
 */
const plan = fc
  .record({
    filters: fc.array(predicate, { maxLength: 2 }),
    derives: fc.array(derive, { maxLength: 2 }),
    keyDerive: fc.boolean(),
    shape: fc.constantFrom(
      'plain',
      'plain',
      'public',
      'discover',
      'discover',
      'histogram',
      'attack'
    ),
    confidence: fc.constantFrom(undefined, 0.9, 0.99)
  })
  .chain(p => {
    const derives =
      p.keyDerive || p.shape === 'attack' ? [...p.derives, DERIVE_KEY_VALUE] : p.derives;
    const derived = new Set(derives.flatMap(d => Object.keys(d.columns)));
    const values = ['x_int', 'x_float', ...(derived.has('dv') ? ['dv'] : [])];
    const keysPublic = fc.constantFrom(
      { keys: ['g'] },
      { keys: ['cat'] },
      { keys: ['cat', 'flag'] }
    );
    const keysDiscover = fc.constantFrom(
      { keys: ['cat'], discover: { delta: '0.0000001' } },
      { keys: ['x_int'], discover: { delta: '0.001' } },
      ...(derived.has('dk')
        ? [
            { keys: ['dk'], discover: { delta: '0.0000001' } },
            { keys: ['dk'], discover: { delta: '0.001' } }
          ]
        : [])
    );
    // The review's membership oracle, with little noise so both big keys can be released.
    if (p.shape === 'attack')
      return fc.constant<Case['plan']>({
        version: 1,
        dataset: 'redteam',
        steps: derives,
        groupby: { keys: ['dk'], discover: { delta: '0.0000001' } },
        aggregations: [{ op: 'count', budget: { rho: '50' }, as: 'a0' }]
      });
    const aggs: fc.Arbitrary<Json[]> =
      p.shape === 'histogram'
        ? histogram.map(h => [h])
        : p.shape === 'discover'
          ? aggregationFor(values).map(a => [a])
          : fc.array(aggregationFor(values), { minLength: 1, maxLength: 3 });
    const groupby: fc.Arbitrary<Json | undefined> =
      p.shape === 'discover'
        ? keysDiscover
        : p.shape === 'public'
          ? keysPublic
          : p.shape === 'histogram'
            ? fc.constantFrom(undefined, { keys: ['g'] })
            : fc.constant(undefined);
    return fc.record({ aggregations: aggs, groupby }).map(({ aggregations, groupby }) => {
      const out: Case['plan'] = {
        version: 1,
        dataset: 'redteam',
        steps: [...derives, ...p.filters.map(predicate => ({ op: 'filter', predicate }))],
        aggregations: aggregations.map((a, i) => ({ ...a, as: `a${i}` }))
      };
      if (groupby) out.groupby = groupby;
      if (p.confidence !== undefined) out.confidence = p.confidence;
      return out;
    });
  });

export const cases: fc.Arbitrary<Case> = metadata.chain(m =>
  fc.record({
    accounting: fc.constantFrom<Measure>('pure', 'approx', 'zcdp'),
    metadata: fc.constant(m),
    rows: rowsFor(m),
    plan
  })
);
