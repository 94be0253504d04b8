/**
 * k-means (DP Lloyd): planning, refusals, recovery of known centres, the inertia release, and
 * privacy on neighbouring datasets.
 *
 * Statistical assertions and their false-positive rates (correct code fails with prob ≈ 1e-6):
 *  - centres: each recovered centre within 6 noise standard deviations of its mean (propagated
 *    from the reported scale and the true cluster size) plus 6 sampling standard errors of the
 *    true centre (clusters 20 standard deviations apart: the assignment is exact);
 *  - neighbouring datasets: empiricalLoss (testing/stats.ts), 5.5 standard errors.
 */
import { seededRng } from '../../rng';
import { empiricalLoss, histogram } from '../../testing/stats';
import { expectParameterError } from '../../testing/errors';
import { ONE } from '../common';
import { normal, uniforms } from '../testing/data';
import { defaultCentres, fitKMeans, kmeansOracle, planKMeans, type KMeansSpec } from './index';

const spec = (budget: KMeansSpec['budget'], extra: Partial<KMeansSpec> = {}): KMeansSpec => ({
  features: [
    { lower: 0, upper: 100 },
    { lower: 0, upper: 100 }
  ],
  clusters: 3,
  budget,
  measure: 'pure',
  ...extra
});

describe('planning', () => {
  it('T rounds over K(1 + d) values; row L1 = (1 + d)·ONE; loss = ε', () => {
    const p = planKMeans(spec({ epsilon: 1 }, { iterations: 4 }));
    expect(p.steps).toHaveLength(4);
    expect(p.rounds[0].length).toBe(9);
    expect(p.rounds[0].measurement.sensitivity.toString()).toBe(String(3n * ONE));
    expect(p.cost.measure === 'pure' && p.cost.epsilon.toString()).toBe('1');
    expect(planKMeans(spec({ rho: 1 }, { measure: 'zcdp', evaluate: true })).steps).toHaveLength(6);
  });

  it('default centres are public Halton points inside the box, distinct', () => {
    const c = defaultCentres(4, 2);
    expect(c).toHaveLength(4);
    expect(new Set(c.map(x => x.join())).size).toBe(4);
    for (const x of c.flat()) expect(Math.abs(x)).toBeLessThanOrEqual(0.8);
  });

  it('refuses bad input before anything runs', () => {
    expectParameterError(() => planKMeans(spec({ epsilon: 1 }, { clusters: 17 })), 'clusters');
    expectParameterError(() => planKMeans(spec({ epsilon: 1 }, { iterations: 51 })), 'iterations');
    expectParameterError(() => planKMeans(spec({ epsilon: 1 }, { init: [[1, 2]] })), 'init');
    expectParameterError(
      () =>
        planKMeans(
          spec(
            { epsilon: 1 },
            {
              init: [
                [1, 2],
                [3, NaN],
                [5, 6]
              ]
            }
          )
        ),
      'init[1]'
    );
    expectParameterError(() => planKMeans(spec({ epsilon: '0.004' }, { iterations: 5 })), 'budget');
  });
});

describe('recovers known centres', () => {
  const TRUE = [
    [20, 20],
    [50, 80],
    [80, 30]
  ];
  const SD = 1.5;
  function data(n: number) {
    const u = uniforms(n + 5);
    return Array.from({ length: n }, (_, i) => TRUE[i % 3].map(m => m + SD * normal(u)));
  }
  it.each([
    [10_000, 1],
    [100_000, 1],
    [10_000, 10]
  ])('n = %d, ε = %d: every centre found within the stated error', async (n, eps) => {
    const plan = planKMeans(spec({ epsilon: eps }));
    const rows = data(n);
    const fit = await fitKMeans(plan, kmeansOracle(rows, plan), seededRng(`km-${n}-${eps}`));
    // Noise of a centre coordinate (original units): (sd_sum + |c|·sd_count)/(n/3) on the
    // normalised scale, ≤ 2·sd/(n/3), times the half-range 50.
    const sd = plan.rounds[0].sd / Number(ONE);
    const tol = (6 * 2 * sd * 50) / (n / 3) + (6 * SD) / Math.sqrt(n / 3);
    for (const t of TRUE) {
      const best = Math.min(
        ...fit.centres.map(c => Math.max(...c.map((v, j) => Math.abs(v - t[j]))))
      );
      expect(best).toBeLessThanOrEqual(tol);
    }
    console.log(
      `k-means n = ${n}, ε = ${eps}: centres ${JSON.stringify(fit.centres.map(c => c.map(v => +v.toFixed(2))))}`
    );
  });

  it('the inertia release is close to the exact inertia of the final centres', async () => {
    const plan = planKMeans(spec({ epsilon: 10 }, { evaluate: true }));
    const rows = data(30_000);
    const fit = await fitKMeans(plan, kmeansOracle(rows, plan), seededRng('inertia'));
    // exact inertia on the normalised scale: each coordinate's variance (1.5/50)² per row
    const expected = rows.length * 2 * (SD / 50) ** 2;
    expect(fit.inertia).toBeDefined();
    expect(Math.abs(fit.inertia!.value - expected)).toBeLessThan(
      0.1 * expected + 6 * fit.inertia!.noiseSd
    );
  });
});

describe('privacy on neighbouring datasets (empirical loss <= claimed ε + 5.5 se)', () => {
  it('ε = 1, two rounds: a centre of neighbours is ε-indistinguishable; a 10× violation is detected', async () => {
    const tiny = (eps: number) =>
      planKMeans({
        features: [{ lower: 0, upper: 1 }],
        clusters: 2,
        iterations: 2,
        init: [[0.25], [0.75]],
        budget: { epsilon: eps },
        measure: 'pure'
      });
    const rowsA = [[0.1], [0.2], [0.8], [0.9]];
    const rowsB = [...rowsA, [1]];
    const n = 20_000;
    const run = async (eps: number, rows: number[][], seed: string) => {
      const plan = tiny(eps);
      const oracle = kmeansOracle(rows, plan);
      const rng = seededRng(seed);
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const fit = await fitKMeans(plan, oracle, rng);
        out.push(`${Math.round(fit.centres[1][0] * 5)}|${Math.round(fit.centres[0][0] * 5)}`);
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
