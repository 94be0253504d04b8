import { LomasError, parsePlan, isPlan, QueryPlanSchema } from '../src/protocol';
import { invalidPlanFixtures, validPlanFixtures } from '../src/protocol/fixtures';

function codeOf(fn: () => unknown): { code?: string; err?: LomasError } {
  try {
    fn();
    return {};
  } catch (e) {
    return { code: (e as LomasError).code, err: e as LomasError };
  }
}

describe('plan fixtures', () => {
  const valid = validPlanFixtures();
  const invalid = invalidPlanFixtures();

  it('has a corpus', () => {
    expect(valid.length).toBeGreaterThanOrEqual(10);
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  it.each(valid.map(f => [f.name, f] as const))('valid: %s', (_n, f) => {
    expect(f.description).toEqual(expect.any(String));
    const plan = parsePlan(f.plan);
    expect(plan).toEqual(f.plan);
    expect(isPlan(f.plan)).toBe(true);
    // The plan survives a JSON round trip unchanged (data only).
    expect(parsePlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it.each(invalid.filter(f => f.expect.stage === 'schema').map(f => [f.name, f] as const))(
    'invalid (schema): %s',
    (_n, f) => {
      const { code, err } = codeOf(() => parsePlan(f.plan));
      expect(code).toBe(f.expect.code);
      expect(isPlan(f.plan)).toBe(false);
      const issues = err!.details.issues as Array<{ path: string; message: string }>;
      if (f.expect.path !== undefined) expect(issues[0].path).toBe(f.expect.path);
      expect(err!.message).toMatch(/^The query plan is invalid: /);
      expect(err!.details.problem).toEqual(expect.stringContaining(issues[0].path));
      expect(err!.status).toBe(400);
    }
  );

  it.each(invalid.filter(f => f.expect.stage === 'server').map(f => [f.name, f] as const))(
    'invalid (server stage) still passes the schema: %s',
    (_n, f) => {
      expect(() => parsePlan(f.plan)).not.toThrow();
    }
  );

  it('does not let __proto__ reach the parsed plan', () => {
    const f = invalid.find(x => x.name === 'proto-key')!;
    const plan = f.plan as { groupby: { values: object } };
    expect(Object.keys(plan.groupby.values)).toContain('__proto__');
    expect(() => parsePlan(f.plan)).toThrow(LomasError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a 10,000-value groupby and a huge expression without a stack overflow', () => {
    const values = Array.from({ length: 10000 }, (_, i) => `k${i}`);
    const plan = {
      version: 1,
      dataset: 'penguins',
      steps: [],
      groupby: { keys: ['island'], values: { island: values } },
      aggregations: [{ op: 'count', budget: { epsilon: 1 } }]
    };
    expect(codeOf(() => parsePlan(plan)).code).toBe('INVALID_PLAN');
    let deep: unknown = { kind: 'col', name: 'x' };
    for (let i = 0; i < 100000; i++) deep = { kind: 'unary', op: '!', arg: deep };
    const deepPlan = { ...plan, groupby: undefined, steps: [{ op: 'filter', predicate: deep }] };
    expect(codeOf(() => parsePlan(deepPlan)).code).toBe('INVALID_PLAN');
    // The schema alone (as the server might use it) also refuses without recursing.
    expect(QueryPlanSchema.safeParse(deepPlan).success).toBe(false);
  });

  it('names the path and a fix in the message', () => {
    const { err } = codeOf(() =>
      parsePlan({ version: 1, dataset: 'penguins', steps: [], aggregations: [{ op: 'count' }] })
    );
    expect(err!.message).toContain('aggregations.0.budget');
    expect(err!.message).toContain('epsilon');
  });
});
