/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * The two attacks of the outside review (issue 8), reproduced over HTTP against the real server,
 * as regression tests:
 *  1. zCDP datasets never checked δ: key discovery with δ = 0.5 was admitted again and again, and
 *     Gaussian noise with (ε = 0.01, δ = 0.5) was answered with the σ of ρ ≈ 0.39 while the ledger
 *     recorded ρ = 5e-5.
 *  2. integer group keys beyond ±2^53 merged, so a derived key
 *     cond(x == target, 2^53·2 + 3, 2^53·2 + 2) with key discovery was a membership oracle.
 */
import { startE2E, type E2E } from '../e2e/harness';

let h: E2E;
const dec = (s: string | undefined) => Number(s ?? '0');

beforeAll(async () => {
  h = await startE2E();
  // The review's setting: a zCDP dataset whose analyst has δ = 1e-6.
  await h.register(
    'zcdp_review',
    'zcdp',
    { epsilon: '0', delta: '0.000001', rho: '1' },
    { delta: '0.000001' }
  );
}, 60_000);
afterAll(() => h.stop());

const plan = (parts: Record<string, unknown>) => ({
  version: 1,
  dataset: 'zcdp_review',
  steps: [],
  ...parts
});

describe('regression: zCDP datasets check δ', () => {
  test('key discovery with δ = 0.5 is refused before any charge (PRIVACY_RULE), every time', async () => {
    const before = await h.budget('zcdp_review');
    for (let i = 0; i < 3; i++) {
      const r = await h.run(
        plan({
          groupby: { keys: ['group'], discover: { delta: '0.5' } },
          aggregations: [{ op: 'count' }],
          budget: { rho: '0.001' }
        })
      );
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('PRIVACY_RULE');
      expect(r.body.details.rule).toBe('delta-within-limit');
      expect(r.body.message).toMatch(/δ = 0.000001/);
    }
    const after = await h.budget('zcdp_review');
    expect(after.spent).toEqual(before.spent);
  });

  test('key discovery within the grant spends its δ, and δ is checked on every later query', async () => {
    const q = plan({
      groupby: { keys: ['group'], discover: { delta: '0.0000006' } },
      aggregations: [{ op: 'count' }],
      budget: { rho: '0.001' }
    });
    const first = await h.run(q);
    expect(first.status).toBe(200);
    expect(first.body.cost.delta).toBe('0.0000006');
    const second = await h.run(q);
    expect(second.status).toBe(403);
    expect(second.body.code).toBe('BUDGET_EXHAUSTED');
    expect(second.body.details.dimension).toBe('delta');
    const b = await h.budget('zcdp_review');
    expect(dec(b.spent.delta)).toBeCloseTo(6e-7, 15);
  });

  test('Gaussian (ε = 0.01, δ = 0.5) is charged the ρ of the σ it uses (was ρ = 5e-5)', async () => {
    const before = await h.budget('zcdp_review');
    const r = await h.run(
      plan({
        aggregations: [{ op: 'count', mechanism: 'gaussian' }],
        budget: { epsilon: '0.01', delta: '0.5' }
      })
    );
    expect(r.status).toBe(200);
    const sigma = Number(r.body.mechanisms[0].scale);
    const rhoOfSigma = 1 / (2 * sigma * sigma);
    expect(rhoOfSigma).toBeGreaterThan(0.3);
    const charged = dec(r.body.cost.rho);
    expect(charged).toBeGreaterThanOrEqual(rhoOfSigma * (1 - 1e-5)); // σ shown rounded up
    const after = await h.budget('zcdp_review');
    expect(dec(after.spent.rho) - dec(before.spent.rho)).toBeCloseTo(charged, 8); // spent: 10 digits, up
    // The same request now exceeds what is left of ρ = 1 after a second one.
    const again = await h.run(
      plan({
        aggregations: [{ op: 'count', mechanism: 'gaussian' }],
        budget: { epsilon: '0.01', delta: '0.5' }
      })
    );
    const third = await h.run(
      plan({
        aggregations: [{ op: 'count', mechanism: 'gaussian' }],
        budget: { epsilon: '0.01', delta: '0.5' }
      })
    );
    expect([again.status, third.status]).toContain(403);
  });
});

describe('regression: integer group keys beyond ±2^53 never merge', () => {
  test('the membership oracle of the review releases two exact keys with their own counts', async () => {
    const target = 20; // a frequent value of x in the test data
    const n = h.rows.filter(r => r.x === target).length;
    const rest = h.rows.length - n;
    expect(n).toBeGreaterThan(20);
    const big = (plus: number) => ({
      kind: 'binary',
      op: '+',
      left: {
        kind: 'binary',
        op: '*',
        left: { kind: 'lit', value: 9007199254740991 },
        right: { kind: 'lit', value: 2 }
      },
      right: { kind: 'lit', value: plus }
    });
    const attack = (dataset: string, discover: Record<string, string>, budget: object) => ({
      version: 1,
      dataset,
      steps: [
        {
          op: 'derive',
          columns: {
            k: {
              expr: {
                kind: 'cond',
                test: {
                  kind: 'binary',
                  op: '==',
                  left: { kind: 'col', name: 'x' },
                  right: { kind: 'lit', value: target }
                },
                then: big(3),
                else: big(2)
              }
            }
          }
        }
      ],
      groupby: { keys: ['k'], discover },
      aggregations: [{ op: 'count' }],
      budget
    });
    // A pure dataset cannot discover keys at all (it needs δ): refused before any charge.
    const pure = await h.run(attack('e2e', { delta: '0.000001' }, { epsilon: '5' }));
    expect(pure.status).toBe(400);
    expect(pure.body.code).toBe('PRIVACY_RULE');
    const z = await h.run(attack('e2e_zcdp', { delta: '0.0000001' }, { rho: '50' }));
    expect(z.status).toBe(200);
    const keys = z.body.rows.map((row: any) => String(row.k)).sort();
    expect(keys).toEqual(['18014398509481984', '18014398509481985']);
    const count = (k: string) => z.body.rows.find((row: any) => String(row.k) === k).count;
    // ρ = 50: σ = 0.1, so counts are within ±1 of the truth (FPR far below 1e-6)
    expect(Math.abs(count('18014398509481985') - n)).toBeLessThanOrEqual(1);
    expect(Math.abs(count('18014398509481984') - rest)).toBeLessThanOrEqual(1);
  });
});
