import {
  ACCURACY_TARGETS,
  LomasError,
  PLAN_LIMITS,
  checkPlan,
  parsePlan,
  type AggregationOp,
  type QueryPlan
} from 'lomas-kernel/protocol';
import { QueryBuilder, type SendableQuery } from '../../../kernel-lib/src/query';
import { DATASETS, serverVerdict, type Verdict } from './sides';

/**
 * One regression per disagreement the review found between the notebook builder and the server
 * (issue 10). Each writes the query as an analyst does, with the builder's verbs, and sends the
 * plan it means to the server: same verdict, same code, same words.
 */
type Q = QueryBuilder<unknown, unknown>;

function builder(write: (q: Q) => SendableQuery<unknown, unknown>, mode: string): Verdict {
  try {
    const q = write(new QueryBuilder<unknown, unknown>('penguins', undefined, DATASETS[mode]));
    return { ok: true, plan: q.plan };
  } catch (e) {
    if (e instanceof LomasError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

const plan = (p: Partial<QueryPlan>): QueryPlan =>
  ({ version: 1, dataset: 'penguins', steps: [], ...p }) as QueryPlan;

async function agree(
  write: (q: Q) => SendableQuery<unknown, unknown>,
  p: QueryPlan,
  mode = 'pure'
): Promise<Verdict> {
  const b = builder(write, mode);
  const s = await serverVerdict(p, mode);
  expect(b.ok ? 'accepted' : b.code).toBe(s.ok ? 'accepted' : s.code);
  if (!b.ok && !s.ok) expect(b.message).toBe(s.message);
  if (b.ok) expect(b.plan).toEqual(parsePlan(p));
  return s;
}

test('a histogram of a bounded int column without bins: both refuse, "needs bin edges"', async () => {
  const v = await agree(
    q => q.histogram('flipper_length_mm', { epsilon: 1 }),
    plan({
      aggregations: [{ op: 'histogram', column: 'flipper_length_mm', budget: { epsilon: 1 } }]
    })
  );
  expect(v).toMatchObject({ ok: false, code: 'INVALID_PLAN' });
  expect(!v.ok && v.message).toContain('needs bin edges');
});

test('grouping by a float column: both say TYPE_MISMATCH and suggest a binned key', async () => {
  const v = await agree(
    q => q.groupby('bill_length_mm').count({ epsilon: 1 }),
    plan({
      groupby: { keys: ['bill_length_mm'] },
      aggregations: [{ op: 'count', budget: { epsilon: 1 } }]
    })
  );
  expect(v).toMatchObject({ ok: false, code: 'TYPE_MISMATCH' });
  expect(!v.ok && v.message).toContain('floor(bill_length_mm / 10)');
});

test('{ epsilon, rho } together: refused by the schema on both sides', async () => {
  const v = await agree(
    q => q.count({ epsilon: 1, rho: 0.1 }),
    plan({ aggregations: [{ op: 'count', budget: { epsilon: 1, rho: 0.1 } }] }),
    'zcdp'
  );
  expect(!v.ok && v.message).toContain('epsilon or rho, not both');
});

describe('accuracy targets: one table (ACCURACY_TARGETS), the same answer on both sides', () => {
  const ops: AggregationOp[] = [
    'count',
    'sum',
    'mean',
    'variance',
    'stdev',
    'quantile',
    'median',
    'histogram'
  ];
  test.each(ops)('%s', async op => {
    const column = op === 'count' ? undefined : op === 'histogram' ? 'species' : 'body_mass_g';
    const a = {
      op,
      ...(column ? { column } : {}),
      ...(op === 'quantile' ? { q: 0.25 } : {}),
      accuracy: { halfWidth: 50 }
    };
    const v = await agree(q => q.agg([a]), plan({ aggregations: [a] }));
    expect(v.ok).toBe(ACCURACY_TARGETS[op] !== null);
    if (!v.ok) expect(v.message).toContain(`not ${op}`);
  });
  test('sum with discovered keys is refused; count with discovered keys is accepted', async () => {
    const discover = { delta: '0.000001' };
    const sum = { op: 'sum' as const, column: 'body_mass_g', accuracy: { halfWidth: 500 } };
    const v = await agree(
      q => q.groupby('sex', { discover }).agg([sum]),
      plan({ groupby: { keys: ['sex'], discover }, aggregations: [sum] }),
      'zcdp'
    );
    expect(!v.ok && v.message).toContain('not sum with private key discovery');
    const count = { op: 'count' as const, accuracy: { halfWidth: 20 } };
    expect(
      await agree(
        q => q.groupby('sex', { discover }).agg([count]),
        plan({ groupby: { keys: ['sex'], discover }, aggregations: [count] }),
        'zcdp'
      )
    ).toMatchObject({ ok: true });
  });
});

describe('limits: one table, so the same plan passes or fails everywhere', () => {
  test(`${PLAN_LIMITS.aggregations + 1} aggregations`, async () => {
    const many = Array.from({ length: PLAN_LIMITS.aggregations + 1 }, (_, i) => ({
      op: 'count' as const,
      as: `n${i}`
    }));
    const v = await agree(
      q => q.agg(many, { epsilon: 1 }),
      plan({ aggregations: many, budget: { epsilon: 1 } })
    );
    expect(v).toMatchObject({ ok: false, code: 'INVALID_PLAN' });
    // and one fewer is fine
    const ok = many.slice(1);
    expect(
      await agree(
        q => q.agg(ok, { epsilon: 1 }),
        plan({ aggregations: ok, budget: { epsilon: 1 } })
      )
    ).toMatchObject({ ok: true });
  });
  test(`${PLAN_LIMITS.steps + 1} steps`, async () => {
    const steps = Array.from({ length: PLAN_LIMITS.steps + 1 }, () => ({
      op: 'select' as const,
      columns: ['species']
    }));
    const v = await agree(
      q => steps.reduce((b: Q) => b.select('species'), q).count({ epsilon: 1 }),
      plan({ steps, aggregations: [{ op: 'count', budget: { epsilon: 1 } }] })
    );
    expect(v).toMatchObject({ ok: false, code: 'INVALID_PLAN' });
  });
});

test('"no budget": one rule (the plan schema), one message', async () => {
  const v = await agree(q => q.count(), plan({ aggregations: [{ op: 'count' }] }));
  expect(!v.ok && v.message).toBe(
    'The query plan is invalid: aggregations.0.budget: count has no budget. Give it { epsilon: 0.5 } (or an accuracy target), or give the query a budget.'
  );
});

test('one amount grammar: "1e-6" is an amount on both sides, "1e1000" on neither', async () => {
  const d = (delta: string) => ({ keys: ['sex'], discover: { delta } });
  expect(
    await agree(
      q => q.groupby('sex', { discover: { delta: '1e-6' } }).count({ epsilon: 1 }),
      plan({ groupby: d('1e-6'), aggregations: [{ op: 'count', budget: { epsilon: 1 } }] }),
      'zcdp'
    )
  ).toMatchObject({ ok: true });
  expect(
    await agree(
      q => q.count({ epsilon: '1e1000' }),
      plan({ aggregations: [{ op: 'count', budget: { epsilon: '1e1000' } }] })
    )
  ).toMatchObject({ ok: false, code: 'INVALID_PLAN' });
});

test("bounds override the column's public bounds, wider or narrower, on both sides", async () => {
  for (const bounds of [
    [0, 10000],
    [3000, 4000]
  ] as Array<[number, number]>) {
    const a = { op: 'mean' as const, column: 'body_mass_g', bounds, budget: { epsilon: 1 } };
    const p = plan({ aggregations: [a] });
    expect(await agree(q => q.mean('body_mass_g', { bounds, epsilon: 1 }), p)).toMatchObject({
      ok: true
    });
    const checked = checkPlan(parsePlan(p), DATASETS.pure);
    expect(checked.aggregations[0]).toMatchObject({ bounds });
  }
});

test('a pure dataset refuses δ, ρ, Gaussian noise and key discovery in the same words', async () => {
  const cases: Array<[(q: Q) => SendableQuery<unknown, unknown>, Partial<QueryPlan>]> = [
    [
      q => q.count({ epsilon: 1, delta: 1e-6 }),
      { aggregations: [{ op: 'count', budget: { epsilon: 1, delta: 1e-6 } }] }
    ],
    [q => q.count({ rho: 0.1 }), { aggregations: [{ op: 'count', budget: { rho: 0.1 } }] }],
    [
      q => q.count({ epsilon: 1, delta: 1e-6, mechanism: 'gaussian' }),
      {
        aggregations: [{ op: 'count', budget: { epsilon: 1, delta: 1e-6 }, mechanism: 'gaussian' }]
      }
    ],
    [
      q => q.groupby('sex', { discover: { delta: 1e-6 } }).count({ epsilon: 1 }),
      {
        groupby: { keys: ['sex'], discover: { delta: 1e-6 } },
        aggregations: [{ op: 'count', budget: { epsilon: 1 } }]
      }
    ]
  ];
  for (const [write, p] of cases) {
    const v = await agree(write, plan(p));
    expect(v).toMatchObject({ ok: false, code: 'PRIVACY_RULE' });
    expect(!v.ok && v.message).toContain('"pure-dp-dataset"');
  }
});
