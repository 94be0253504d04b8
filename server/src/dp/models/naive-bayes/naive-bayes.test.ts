/**
 * Gaussian naive Bayes: planning, refusals, recovery of known class means, penguins accuracy on a
 * held-apart split, and privacy on neighbouring datasets.
 *
 * Statistical assertions and their false-positive rates (correct code fails with prob ≈ 1e-6):
 *  - means: each class mean within 6 noise standard deviations (propagated from the reported
 *    noise scale and the true class size) plus 6 sampling standard errors;
 *  - penguins: the MEAN held-out accuracy of 100 independent fits (noise only; fixed split) is
 *    above the stated floor by more than 6 standard errors of that mean (observed spread);
 *  - neighbouring datasets: empiricalLoss (testing/stats.ts), 5.5 standard errors.
 */
import { seededRng } from '../../rng';
import { empiricalLoss, histogram } from '../../testing/stats';
import { expectParameterError } from '../../testing/errors';
import { ONE } from '../common';
import {
  normal,
  penguinBounds,
  penguinRows,
  penguinSplit,
  uniforms,
  type PenguinFeature
} from '../testing/data';
import {
  naiveBayesStatistics,
  planNaiveBayes,
  predictNaiveBayes,
  releaseNaiveBayes,
  releaseNaiveBayesAccuracy,
  type NaiveBayesSpec
} from './index';

const spec = (budget: NaiveBayesSpec['budget'], extra: Partial<NaiveBayesSpec> = {}) => ({
  features: [
    { lower: 0, upper: 10 },
    { lower: -5, upper: 5 }
  ],
  classes: 3,
  budget,
  measure: 'pure' as const,
  ...extra
});

describe('planning', () => {
  it('one measurement over K(1 + 2d) values; row L1 = (1 + 2d)·ONE²; loss = ε', () => {
    const p = planNaiveBayes(spec({ epsilon: 1 }));
    expect(p.steps).toHaveLength(1);
    expect(p.statistics.length).toBe(15);
    expect(p.statistics.measurement.sensitivity.toString()).toBe(String(5n * ONE * ONE));
    expect(p.cost.measure === 'pure' && p.cost.epsilon.toString()).toBe('1');
    const e = planNaiveBayes(spec({ epsilon: 1 }, { evaluate: true }));
    expect(e.steps).toHaveLength(2);
    expect(e.cost.measure === 'pure' && e.cost.epsilon.toString()).toBe('1');
  });

  it('refuses bad input before anything runs', () => {
    expectParameterError(() => planNaiveBayes(spec({ epsilon: 1 }, { classes: 1 })), 'classes');
    expectParameterError(() => planNaiveBayes(spec({ epsilon: 1 }, { classes: 21 })), 'classes');
    expectParameterError(
      () => planNaiveBayes(spec({ epsilon: 1 }, { features: [{ lower: 1, upper: 0 }] })),
      'features[0].bounds'
    );
    expectParameterError(() => planNaiveBayes(spec({ epsilon: '0.0005' })), 'budget');
    expectParameterError(
      () => planNaiveBayes(spec({ epsilon: 1 }, { varianceFloor: 0 })),
      'varianceFloor'
    );
  });
});

describe('recovers known class means', () => {
  const MEANS = [
    [2, -2],
    [5, 0],
    [8, 3]
  ];
  const SD = [1, 0.5];
  function data(n: number) {
    const u = uniforms(n);
    return Array.from({ length: n }, (_, i) => {
      const y = i % 3;
      return { x: MEANS[y].map((m, j) => m + SD[j] * normal(u)), y };
    });
  }
  it.each([
    [10_000, 1],
    [100_000, 1],
    [10_000, 10]
  ])('n = %d, ε = %d: means within 6 noise sd + 6 sampling se', (n, eps) => {
    const plan = planNaiveBayes(spec({ epsilon: eps }));
    const fit = releaseNaiveBayes(plan, naiveBayesStatistics(data(n), plan), seededRng(`nb${n}`));
    const perClass = n / 3;
    // noise of a mean (normalised): sd/n for the sum, plus mean·sd/n for the count; × half-range.
    const sdNorm = plan.statistics.sd / Number(ONE) ** 2;
    fit.means.forEach((row, k) =>
      row.forEach((m, j) => {
        const half = (plan.features[j].upper - plan.features[j].lower) / 2;
        const tol = (6 * sdNorm * 2 * half) / perClass + (6 * SD[j]) / Math.sqrt(perClass);
        expect(Math.abs(m - MEANS[k][j])).toBeLessThanOrEqual(tol);
      })
    );
    fit.priors.forEach(p => expect(Math.abs(p - 1 / 3)).toBeLessThan(0.02));
  });
});

describe('penguins species at ε = 1 (held-apart split kept here)', () => {
  const FEATURES: PenguinFeature[] = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm'];
  // Figures: mean held-out accuracy ≈ 0.90 at ε = 1 (Laplace, pure), ≈ 0.97 at ε = 10.
  it.each([
    [1, 0.85],
    [10, 0.95]
  ])('ε = %d: mean held-out accuracy of 100 fits above %d', (eps, floor) => {
    const { train, test } = penguinSplit();
    const plan = planNaiveBayes({
      features: penguinBounds(FEATURES),
      classes: 3,
      budget: { epsilon: eps },
      measure: 'pure'
    });
    const stats = naiveBayesStatistics(penguinRows(train, FEATURES), plan);
    const held = penguinRows(test, FEATURES);
    const rng = seededRng(`penguins-nb-${eps}`);
    const acc = Array.from({ length: 100 }, () => {
      const fit = releaseNaiveBayes(plan, stats, rng);
      return (
        held.filter(r => predictNaiveBayes(fit, plan.features, r.x) === r.y).length / held.length
      );
    });
    const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
    const se = Math.sqrt(
      acc.reduce((a, b) => a + (b - mean) ** 2, 0) / (acc.length - 1) / acc.length
    );
    console.log(
      `naive Bayes, penguins, ε = ${eps}: mean held-out accuracy ${mean.toFixed(3)} ± ${se.toFixed(3)} (min ${Math.min(...acc).toFixed(3)})`
    );
    expect(mean - 6 * se).toBeGreaterThan(floor);
  });
});

describe('the training accuracy release (evaluate)', () => {
  // Per fit: |released − exact training accuracy of that fit| ≤ 12 reported noise sd + 0.01
  // (the noise is a ratio of Laplace noises: P(beyond 12 sd) < e^-16 per fit, 20 fits).
  it('is in [0, 1] and within its reported noise of the exact training accuracy', async () => {
    const FEATURES: PenguinFeature[] = ['bill_length_mm', 'flipper_length_mm'];
    const { train } = penguinSplit();
    const rows = penguinRows(train, FEATURES);
    const plan = planNaiveBayes({
      features: penguinBounds(FEATURES),
      classes: 3,
      budget: { epsilon: 2 },
      measure: 'pure',
      evaluate: true
    });
    const stats = naiveBayesStatistics(rows, plan);
    const rng = seededRng('nb-evaluate');
    for (let i = 0; i < 20; i++) {
      const fit = releaseNaiveBayes(plan, stats, rng);
      const correct = rows.filter(r => predictNaiveBayes(fit, plan.features, r.x) === r.y).length;
      const acc = releaseNaiveBayesAccuracy(plan, fit, BigInt(correct), rng);
      expect(acc.value).toBeGreaterThanOrEqual(0);
      expect(acc.value).toBeLessThanOrEqual(1);
      expect(Math.abs(acc.value - correct / rows.length)).toBeLessThanOrEqual(
        12 * acc.noiseSd + 0.01
      );
    }
  });
});

describe('privacy on neighbouring datasets (empirical loss <= claimed ε + 5.5 se)', () => {
  it('ε = 1: a class mean of neighbours is ε-indistinguishable; a 10× violation is detected', () => {
    const tiny = (eps: number) =>
      planNaiveBayes({
        features: [{ lower: 0, upper: 1 }],
        classes: 2,
        budget: { epsilon: eps },
        measure: 'pure'
      });
    const rowsA = [0.2, 0.4, 0.6].map((x, i) => ({ x: [x], y: i % 2 }));
    const rowsB = [...rowsA, { x: [1], y: 0 }];
    const n = 20_000;
    const run = (eps: number, rows: typeof rowsA, seed: string) => {
      const plan = tiny(eps);
      const stats = naiveBayesStatistics(rows, plan);
      const rng = seededRng(seed);
      return histogram(
        Array.from({ length: n }, () => {
          const fit = releaseNaiveBayes(plan, stats, rng);
          return `${Math.round(fit.means[0][0] * 4)}|${Math.min(8, Math.round(fit.counts[0]))}`;
        })
      );
    };
    const l = empiricalLoss(run(1, rowsA, 'a'), run(1, rowsB, 'b'), n, n);
    expect(Number.isFinite(l.loss)).toBe(true);
    expect(l.loss).toBeLessThanOrEqual(1);
    expect(empiricalLoss(run(10, rowsA, 'c'), run(10, rowsB, 'd'), n, n).loss).toBeGreaterThan(1);
  });
});
