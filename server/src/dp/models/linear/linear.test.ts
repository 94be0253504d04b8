/**
 * Linear regression (SSP): planning, refusals before data, recovery of a known model, the noise
 * it reports, and privacy on neighbouring datasets.
 *
 * Statistical assertions and their false-positive rates (correct code fails with prob ≈ 1e-6):
 *  - recovery: each coefficient within 6 reported standard errors of the DP noise plus 6 standard
 *    errors of least squares (the coefficient errors are sums of ~15 independent noises, close to
 *    normal: P(|Z| > 6) ≈ 2e-9 per coefficient, 40 coefficients);
 *  - reported standard errors: the empirical standard deviation of 400 releases within ±30% of the
 *    reported one (χ² with 399 df: P(outside) < 1e-9);
 *  - neighbouring datasets: empiricalLoss (testing/stats.ts): 5.5 standard errors of the log-ratio.
 */
import { LomasError } from 'lomas-kernel/protocol';
import { seededRng } from '../../rng';
import { empiricalLoss, histogram } from '../../testing/stats';
import { expectParameterError } from '../../testing/errors';
import { ONE } from '../common';
import { normal, uniforms } from '../testing/data';
import { linearStatistics, planLinear, releaseLinear, type LinearSpec } from './index';

const TRUE = { intercept: 5, coefficients: [3, -1.5, 0.5, 0] };
const NOISE_SD = 1;

function known(n: number, seed: number) {
  const u = uniforms(seed);
  return Array.from({ length: n }, () => {
    const x = [u() * 10, u() * 10, u() * 10, u() * 10];
    const y = TRUE.intercept + TRUE.coefficients.reduce((s, b, j) => s + b * x[j], 0);
    return { x, y: y + NOISE_SD * normal(u) };
  });
}

const spec = (budget: LinearSpec['budget'], extra: Partial<LinearSpec> = {}): LinearSpec => ({
  features: [0, 1, 2, 3].map(() => ({ lower: 0, upper: 10 })),
  target: { lower: -30, upper: 60 },
  budget,
  measure: 'pure',
  ...extra
});

describe('planning (no data, no randomness)', () => {
  it('one Gram measurement: L1 sensitivity m(m+1)/2·ONE², loss = ε', () => {
    const p = planLinear(spec({ epsilon: 1 }));
    expect(p.steps).toHaveLength(1);
    expect(p.gram.length).toBe(21); // m = 6
    expect(p.gram.measurement.sensitivity.toString()).toBe(String(21n * ONE * ONE));
    expect(p.cost).toEqual(p.composition.loss);
    expect(p.cost.measure === 'pure' && p.cost.epsilon.toString()).toBe('1');
  });

  it('a user-level unit multiplies the sensitivity by its rows; ρ budgets use Gaussian noise', () => {
    const user = planLinear(spec({ epsilon: 1 }, { unit: { kind: 'user', maxRows: 3 } }));
    expect(user.gram.measurement.sensitivity.toString()).toBe(String(3n * 21n * ONE * ONE));
    const z = planLinear(spec({ rho: '0.5' }, { measure: 'zcdp' }));
    expect(z.gram.mechanism).toBe('discrete_gaussian');
    expect(z.cost.measure === 'zcdp' && z.cost.rho.toString()).toBe('1/2');
    const a = planLinear(
      spec({ epsilon: 1, delta: '1e-6' }, { measure: 'approx', mechanism: 'gaussian' })
    );
    expect(a.cost.measure === 'approx' && a.cost.epsilon.toString()).toBe('1');
  });

  it('refuses bad input before anything runs, naming the rule and the fix', () => {
    expectParameterError(() => planLinear(spec({ epsilon: 1 }, { features: [] })), 'features');
    expectParameterError(
      () => planLinear(spec({ epsilon: 1 }, { features: [{ lower: 0, upper: Infinity }] })),
      'features[0].bounds'
    );
    expectParameterError(
      () => planLinear(spec({ epsilon: 1 }, { target: { lower: 3, upper: 3 } })),
      'target.bounds'
    );
    const many = Array.from({ length: 33 }, () => ({ lower: 0, upper: 1 }));
    expect(
      expectParameterError(() => planLinear(spec({ epsilon: 1 }, { features: many })), 'features')
        .message
    ).toMatch(/at most 32 features/);
    expect(
      expectParameterError(() => planLinear(spec({ epsilon: '0.0001' })), 'budget').message
    ).toMatch(/too small.*at least ε = 0.001/);
    expectParameterError(() => planLinear(spec({ epsilon: 1 }, { ridge: -1 })), 'ridge');
    let pure: unknown;
    try {
      planLinear(spec({ rho: 1 }));
    } catch (e) {
      pure = e;
    }
    expect((pure as LomasError).details.rule).toBe('pure-dp-dataset');
  });
});

describe('recovers a known model (y = 5 + 3x₁ − 1.5x₂ + 0.5x₃ + 0·x₄ + N(0, 1), x ~ U[0, 10])', () => {
  // Figures (seeded): max |error| of the slopes ≈ 0.15 (10k, ε=1), 0.02 (100k, ε=1 and 10k, ε=10),
  // 0.004 (100k, ε=10); the stated bounds are 6 noise standard errors plus 6 OLS standard errors.
  const STATED: Record<string, number> = {
    '10000/1': 0.6,
    '10000/10': 0.08,
    '100000/1': 0.08,
    '100000/10': 0.015
  };
  it.each([
    [10_000, 1],
    [10_000, 10],
    [100_000, 1],
    [100_000, 10]
  ])('n = %d, ε = %d: every slope within the stated error', (n, eps) => {
    const plan = planLinear(spec({ epsilon: eps }));
    const fit = releaseLinear(
      plan,
      linearStatistics(known(n, n + eps), plan),
      seededRng(`lin-${n}-${eps}`)
    );
    // x ~ U[0, 10] has variance 100/12: OLS slope standard error ≈ σ/√(n·100/12).
    const ols = NOISE_SD / Math.sqrt((n * 100) / 12);
    fit.coefficients.forEach((b, j) => {
      const err = Math.abs(b - TRUE.coefficients[j]);
      expect(err).toBeLessThanOrEqual(6 * fit.stdErrors.coefficients[j] + 6 * ols);
      expect(err).toBeLessThanOrEqual(STATED[`${n}/${eps}`]);
    });
    // true R² = 95.83/(95.83 + 1): signal variance (9 + 2.25 + 0.25)·100/12 over noise variance 1
    expect(Math.abs(fit.r2!.value - 0.98967)).toBeLessThanOrEqual(6 * fit.r2!.noiseSd + 0.01);
    expect(Math.abs(fit.rows - n)).toBeLessThan(200);
  });
});

describe('the noise it reports', () => {
  it('the standard errors match the spread of 400 releases (±30%)', () => {
    const plan = planLinear(spec({ epsilon: 1 }));
    const stats = linearStatistics(known(10_000, 7), plan);
    const rng = seededRng('spread');
    const fits = Array.from({ length: 400 }, () => releaseLinear(plan, stats, rng));
    for (let j = 0; j < 4; j++) {
      const xs = fits.map(f => f.coefficients[j]);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
      const reported = fits.reduce((a, f) => a + f.stdErrors.coefficients[j], 0) / fits.length;
      expect(sd / reported).toBeGreaterThan(0.7);
      expect(sd / reported).toBeLessThan(1.3);
    }
  });
});

describe('privacy on neighbouring datasets (empirical loss <= claimed ε + 5.5 se)', () => {
  // A tiny problem: 1 feature in [0, 1], target in [0, 1]; the neighbour adds one row at a corner.
  const tiny = (budget: LinearSpec['budget']): LinearSpec => ({
    features: [{ lower: 0, upper: 1 }],
    target: { lower: 0, upper: 1 },
    budget,
    measure: 'pure',
    ridge: 5
  });
  const rowsA = [0.1, 0.3, 0.5, 0.7, 0.9].map(x => ({ x: [x], y: x }));
  const rowsB = [...rowsA, { x: [1], y: 0 }];
  const bin = (slope: number) => String(Math.max(-4, Math.min(4, Math.floor(slope * 4))));

  function slopes(spec: LinearSpec, rows: typeof rowsA, seed: string, n: number) {
    const plan = planLinear(spec);
    const stats = linearStatistics(rows, plan);
    const rng = seededRng(seed);
    return histogram(
      Array.from({ length: n }, () => bin(releaseLinear(plan, stats, rng).coefficients[0]))
    );
  }

  it('ε = 1: the fitted slope of neighbours is ε-indistinguishable; a 10× violation is detected', () => {
    const n = 20_000;
    const a = slopes(tiny({ epsilon: 1 }), rowsA, 'nA', n);
    const b = slopes(tiny({ epsilon: 1 }), rowsB, 'nB', n);
    const l = empiricalLoss(a, b, n, n);
    expect(Number.isFinite(l.loss)).toBe(true);
    expect(l.loss).toBeLessThanOrEqual(1);
    // power: the same release at ε = 10 claimed as ε = 1 is caught
    const a4 = slopes(tiny({ epsilon: 10 }), rowsA, 'pA', n);
    const b4 = slopes(tiny({ epsilon: 10 }), rowsB, 'pB', n);
    const power = empiricalLoss(a4, b4, n, n);
    expect(power.loss).toBeGreaterThan(1);
  });
});
