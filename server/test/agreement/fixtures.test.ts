import { invalidPlanFixtures, validPlanFixtures } from '../../../kernel-lib/src/protocol/fixtures';
import { DATASETS, builderVerdict, schemaValid, serverVerdict, type Verdict } from './sides';

/**
 * Every plan of the shared corpus (kernel-lib/fixtures/plans) goes through the notebook builder
 * and through the server, on the penguins dataset in every accounting mode: same verdict, same
 * error code, and — for a plan the schema accepts — the same message, word for word. A plan both
 * accept is written by the builder exactly as it is.
 */
const modes = Object.keys(DATASETS);
const fixtures = [...validPlanFixtures(), ...invalidPlanFixtures()];

const shown = (v: Verdict) => (v.ok ? 'accepted' : v.code);

describe.each(fixtures.map(f => [f.name, f] as const))('plan %s', (_name, f) => {
  test.each(modes)('builder and server agree on the %s dataset', async mode => {
    const server = await serverVerdict(f.plan, mode);
    const builder = builderVerdict(f.plan, mode);
    expect(shown(builder)).toBe(shown(server));
    if (!server.ok && !builder.ok && schemaValid(f.plan))
      expect(builder.message).toBe(server.message);
    if (builder.ok) expect(builder.plan).toEqual(f.plan);
  });
});

test('the corpus exercises both verdicts', async () => {
  const verdicts = await Promise.all(
    fixtures.map(async f => shown(await serverVerdict(f.plan, 'zcdp')))
  );
  expect(verdicts.filter(v => v === 'accepted').length).toBeGreaterThanOrEqual(10);
  expect(new Set(verdicts.filter(v => v !== 'accepted')).size).toBeGreaterThanOrEqual(4);
});
