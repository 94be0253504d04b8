import { inspect } from 'node:util';
import { LomasError, parsePlan, type QueryPlan } from '../src/protocol';
import {
  agg,
  op,
  QueryBuilder,
  SendableQuery,
  type QueryMetadata,
  type QueryRunner
} from '../src/query';

const penguins: QueryMetadata = {
  columns: {
    species: { type: 'string', categories: ['Adelie', 'Chinstrap', 'Gentoo'] },
    island: { type: 'string', categories: ['Biscoe', 'Dream', 'Torgersen'] },
    sex: { type: 'string', nullable: true },
    bill_length_mm: { type: 'float', lower: 30, upper: 60 },
    bill_depth_mm: { type: 'float' },
    flipper_length_mm: { type: 'int', lower: 170, upper: 235 },
    body_mass_g: { type: 'int' },
    year: { type: 'int', lower: 2007, upper: 2009 },
    tagged: { type: 'boolean' },
    seen: { type: 'datetime' }
  }
};

function fail(fn: () => unknown): LomasError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LomasError);
    return e as LomasError;
  }
  throw new Error('expected a LomasError');
}

function recorder() {
  const calls: Array<{ method: string; plan: QueryPlan; opts?: unknown }> = [];
  const runner: QueryRunner<{ kind: 'estimate' }, { kind: 'release'; n: number }> = {
    estimate: async plan => (calls.push({ method: 'estimate', plan }), { kind: 'estimate' }),
    dummy: async plan => (calls.push({ method: 'dummy', plan }), { kind: 'release', n: 0 }),
    run: async (plan, opts) => (
      calls.push({ method: 'run', plan, opts }),
      { kind: 'release', n: 1 }
    )
  };
  return { calls, runner };
}

const q = () => new QueryBuilder('penguins');

describe('query builder → plan', () => {
  it('builds the DESIGN example', () => {
    const s = q()
      .filter(d => d.island === 'Biscoe' && d.body_mass_g > 3000)
      .groupby('species')
      .mean('body_mass_g', { epsilon: 0.5, bounds: [2000, 7000] });
    expect(s).toBeInstanceOf(SendableQuery);
    expect(s.plan).toEqual({
      version: 1,
      dataset: 'penguins',
      steps: [
        {
          op: 'filter',
          predicate: {
            kind: 'logical',
            op: '&&',
            left: {
              kind: 'binary',
              op: '==',
              left: { kind: 'col', name: 'island' },
              right: { kind: 'lit', value: 'Biscoe' }
            },
            right: {
              kind: 'binary',
              op: '>',
              left: { kind: 'col', name: 'body_mass_g' },
              right: { kind: 'lit', value: 3000 }
            }
          }
        }
      ],
      groupby: { keys: ['species'] },
      aggregations: [
        { op: 'mean', column: 'body_mass_g', bounds: [2000, 7000], budget: { epsilon: 0.5 } }
      ]
    });
    expect(parsePlan(JSON.parse(JSON.stringify(s)))).toEqual(s.plan);
  });

  it('filter: functions, params, sources and Expr trees; chained filters stay separate steps', () => {
    const s = q()
      .filter((d, $) => d.body_mass_g > $.min, { min: 3000 })
      .filter('d => d.sex != null')
      .filter({
        kind: 'call',
        fn: 'startsWith',
        args: [
          { kind: 'col', name: 'species' },
          { kind: 'lit', value: 'A' }
        ]
      })
      .filter(d => op.length(d.species) > 3)
      .count({ epsilon: 1 });
    expect(s.plan.steps.map(st => st.op)).toEqual(['filter', 'filter', 'filter', 'filter']);
    expect(s.plan.steps[0]).toEqual({
      op: 'filter',
      predicate: {
        kind: 'binary',
        op: '>',
        left: { kind: 'col', name: 'body_mass_g' },
        right: { kind: 'lit', value: 3000 }
      }
    });
    expect(s.plan.steps[1]).toEqual({
      op: 'filter',
      predicate: {
        kind: 'unary',
        op: '!',
        arg: { kind: 'isnull', arg: { kind: 'col', name: 'sex' } }
      }
    });
    expect(s.plan.steps[3]).toMatchObject({ predicate: { left: { kind: 'call', fn: 'length' } } });
  });

  it('select: rest arguments or arrays, deduplicated', () => {
    expect(q().select('species', ['island', 'species']).count({ epsilon: 1 }).plan.steps).toEqual([
      { op: 'select', columns: ['species', 'island'] }
    ]);
  });

  it('derive: functions, specs with bounds, params', () => {
    const s = q()
      .derive(
        {
          kg: { expr: d => d.body_mass_g / 1000, type: 'float', lower: 2, upper: 7 },
          heavy: (d, $) => d.body_mass_g > $.limit,
          label: {
            expr: d => (d.sex == null ? 'unknown' : d.sex),
            type: 'string',
            categories: ['MALE', 'FEMALE', 'unknown']
          }
        },
        { params: { limit: 5000 } }
      )
      .sum('kg', { epsilon: 0.3 });
    expect(s.plan.steps).toEqual([
      {
        op: 'derive',
        columns: {
          kg: {
            expr: {
              kind: 'binary',
              op: '/',
              left: { kind: 'col', name: 'body_mass_g' },
              right: { kind: 'lit', value: 1000 }
            },
            type: 'float',
            lower: 2,
            upper: 7
          },
          heavy: {
            expr: {
              kind: 'binary',
              op: '>',
              left: { kind: 'col', name: 'body_mass_g' },
              right: { kind: 'lit', value: 5000 }
            }
          },
          label: {
            expr: {
              kind: 'cond',
              test: { kind: 'isnull', arg: { kind: 'col', name: 'sex' } },
              then: { kind: 'lit', value: 'unknown' },
              else: { kind: 'col', name: 'sex' }
            },
            type: 'string',
            categories: ['MALE', 'FEMALE', 'unknown']
          }
        }
      }
    ]);
    expect(s.plan.aggregations).toEqual([{ op: 'sum', column: 'kg', budget: { epsilon: 0.3 } }]);
  });

  it('groupby: one key or many, explicit values (object or list), private discovery', () => {
    expect(q().groupby('species').count({ epsilon: 1 }).plan.groupby).toEqual({
      keys: ['species']
    });
    expect(q().groupby(['species', 'sex']).count({ epsilon: 1 }).plan.groupby).toEqual({
      keys: ['species', 'sex']
    });
    expect(
      q()
        .groupby('island', { values: ['Biscoe', 'Dream'] })
        .count({ epsilon: 1 }).plan.groupby
    ).toEqual({
      keys: ['island'],
      values: { island: ['Biscoe', 'Dream'] }
    });
    expect(
      q()
        .groupby(['island', 'sex'], { values: { sex: ['MALE', 'FEMALE', null] } })
        .count({ epsilon: 1 }).plan.groupby
    ).toEqual({ keys: ['island', 'sex'], values: { sex: ['MALE', 'FEMALE', null] } });
    expect(
      q()
        .groupby('island', { discover: { delta: '0.00001' } })
        .count({ epsilon: 1 }).plan.groupby
    ).toEqual({
      keys: ['island'],
      discover: { delta: '0.00001' }
    });
  });

  it('every aggregation, with budget, accuracy, confidence, name and mechanism', () => {
    const b = q().groupby('species');
    const one = (s: SendableQuery<unknown, unknown>) => s.plan.aggregations[0];
    expect(one(b.count({ epsilon: '0.1', as: 'n' }))).toEqual({
      op: 'count',
      as: 'n',
      budget: { epsilon: '0.1' }
    });
    expect(
      one(b.sum('body_mass_g', { bounds: [2000, 7000], rho: 0.01, mechanism: 'gaussian' }))
    ).toEqual({
      op: 'sum',
      column: 'body_mass_g',
      bounds: [2000, 7000],
      budget: { rho: 0.01 },
      mechanism: 'gaussian'
    });
    expect(
      one(b.mean('body_mass_g', { bounds: [2000, 7000], accuracy: 50, confidence: 0.9 }))
    ).toEqual({
      op: 'mean',
      column: 'body_mass_g',
      bounds: [2000, 7000],
      accuracy: { halfWidth: 50, confidence: 0.9 }
    });
    expect(
      one(b.variance('bill_length_mm', { bounds: [30, 60], accuracy: { halfWidth: 2 } }))
    ).toEqual({
      op: 'variance',
      column: 'bill_length_mm',
      bounds: [30, 60],
      accuracy: { halfWidth: 2 }
    });
    expect(
      one(b.stdev('bill_length_mm', { bounds: [30, 60], epsilon: 1, delta: '0.000001' }))
    ).toEqual({
      op: 'stdev',
      column: 'bill_length_mm',
      bounds: [30, 60],
      budget: { epsilon: 1, delta: '0.000001' }
    });
    expect(
      one(b.quantile('bill_length_mm', 0.25, { bounds: [30, 60], epsilon: 1, as: 'q1' }))
    ).toEqual({
      op: 'quantile',
      column: 'bill_length_mm',
      as: 'q1',
      bounds: [30, 60],
      q: 0.25,
      budget: { epsilon: 1 }
    });
    expect(one(b.median('bill_length_mm', { bounds: [30, 60], epsilon: 1 }))).toEqual({
      op: 'median',
      column: 'bill_length_mm',
      bounds: [30, 60],
      budget: { epsilon: 1 }
    });
    expect(one(b.histogram('body_mass_g', { bins: [2000, 4000, 6000], epsilon: 1 }))).toEqual({
      op: 'histogram',
      column: 'body_mass_g',
      bins: [2000, 4000, 6000],
      budget: { epsilon: 1 }
    });
    const c = b.count({ epsilon: 1, confidence: 0.99 });
    expect(c.plan.confidence).toBe(0.99);
    expect(c.plan.aggregations[0]).toEqual({ op: 'count', budget: { epsilon: 1 } });
  });

  it('aggregates without grouping', () => {
    const s = q().sum('body_mass_g', { bounds: [2000, 7000], epsilon: 1 });
    expect(s.plan.groupby).toBeUndefined();
    expect(s.plan.steps).toEqual([]);
  });

  it('several aggregations in one query share its budget', () => {
    const s = q()
      .groupby('species')
      .agg(
        a => [
          a.count(),
          a.mean('body_mass_g', { bounds: [2000, 7000] }),
          a.median('bill_length_mm', { bounds: [30, 60], epsilon: 0.2 })
        ],
        {
          epsilon: 1,
          delta: '0.000001',
          confidence: 0.9
        }
      );
    expect(s.plan).toEqual({
      version: 1,
      dataset: 'penguins',
      steps: [],
      groupby: { keys: ['species'] },
      aggregations: [
        { op: 'count' },
        { op: 'mean', column: 'body_mass_g', bounds: [2000, 7000] },
        { op: 'median', column: 'bill_length_mm', bounds: [30, 60], budget: { epsilon: 0.2 } }
      ],
      budget: { epsilon: 1, delta: '0.000001' },
      confidence: 0.9
    });
    // The same with the exported agg helpers, or plan objects.
    expect(
      q()
        .groupby('species')
        .agg(
          [
            agg.count(),
            agg.mean('body_mass_g', { bounds: [2000, 7000] }),
            agg.median('bill_length_mm', { bounds: [30, 60], epsilon: 0.2 })
          ],
          { epsilon: 1, delta: '0.000001', confidence: 0.9 }
        ).plan
    ).toEqual(s.plan);
    expect(q().agg([{ op: 'count', as: 'rows' }], { epsilon: 1 }).plan.aggregations).toEqual([
      { op: 'count', as: 'rows' }
    ]);
  });

  it('is immutable: each verb returns a new builder', () => {
    const base = q().filter(d => d.x > 1);
    const a = base.filter(d => d.y > 2);
    const b = base.select('x');
    expect(base.steps).toHaveLength(1);
    expect(a.steps).toHaveLength(2);
    expect(b.steps.map(s => s.op)).toEqual(['filter', 'select']);
    const s = base.count({ epsilon: 1 });
    expect(Object.isFrozen(s.plan)).toBe(true);
    expect(Object.isFrozen(s.plan.steps[0])).toBe(true);
  });

  it('every built plan is valid for the shared schema', () => {
    const plans = [
      q().count({ epsilon: 1 }),
      q()
        .filter(d => d.a > 1 || !d.b)
        .select('a')
        .derive({ c: { expr: d => d.a * 2, lower: 0, upper: 10 } })
        .groupby('a')
        .mean('c', { epsilon: 1 }),
      q()
        .groupby('k', { values: [1, 2, 3] })
        .histogram('v', { bins: [0, 1, 2], epsilon: '0.5' })
    ];
    for (const p of plans) expect(parsePlan(JSON.parse(JSON.stringify(p.plan)))).toEqual(p.plan);
  });
});

describe('sending', () => {
  it('estimate, dummy and run call the runner with the plan; run passes the idempotency key', async () => {
    const { calls, runner } = recorder();
    const s = new QueryBuilder('penguins', runner)
      .filter(d => d.x > 1)
      .groupby('species')
      .count({ epsilon: 1 });
    await expect(s.estimate()).resolves.toEqual({ kind: 'estimate' });
    await expect(s.dummy()).resolves.toEqual({ kind: 'release', n: 0 });
    await expect(s.run({ idempotencyKey: 'key-12345' })).resolves.toEqual({
      kind: 'release',
      n: 1
    });
    expect(calls.map(c => c.method)).toEqual(['estimate', 'dummy', 'run']);
    for (const c of calls) expect(c.plan).toBe(s.plan);
    expect(calls[2].opts).toEqual({ idempotencyKey: 'key-12345' });
  });

  it('a SendableQuery can be made from a plan (e.g. a fixture)', async () => {
    const { calls, runner } = recorder();
    const plan = q().count({ epsilon: 1 }).plan;
    await new SendableQuery(plan, runner).run();
    expect(calls[0].plan).toEqual(plan);
    expect(() => new SendableQuery({ ...plan, aggregations: [] })).toThrow(
      /at least one aggregation/
    );
  });

  it('without a runner, sending says how to connect', () => {
    expect(() => q().count({ epsilon: 1 }).run()).toThrow(/not connected/);
  });

  it('printing a query never prints the runner', () => {
    const secret = { token: 'lomas_0123456789abcdef_secretsecretsecretsecret' };
    const runner = Object.assign(recorder().runner, secret);
    const b = new QueryBuilder('penguins', runner).filter(d => d.x > 1);
    const s = b.groupby('species').count({ epsilon: 1 });
    const shown = [b, b.groupby('species'), s].map(
      x => inspect(x, { depth: 10 }) + JSON.stringify(x) + String(x)
    );
    for (const t of shown) expect(t).not.toContain('secret');
    expect(String(s)).toBe('SendableQuery(penguins: count by species; 1 step(s))');
  });
});

describe('mistakes, caught before anything is sent', () => {
  it("an aggregation without a budget: the server's code and words", () => {
    const e = fail(() => q().mean('body_mass_g', { bounds: [0, 1] }));
    expect(e.code).toBe('INVALID_PLAN');
    expect(e.message).toBe(
      'The query plan is invalid: aggregations.0.budget: mean_body_mass_g has no budget. Give it { epsilon: 0.5 } (or an accuracy target), or give the query a budget.'
    );
    expect(fail(() => q().agg(a => [a.count()])).message).toContain('give the query a budget');
    expect(fail(() => q().agg([])).message).toContain('a query needs at least one aggregation');
    expect(fail(() => q().agg('count' as never)).code).toBe('INVALID_PARAMETER');
  });

  it('bad options', () => {
    expect(fail(() => q().count({ epsilonn: 1 } as never)).message).toContain(
      'no option "epsilonn"'
    );
    expect(fail(() => q().sum('x', { bounds: [7000, 2000], epsilon: 1 })).message).toContain(
      'lower bound is above'
    );
    expect(
      fail(() => q().quantile('x', 1.5, { bounds: [0, 1], epsilon: 1 })).details.problem
    ).toMatch(/^aggregations\.0\.q: /);
    expect(fail(() => q().count({ epsilon: 0 })).message).toContain('positive epsilon');
    expect(fail(() => q().count({ epsilon: 1, accuracy: 3 })).message).toContain('not both');
    expect(fail(() => q().histogram('x', { bins: [3, 2], epsilon: 1 })).message).toContain(
      'strictly increasing'
    );
    expect(fail(() => q().count({ epsilon: 1, confidence: 2 })).details.problem).toMatch(
      /^confidence: /
    );
    expect(fail(() => q().count({ epsilon: 1, rho: 0.1 })).message).toContain(
      'epsilon or rho, not both'
    );
    expect(fail(() => q().groupby(['a', 'b'], { values: ['x'] })).message).toContain(
      'exactly one group key'
    );
    expect(
      fail(() => q().groupby('a', { values: Array.from({ length: 1001 }, (_, i) => i) })).message
    ).toContain('1000');
    expect(
      fail(() => q().groupby('a', { values: ['x'], discover: { delta: '0.001' } })).message
    ).toContain('cannot be combined');
    expect(
      fail(() =>
        q().agg([agg.count({ confidence: 0.9 }), agg.count({ as: 'n', confidence: 0.8 })], {
          epsilon: 1
        })
      ).details.parameter
    ).toBe('confidence');
  });

  it('bad names: quotes, SQL, built-ins', () => {
    for (const bad of [
      'x"; DROP TABLE t; --',
      "x' OR 1=1",
      'constructor',
      '__proto__',
      '1abc',
      '',
      'a b'
    ]) {
      expect(fail(() => q().select(bad)).code).toBe('INVALID_PLAN');
      expect(fail(() => q().groupby(bad)).code).toBe('INVALID_PLAN');
      expect(fail(() => q().sum(bad, { bounds: [0, 1], epsilon: 1 })).code).toBe('INVALID_PLAN');
      expect(fail(() => q().derive({ [bad]: d => d.x })).code).toBe('INVALID_PLAN');
    }
    expect(fail(() => q().count({ epsilon: 1, as: 'n; DROP' })).details.problem).toMatch(
      /^aggregations\.0\.as: /
    );
    expect(fail(() => q().select('a b')).details.problem).toMatch(/^steps\.0\.columns\.0: /);
  });

  it('unsupported expressions surface with their snippet', () => {
    const e = fail(() => q().filter(d => d.x > process.pid));
    expect(e.code).toBe('UNSUPPORTED_EXPRESSION');
    expect(e.details.snippet).toBe('process.pid');
  });

  describe('with metadata', () => {
    const m = () => new QueryBuilder('penguins', undefined, penguins);

    it('a sum over a column with no bounds is a privacy-rule error that says what to write', () => {
      const e = fail(() => m().sum('body_mass_g', { epsilon: 1 }));
      expect(e.code).toBe('PRIVACY_RULE');
      expect(e.details.rule).toBe('bounded-contribution');
      expect(String(e.details.why)).toContain('one person could move the result without limit');
      expect(String(e.details.fix)).toContain('{ bounds: [0, 100] }');
      expect(e.message).toMatch(/^Privacy rule "bounded-contribution" forbids this/);
      for (const f of [
        () => m().mean('body_mass_g', { epsilon: 1 }),
        () => m().variance('bill_depth_mm', { epsilon: 1 }),
        () => m().stdev('bill_depth_mm', { epsilon: 1 }),
        () => m().quantile('body_mass_g', 0.5, { epsilon: 1 }),
        () => m().median('body_mass_g', { epsilon: 1 }),
        () =>
          m()
            .derive({ kg: d => d.body_mass_g / 1000 })
            .sum('kg', { epsilon: 1 })
      ]) {
        expect(fail(f).details.rule).toBe('bounded-contribution');
      }
    });

    it('bounds from the metadata, the options or a derived column are enough', () => {
      expect(m().mean('bill_length_mm', { epsilon: 1 }).plan.aggregations[0]).toEqual({
        op: 'mean',
        column: 'bill_length_mm',
        budget: { epsilon: 1 }
      });
      expect(
        m().sum('body_mass_g', { epsilon: 1, bounds: [2000, 7000] }).plan.aggregations[0].bounds
      ).toEqual([2000, 7000]);
      expect(
        m()
          .derive({ kg: { expr: d => d.body_mass_g / 1000, lower: 2, upper: 7 } })
          .sum('kg', { epsilon: 1 })
      ).toBeInstanceOf(SendableQuery);
      expect(m().histogram('body_mass_g', { epsilon: 1, bins: [0, 5000, 10000] })).toBeInstanceOf(
        SendableQuery
      );
      expect(m().histogram('island', { epsilon: 1 })).toBeInstanceOf(SendableQuery);
      expect(m().groupby(['species', 'tagged', 'year']).count({ epsilon: 1 })).toBeInstanceOf(
        SendableQuery
      );
    });

    it('unknown columns, in every verb, list the known ones', () => {
      const e = fail(() => m().filter(d => d.wingspan > 3));
      expect(e.code).toBe('UNKNOWN_COLUMN');
      expect(e.message).toContain('Column "wingspan" is not in dataset "penguins"');
      expect(e.message).toContain('species, island');
      expect(fail(() => m().select('wingspan')).code).toBe('UNKNOWN_COLUMN');
      expect(fail(() => m().derive({ w: d => d.wingspan * 2 })).code).toBe('UNKNOWN_COLUMN');
      expect(fail(() => m().groupby('wingspan')).code).toBe('UNKNOWN_COLUMN');
      expect(
        fail(
          () => m().count({ epsilon: 1 }) && m().mean('wingspan', { epsilon: 1, bounds: [0, 1] })
        ).code
      ).toBe('UNKNOWN_COLUMN');
      expect(fail(() => m().select('species').mean('bill_length_mm', { epsilon: 1 })).code).toBe(
        'UNKNOWN_COLUMN'
      );
      expect(
        m()
          .derive({ w: d => d.bill_length_mm * 2 })
          .filter(d => d.w > 3)
      ).toBeInstanceOf(QueryBuilder);
    });

    it('type mismatches and private group keys', () => {
      const e = fail(() => m().mean('species', { epsilon: 1, bounds: [0, 1] }));
      expect(e.code).toBe('TYPE_MISMATCH');
      expect(fail(() => m().groupby('sex')).details.rule).toBe('public-group-keys');
      expect(fail(() => m().groupby('body_mass_g')).details.rule).toBe('public-group-keys');
      expect(fail(() => m().histogram('sex', { epsilon: 1 })).details.rule).toBe(
        'public-categories'
      );
      // A numeric histogram needs bin edges, with or without public bounds.
      expect(fail(() => m().histogram('year', { epsilon: 1 })).message).toContain(
        'needs bin edges'
      );
      expect(
        m()
          .groupby('sex', { values: ['MALE', 'FEMALE'] })
          .count({ epsilon: 1 })
      ).toBeInstanceOf(SendableQuery);
      expect(
        m()
          .groupby('sex', { discover: { delta: '0.00001' } })
          .count({ epsilon: 1 })
      ).toBeInstanceOf(SendableQuery);
    });

    it('without metadata, those checks are the server’s', () => {
      expect(q().sum('body_mass_g', { epsilon: 1 }).plan.aggregations[0]).toEqual({
        op: 'sum',
        column: 'body_mass_g',
        budget: { epsilon: 1 }
      });
      expect(q().groupby('anything').count({ epsilon: 1 })).toBeInstanceOf(SendableQuery);
    });
  });
});
