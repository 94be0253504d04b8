import { LomasError, checkPlan, parsePlan } from 'lomas-kernel/protocol';
import { invalidPlanFixtures, validPlanFixtures } from '../../../kernel-lib/src/protocol/fixtures';
import { demoDatasets } from '../../src/datasets/demo';
import { costQuery } from '../../src/domain/planning';
import type { DatasetRecord } from '../../src/store/types';

/** The shared plan corpus, checked by the server: schema, metadata validation and DP planning. */
const reg = demoDatasets().find(d => d.name === 'penguins')!;
const penguins: DatasetRecord = {
  ...reg,
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z'
};

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof LomasError) return e.code;
    throw e;
  }
  return 'no error';
}

describe.each(validPlanFixtures().map(f => [f.name, f] as const))('valid plan %s', (_n, f) => {
  test('is accepted, validated against the penguins metadata and costed', () => {
    const plan = parsePlan(f.plan);
    // Plans that need δ or ρ (key discovery, Gaussian noise, a δ in a budget) go to a
    // zCDP-accounted twin: the pure penguins dataset refuses them with PRIVACY_RULE.
    const withDelta = (b?: { delta?: unknown }) => b?.delta !== undefined && Number(b.delta) > 0;
    const needsZcdp =
      plan.groupby?.discover !== undefined ||
      plan.budget?.rho !== undefined ||
      withDelta(plan.budget) ||
      plan.aggregations.some(
        a => a.mechanism === 'gaussian' || a.budget?.rho !== undefined || withDelta(a.budget)
      );
    const dataset: DatasetRecord = needsZcdp
      ? { ...penguins, accounting: 'zcdp', delta: '0.000001' }
      : penguins;
    const planned = costQuery(checkPlan(plan, dataset), dataset);
    expect(planned.aggregations).toHaveLength(plan.aggregations.length);
    expect(Number(planned.display.epsilon) + Number(planned.display.rho ?? 0)).toBeGreaterThan(0);
  });
});

describe.each(invalidPlanFixtures().map(f => [f.name, f] as const))('invalid plan %s', (_n, f) => {
  test(`is refused with ${f.expect.code}`, () => {
    if (f.expect.stage === 'schema') {
      expect(codeOf(() => parsePlan(f.plan))).toBe(f.expect.code);
    } else if (f.expect.code === 'DATASET_NOT_FOUND') {
      // Dataset lookup happens in the route; the plan itself is schema-valid.
      expect(parsePlan(f.plan).dataset).not.toBe('penguins');
    } else {
      const plan = parsePlan(f.plan);
      expect(codeOf(() => checkPlan(plan, penguins))).toBe(f.expect.code);
    }
  });
});
