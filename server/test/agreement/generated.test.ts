/**
 * Agreement, generated: fast-check writes plans over the penguins columns (known and unknown
 * names, every aggregation, budget form, mechanism, accuracy target, group-by mode, derived
 * columns with declared types and bounds, filters of every expression kind, and mistakes of every
 * sort), and each goes through the builder and the server on the dataset in every accounting mode.
 *
 * The property: (1) both accept or both refuse; (2) for a plan the schema accepts, both give the
 * same code and the same message; (3) a plan both accept is written by the builder exactly as it
 * is. For a plan the schema refuses, the server names the schema problem while the builder, which
 * checks each verb as it is written, may name an earlier rule first; both refuse.
 *
 * Seeded (SEED below, or LOMAS_AGREEMENT_SEED); fast-check prints the seed and the shrunk
 * counterexample on failure.
 */
import fc from 'fast-check';
import { DATASETS, builderVerdict, schemaValid, serverVerdict, type Verdict } from './sides';

const SEED = Number(process.env.LOMAS_AGREEMENT_SEED ?? 20261130);
const RUNS = Number(process.env.LOMAS_AGREEMENT_RUNS ?? 600);

/** `arb` with probability p, else absent. */
const maybe = <T>(arb: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | undefined> =>
  fc.oneof(
    { weight: Math.round((1 - p) * 100), arbitrary: fc.constant(undefined) },
    { weight: Math.round(p * 100), arbitrary: arb }
  );
/** Mostly `good`, sometimes `bad`. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, p = 0.95): fc.Arbitrary<T> =>
  fc.oneof(
    { weight: Math.round(p * 100), arbitrary: good },
    { weight: Math.round((1 - p) * 100), arbitrary: bad }
  );
/** The object without its absent fields. */
const defined = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const COLUMNS = [
  'species',
  'island',
  'sex',
  'bill_length_mm',
  'bill_depth_mm',
  'flipper_length_mm',
  'body_mass_g'
];
const known = fc.constantFrom(...COLUMNS);
const name = mostly(known, fc.constantFrom('wingspan', 'd', 'k', 'x"y', '__proto__'));
const numeric = mostly(
  fc.constantFrom('bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'd'),
  name,
  0.9
);
const number = fc.oneof(
  fc.constantFrom(0, 1, -1, 2.5, 40, 170, 3000, 1e308, -1e308),
  fc.double({ min: -1e4, max: 1e4, noNaN: true })
);
const literal = fc.oneof(
  number,
  fc.constantFrom('Adelie', 'Biscoe', 'MALE', '', '2001-01-01'),
  fc.boolean(),
  fc.constant(null)
);
const FUNCTIONS = [
  'abs',
  'round',
  'floor',
  'log',
  'sqrt',
  'min',
  'max',
  'lower',
  'length',
  'year',
  'startsWith'
];

const expr: fc.Arbitrary<unknown> = fc.letrec<{ e: unknown }>(tie => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('col'), name }),
    fc.record({ kind: fc.constant('lit'), value: literal }),
    fc.record({ kind: fc.constant('unary'), op: fc.constantFrom('-', '!'), arg: tie('e') }),
    fc.record({
      kind: fc.constant('binary'),
      op: fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '>=', '>'),
      left: tie('e'),
      right: tie('e')
    }),
    fc.record({
      kind: fc.constant('logical'),
      op: fc.constantFrom('&&', '||'),
      left: tie('e'),
      right: tie('e')
    }),
    fc.record({ kind: fc.constant('cond'), test: tie('e'), then: tie('e'), else: tie('e') }),
    fc.record({ kind: fc.constant('isnull'), arg: tie('e') }),
    fc.record({
      kind: fc.constant('call'),
      fn: fc.constantFrom(...FUNCTIONS),
      args: fc.array(tie('e'), { minLength: 1, maxLength: 2 })
    })
  )
})).e;

/** A comparison of a column with a literal: the filters analysts mostly write. */
const simpleFilter = fc
  .record({ c: name, op: fc.constantFrom('>', '==', '!=', '<='), v: literal })
  .map(({ c, op, v }) => ({
    kind: 'binary',
    op,
    left: { kind: 'col', name: c },
    right: { kind: 'lit', value: v }
  }));

const bounds = mostly(
  fc.oneof(
    fc.constantFrom<[number, number]>([0, 10], [2000, 7000], [30, 60], [-1e200, 1e200]),
    fc.tuple(number, number).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number])
  ),
  fc.constant<[number, number]>([5, 1])
);

const derived = fc
  .record({
    expr: fc.oneof(expr, simpleFilter),
    type: maybe(fc.constantFrom('int', 'float', 'string', 'boolean'), 0.3),
    lower: maybe(number, 0.3),
    upper: maybe(number, 0.3),
    categories: maybe(fc.constantFrom(['a', 'b'], ['Adelie']), 0.15)
  })
  .map(defined);

const step = fc.oneof(
  fc.record({ op: fc.constant('filter'), predicate: mostly(simpleFilter, expr, 0.7) }),
  fc.record({
    op: fc.constant('select'),
    columns: fc.uniqueArray(name, { minLength: 1, maxLength: 4 })
  }),
  fc.record({
    op: fc.constant('derive'),
    columns: fc.dictionary(fc.constantFrom('d', 'k', 'body_mass_g', 'x'), derived, {
      minKeys: 1,
      maxKeys: 2
    })
  })
);

const amount = mostly<string | number>(
  fc.oneof(
    fc.constantFrom(1, 0.5, '0.25', '1e-3', 2),
    fc.double({ min: 0.01, max: 10, noNaN: true })
  ),
  fc.constantFrom(0, '0', '1e1000', -1, 'abc')
);
const delta = mostly<string | number>(
  fc.constantFrom(1e-6, '0.00001', '1e-9'),
  fc.constantFrom(0, 0.5, 1)
);
const budget = fc.oneof(
  { weight: 12, arbitrary: fc.record({ epsilon: amount }) },
  { weight: 4, arbitrary: fc.record({ epsilon: amount, delta }) },
  { weight: 4, arbitrary: fc.record({ rho: amount }) },
  { weight: 1, arbitrary: fc.record({ epsilon: amount, rho: amount }) }
);

const OPS = [
  'count',
  'sum',
  'mean',
  'variance',
  'stdev',
  'quantile',
  'median',
  'histogram'
] as const;
const BOUNDED = new Set(['sum', 'mean', 'variance', 'stdev', 'quantile', 'median']);

const aggregation = fc.constantFrom(...OPS).chain(op =>
  fc
    .record({
      column:
        op === 'count'
          ? maybe(name, 0.3)
          : mostly(op === 'histogram' ? name : numeric, fc.constant(undefined), 0.98),
      bounds: maybe(bounds, BOUNDED.has(op) ? 0.6 : 0.02),
      q:
        op === 'quantile'
          ? mostly(fc.constantFrom(0.5, 0.25, 0.9), fc.constantFrom(1.5, undefined))
          : maybe(fc.constant(0.5), 0.02),
      bins: maybe(
        mostly<number[]>(
          fc.constantFrom([0, 10, 20], [170, 200, 235], [2000, 4000, 6500]),
          fc.constant([3, 1])
        ),
        op === 'histogram' ? 0.5 : 0.02
      ),
      noise: fc.oneof(
        { weight: 7, arbitrary: budget.map(b => ({ budget: b })) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(1, 50, 0.001).map(h => ({ accuracy: { halfWidth: h } }))
        },
        { weight: 1, arbitrary: fc.constant({}) }
      ),
      mechanism: maybe(fc.constantFrom('laplace', 'gaussian'), 0.3)
    })
    .map(({ noise, ...a }) => defined({ op, ...a, ...noise }))
);

const groupby = fc
  .record({
    keys: fc.uniqueArray(
      mostly(fc.constantFrom('species', 'island', 'sex', 'flipper_length_mm'), name, 0.85),
      { minLength: 1, maxLength: 2 }
    ),
    values: maybe(
      fc.constantFrom(['Adelie', 'Gentoo'], ['MALE', null], [170, 171], ['Biscoe']),
      0.3
    ),
    discover: maybe(fc.record({ delta }), 0.2)
  })
  .map(({ keys, values, discover }) =>
    defined({ keys, values: values ? { [keys[0]]: values } : undefined, discover })
  );

const plan = fc
  .record({
    version: mostly(fc.constant(1), fc.constant(2), 0.97),
    dataset: mostly(fc.constant('penguins'), fc.constant('cars'), 0.95),
    steps: fc.array(step, { maxLength: 2 }),
    groupby: maybe(groupby, 0.4),
    aggregations: mostly(
      fc.array(aggregation, { minLength: 1, maxLength: 1 }),
      fc.array(aggregation, { minLength: 1, maxLength: 3 }),
      0.7
    ),
    budget: maybe(budget, 0.3),
    confidence: maybe(mostly(fc.constantFrom(0.95, 0.9), fc.constant(1.2)), 0.2),
    names: fc.boolean()
  })
  .map(({ names, aggregations, ...p }) =>
    defined({
      ...p,
      // Distinct output names, except now and then.
      aggregations: names ? aggregations.map((a, i) => ({ ...a, as: `a${i}` })) : aggregations
    })
  );

const shown = (v: Verdict) => (v.ok ? 'accepted' : v.code);
const tally = new Map<string, number>();
const dbg: string[] = [];

afterAll(() => {
  if (process.env.AGREEMENT_DEBUG) {
    const m = new Map<string, number>();
    for (const d of dbg) m.set(d, (m.get(d) ?? 0) + 1);
    console.log(
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 40)
        .map(([k, n]) => `${n} ${k}`)
        .join('\n')
    );
  }
  const counts = [...tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
  console.log(
    `agreement: seed ${SEED}, ${RUNS} plans × ${Object.keys(DATASETS).length} modes: ${counts.join(', ')}`
  );
});

test(`${RUNS} generated plans: the builder and the server give the same verdict`, async () => {
  await fc.assert(
    fc.asyncProperty(plan, fc.constantFrom(...Object.keys(DATASETS)), async (generated, mode) => {
      // As it travels: JSON (no -0, no undefined).
      const p = JSON.parse(JSON.stringify(generated)) as unknown;
      const server = await serverVerdict(p, mode);
      const builder = builderVerdict(p, mode);
      const key = `${shown(server)}${schemaValid(p) ? '' : ' (schema)'}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      if (process.env.AGREEMENT_DEBUG && !server.ok)
        dbg.push(server.message.replace(/[0-9.e+-]+/g, '#').slice(0, 110));
      expect(builder.ok).toBe(server.ok);
      if (!builder.ok && !server.ok && schemaValid(p)) {
        expect(builder.code).toBe(server.code);
        expect(builder.message).toBe(server.message);
      }
      if (builder.ok) expect(builder.plan).toEqual(p);
    }),
    { seed: SEED, numRuns: RUNS }
  );
  // The generator must reach past the schema, into the rules and the accepted plans.
  const accepted = tally.get('accepted') ?? 0;
  const ruled = [...tally].filter(([k]) => k !== 'accepted' && !k.endsWith('(schema)'));
  expect(accepted).toBeGreaterThan(RUNS / 20);
  expect(ruled.length).toBeGreaterThanOrEqual(4);
}, 120000);
