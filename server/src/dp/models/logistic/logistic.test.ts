/**
 * Logistic regression by noisy gradient descent: planning, refusals, the per-row gradient bound,
 * accuracy on generated data and on penguins (held-apart split), privacy on neighbouring datasets.
 *
 * Statistical assertions and their false-positive rates (correct code fails with prob ≈ 1e-6):
 *  - accuracy: the MEAN held-out accuracy of independent fits (noise only) exceeds the stated
 *    floor by more than 6 standard errors of that mean (observed spread);
 *  - neighbouring datasets: empiricalLoss (testing/stats.ts), 5.5 standard errors.
 */
import { seededRng } from '../../rng';
import { empiricalLoss, histogram } from '../../testing/stats';
import { expectParameterError } from '../../testing/errors';
import { normalise, ONE } from '../common';
import {
  normal,
  penguinBounds,
  penguinRows,
  penguinSplit,
  uniforms,
  type PenguinFeature
} from '../testing/data';
import {
  fitLogistic,
  logisticClass,
  logisticOracle,
  logisticRowGradient,
  planLogistic,
  type LogisticFit,
  type LogisticPlan,
  type LogisticSpec
} from './index';

const spec = (budget: LogisticSpec['budget'], extra: Partial<LogisticSpec> = {}): LogisticSpec => ({
  features: [
    { lower: -3, upper: 3 },
    { lower: -3, upper: 3 }
  ],
  classes: 2,
  budget,
  measure: 'pure',
  ...extra
});

function predict(plan: LogisticPlan, fit: LogisticFit, x: readonly number[]): number {
  return logisticClass(
    fit.theta,
    x.map((v, j) => normalise(v, plan.features[j]))
  );
}

function meanAndSe(xs: number[]): { mean: number; se: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, se: sd / Math.sqrt(xs.length) };
}

describe('planning', () => {
  it('a count and T gradient steps, each an equal share; L1 of a gradient = (K−1)(d+1)·C·ONE (C = 0.5)', () => {
    const p = planLogistic(spec({ epsilon: 1 }, { iterations: 4 }));
    expect(p.steps).toHaveLength(5);
    expect(p.gradients[0].measurement.sensitivity.toString()).toBe(String(3n * (ONE / 2n)));
    expect(p.gradients[0].measurement.loss).toEqual({
      measure: 'pure',
      epsilon: expect.anything()
    });
    expect(p.cost.measure === 'pure' && p.cost.epsilon.toString()).toBe('1');
    const z = planLogistic(spec({ rho: '0.1' }, { measure: 'zcdp', classes: 3 }));
    expect(z.iterations).toBe(10); // the Gaussian default
    expect(z.gradients[0].length).toBe(6);
    expect(z.cost.measure === 'zcdp' && z.cost.rho.toString()).toBe('1/10');
  });

  it('refuses bad input before anything runs', () => {
    expectParameterError(
      () => planLogistic(spec({ epsilon: 1 }, { iterations: 101 })),
      'iterations'
    );
    expectParameterError(() => planLogistic(spec({ epsilon: 1 }, { iterations: 0 })), 'iterations');
    expectParameterError(
      () => planLogistic(spec({ epsilon: 1 }, { learningRate: 0 })),
      'learningRate'
    );
    expectParameterError(() => planLogistic(spec({ epsilon: 1 }, { momentum: 1 })), 'momentum');
    expect(
      expectParameterError(
        () => planLogistic(spec({ epsilon: '0.05' }, { iterations: 100 })),
        'budget'
      ).message
    ).toMatch(/101 noisy steps.*fewer iterations/);
  });
});

describe('the per-row gradient is bounded whatever θ is', () => {
  it('every coordinate lies in [−CLIP, CLIP], also at extreme θ and features', () => {
    const u = uniforms(3);
    for (let i = 0; i < 2000; i++) {
      const theta = [0, 1].map(() => [0, 1, 2].map(() => (u() - 0.5) * 1e6));
      const c = [u() * 2 - 1, u() > 0.5 ? 1 : -1];
      const clip = i % 2 ? ONE : ONE / 3n;
      for (const g of logisticRowGradient(theta, c, i % 3, clip)) {
        expect(g <= clip && g >= -clip).toBe(true);
      }
    }
  });
});

describe('accuracy', () => {
  // Binary classes, logit = 2x₁ − x₂ (features N(0, 1), clamped to [−3, 3]): the true model's
  // accuracy (about 0.79, the Bayes rate) is computed on the held-out rows.
  function data(n: number, seed: number) {
    const u = uniforms(seed);
    return Array.from({ length: n }, () => {
      const x = [normal(u), normal(u)];
      const p = 1 / (1 + Math.exp(-(2 * x[0] - x[1])));
      return { x, y: u() < p ? 1 : 0 };
    });
  }

  it.each([
    [{ epsilon: 1 }, 0.03, 'pure'],
    [{ rho: '0.5' }, 0.02, 'zcdp']
  ] as const)(
    '10k rows, %j: held-out accuracy within %s of the true model',
    async (budget, gap, measure) => {
      const plan = planLogistic(spec(budget, { measure }));
      const oracle = logisticOracle(data(10_000, 1), plan);
      const held = data(5000, 2);
      const bayes =
        held.filter(r => (2 * r.x[0] - r.x[1] > 0 ? 1 : 0) === r.y).length / held.length;
      const floor = bayes - gap;
      const rng = seededRng(`logit-${measure}`);
      const acc: number[] = [];
      for (let i = 0; i < 2; i++) {
        const fit = await fitLogistic(plan, oracle, rng);
        acc.push(held.filter(r => predict(plan, fit, r.x) === r.y).length / held.length);
      }
      const { mean, se } = meanAndSe(acc);
      console.log(
        `logistic, generated 10k (true model ${bayes.toFixed(3)}), ${JSON.stringify(budget)}: mean held-out accuracy ${mean.toFixed(3)} ± ${se.toFixed(3)}`
      );
      expect(mean - 6 * Math.max(se, 0.002)).toBeGreaterThan(floor);
    }
  );

  // Figures (3 features, 275 training rows, defaults, clip 0.5): mean held-out accuracy ≈ 0.77
  // at ε = 1 (pure: Laplace, 5 steps), ≈ 0.91 at ε = 10, ≈ 0.945 at ρ = 0.5 (Gaussian, 10 steps).
  const FEATURES: PenguinFeature[] = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm'];
  it.each([
    [{ epsilon: 1 }, 0.6, 'pure'],
    [{ epsilon: 10 }, 0.85, 'pure'],
    [{ rho: '0.5' }, 0.9, 'zcdp']
  ] as const)(
    'penguins, %j: mean held-out accuracy of 60 fits above %s',
    async (budget, floor, measure) => {
      const { train, test } = penguinSplit();
      const plan = planLogistic({
        features: penguinBounds(FEATURES),
        classes: 3,
        budget,
        measure
      });
      const oracle = logisticOracle(penguinRows(train, FEATURES), plan);
      const held = penguinRows(test, FEATURES);
      const rng = seededRng(`penguins-logit-${JSON.stringify(budget)}`);
      const acc: number[] = [];
      for (let i = 0; i < 60; i++) {
        const fit = await fitLogistic(plan, oracle, rng);
        acc.push(held.filter(r => predict(plan, fit, r.x) === r.y).length / held.length);
      }
      const { mean, se } = meanAndSe(acc);
      console.log(
        `logistic, penguins, ${JSON.stringify(budget)}: mean held-out accuracy ${mean.toFixed(3)} ± ${se.toFixed(3)} (min ${Math.min(...acc).toFixed(3)})`
      );
      expect(mean - 6 * se).toBeGreaterThan(floor);
    }
  );
});

describe('privacy on neighbouring datasets (empirical loss <= claimed ε + 5.5 se)', () => {
  it('ε = 1, two steps: the fitted weight of neighbours is ε-indistinguishable; a 10× violation is detected', async () => {
    const tiny = (eps: number) =>
      planLogistic({
        features: [{ lower: 0, upper: 1 }],
        classes: 2,
        budget: { epsilon: eps },
        measure: 'pure',
        iterations: 2,
        learningRate: 1
      });
    const rowsA = [0.2, 0.5, 0.8].map((x, i) => ({ x: [x], y: i % 2 }));
    const rowsB = [...rowsA, { x: [1], y: 1 }];
    const n = 15_000;
    const run = async (eps: number, rows: typeof rowsA, seed: string) => {
      const plan = tiny(eps);
      const oracle = logisticOracle(rows, plan);
      const rng = seededRng(seed);
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const fit = await fitLogistic(plan, oracle, rng);
        out.push(String(Math.max(-6, Math.min(6, Math.round(fit.theta[0][1] * 2)))));
      }
      return histogram(out);
    };
    const l = empiricalLoss(await run(1, rowsA, 'a'), await run(1, rowsB, 'b'), n, n);
    expect(Number.isFinite(l.loss)).toBe(true);
    expect(l.loss).toBeLessThanOrEqual(1);
    const power = empiricalLoss(await run(10, rowsA, 'c'), await run(10, rowsB, 'd'), n, n);
    expect(power.loss).toBeGreaterThan(1);
  });
});
