/**
 * The synthesizer: discretisation, planning (measurements, split, composed cost), bad input, the
 * post-processing steps, sampling, and privacy on neighbouring datasets.
 *
 * Statistical assertions and their false-positive rates (correct code fails with prob ≈ 1e-6):
 *  - neighbouring datasets: per output bin with >= 200 releases under both inputs, the lower
 *    confidence bound |ln(p̂A/p̂B)| − 5.5·sqrt(1/cA + 1/cB) must be <= the claimed ε (≈ 4e-8 per
 *    bin, < 30 bins compared). Power: a synthesizer whose true loss is 4× the claim is detected.
 *  - systematic allocation: every count is ⌊g·p⌋ or ⌈g·p⌉ (exact); its mean over 20,000 draws is
 *    within 4.89 standard errors of g·p (two-sided 1e-6 per value, 4 values).
 */
import { LomasError } from 'lomas-kernel/protocol';
import { Rational } from '../rational';
import { entropy, seededRng } from '../rng';
import { empiricalLoss, histogram, Z_1E6 } from '../testing/stats';
import { expectParameterError } from '../testing/errors';
import { binEdges, discretise, sampleValue, type ColumnSpec } from './domain';
import { fitTable, projectSimplex } from './estimate';
import { planSynthesis, type SynthesisSpec } from './plan';
import { allocate, sampleTree } from './sample';
import { pairScore } from './select';
import { synthesize, type MarginalCounts } from './synthesize';

const cat = (name: string, categories: string[], nullable = false): ColumnSpec => ({
  name,
  kind: 'categorical',
  categories,
  nullable
});
const num = (
  name: string,
  lower: number,
  upper: number,
  integer = false,
  nullable = false
): ColumnSpec => ({
  name,
  kind: 'numeric',
  lower,
  upper,
  integer,
  nullable
});

function spec(columns: ColumnSpec[], extra: Partial<SynthesisSpec> = {}): SynthesisSpec {
  return { columns, bins: 10, budget: { epsilon: '1' }, measure: 'pure', ...extra };
}

/** Exact marginal counts of rows of cell indices (the engine contract, computed by hand). */
function countsOf(cells: number[], rows: number[][]): MarginalCounts {
  const oneWay = cells.map(c => new Array<bigint>(c).fill(0n));
  const pairs = new Map<string, Array<[number, number, bigint]>>();
  for (const row of rows) row.forEach((c, i) => oneWay[i][c]++);
  for (let a = 0; a < cells.length; a++)
    for (let b = a + 1; b < cells.length; b++) {
      const m = new Map<string, bigint>();
      for (const row of rows)
        m.set(`${row[a]},${row[b]}`, (m.get(`${row[a]},${row[b]}`) ?? 0n) + 1n);
      pairs.set(
        `${a},${b}`,
        [...m].map(([k, n]) => {
          const [x, y] = k.split(',').map(Number);
          return [x, y, n];
        })
      );
    }
  return { oneWay, pairs };
}

describe('discretisation (public bins and categories)', () => {
  it('int columns: one bin per value when they fit, else whole-number bins of equal width', () => {
    const small = discretise(num('c', 3, 12, true), 16);
    expect([small.values, small.width, small.cells]).toEqual([10, 1, 10]);
    const wide = discretise(num('m', 2500, 6500, true, true), 10);
    expect([wide.values, wide.width, wide.cells]).toEqual([10, 401, 11]);
    expect(binEdges(wide).slice(0, 3)).toEqual([2500, 2901, 3302]);
    // spans up to 2^54 are exact
    const huge = discretise(num('h', -(2 ** 53 - 1), 2 ** 53 - 1, true), 2);
    expect(huge.values).toBe(2);
    expect(huge.step).toBe(2n ** 53n); // ⌈(2^54 − 1)/2⌉
  });

  it('float, datetime and categorical columns; NULL is cell 0 of a nullable column', () => {
    const f = discretise(num('x', 30, 60), 10);
    expect([f.values, f.width]).toEqual([10, 3]);
    expect(discretise(num('z', 0, 0), 10).values).toBe(1);
    const t = discretise(
      {
        name: 't',
        kind: 'datetime',
        lower: Date.UTC(2001, 0, 1),
        upper: Date.UTC(2001, 0, 2) - 1,
        nullable: false
      },
      4
    );
    expect([t.values, t.width]).toEqual([4, 6 * 3600 * 1000]);
    expect(discretise(cat('s', ['a', 'b'], true), 10).cells).toBe(3);
    expectParameterError(() => discretise(cat('s', []), 10), 'columns.s');
    expectParameterError(() => discretise(num('x', 2, 1), 10), 'columns.x');
  });

  it('sampled values stay in their bin (ints exact, floats rounded, datetimes ISO)', () => {
    const e = entropy(seededRng('values'));
    const m = discretise(num('m', 2500, 6500, true, true), 10);
    for (let i = 0; i < 500; i++) {
      const cell = 1 + (i % 10);
      const v = sampleValue(m, cell, e) as number;
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(2500 + (cell - 1) * 401);
      expect(v).toBeLessThanOrEqual(Math.min(6500, 2500 + cell * 401 - 1));
    }
    expect(sampleValue(m, 0, e)).toBeNull();
    const f = discretise(num('x', 30, 60), 10);
    for (let i = 0; i < 500; i++) {
      const v = sampleValue(f, i % 10, e) as number;
      expect(v).toBeGreaterThanOrEqual(30 + (i % 10) * 3);
      expect(v).toBeLessThanOrEqual(i % 10 === 9 ? 60 : 33 + (i % 10) * 3);
    }
    const t = discretise(
      { name: 't', kind: 'datetime', lower: 0, upper: 86_399_999, nullable: false },
      2
    );
    expect(sampleValue(t, 1, e)).toMatch(/^1970-01-01T(1[2-9]|2[0-3]):/);
  });
});

describe('planning (no data, no randomness)', () => {
  it('splits ε in three equal parts: d one-way, d − 1 selections, d − 1 pairs; cost = ε exactly', () => {
    const p = planSynthesis(
      spec([cat('a', ['x', 'y']), cat('b', ['u', 'v']), num('c', 0, 1)], {
        budget: { epsilon: '0.9' }
      })
    );
    expect([p.oneWay.length, p.selection.length, p.pairs.length, p.rounds]).toEqual([3, 2, 2, 2]);
    expect(p.oneWay.map(m => m.loss)).toEqual(
      new Array(3).fill({ measure: 'pure', epsilon: Rational.of(1n, 10n) })
    );
    expect(p.selection[0].loss).toEqual({ measure: 'pure', epsilon: Rational.of(3n, 20n) });
    expect(p.pairs[0].loss).toEqual({ measure: 'pure', epsilon: Rational.of(3n, 20n) });
    expect(p.cost).toEqual({ measure: 'pure', epsilon: Rational.of(9n, 10n) });
    expect(p.cost).toEqual(p.composition.loss);
    // Laplace scale = Δ₁/ε_part = 10; permute-and-flip scale = 2Δ/ε_round
    expect(p.stages.oneWay.scale.toString()).toBe('10');
    expect(p.stages.selection!.scale.toString()).toBe('40/3');
  });

  it('one column: the whole budget measures its marginal; users with k rows scale the sensitivity', () => {
    const p = planSynthesis(
      spec([cat('a', ['x', 'y'])], { budget: { epsilon: '2' }, unit: { kind: 'user', maxRows: 3 } })
    );
    expect([p.rounds, p.selection.length, p.pairs.length]).toEqual([0, 0, 0]);
    expect(p.stages.oneWay.scale.toString()).toBe('3/2');
    expect(p.cost).toEqual({ measure: 'pure', epsilon: Rational.of(2n) });
  });

  it('ρ on a zCDP dataset: Gaussian and the exponential mechanism, cost = ρ', () => {
    const p = planSynthesis(
      spec([cat('a', ['x', 'y']), cat('b', ['u'])], { budget: { rho: '0.3' }, measure: 'zcdp' })
    );
    expect(p.family).toBe('gaussian');
    expect(p.stages.selection!.mechanism).toBe('exponential');
    expect(p.cost).toEqual({ measure: 'zcdp', rho: Rational.of(3n, 10n), delta: Rational.ZERO });
  });

  it('(ε, δ) with Gaussian on an (ε, δ) dataset: the composed ρ is cast once, within the request', () => {
    const p = planSynthesis(
      spec([cat('a', ['x', 'y']), cat('b', ['u'])], {
        budget: { epsilon: '1', delta: '0.000001' },
        mechanism: 'gaussian',
        measure: 'approx'
      })
    );
    expect(p.cost.measure).toBe('approx');
    expect(p.composition.loss).toEqual(p.cost);
    if (p.cost.measure === 'approx') {
      expect(p.cost.epsilon.lte(Rational.ONE)).toBe(true);
      expect(p.cost.delta.eq(Rational.of(1n, 1_000_000n))).toBe(true);
    }
  });

  it('ε on a zCDP dataset: each Laplace part is charged ρ = ε²/2', () => {
    const p = planSynthesis(
      spec([cat('a', ['x', 'y']), cat('b', ['u'])], { budget: { epsilon: '0.6' }, measure: 'zcdp' })
    );
    // parts: 2 × 0.1, 1 × 0.2, 1 × 0.2 → ρ = (2·0.01 + 2·0.04)/2 = 0.05
    expect(p.cost).toEqual({ measure: 'zcdp', rho: Rational.of(1n, 20n), delta: Rational.ZERO });
  });
});

describe('bad input is refused before anything runs', () => {
  it('too many or no columns, a column twice', () => {
    const many = Array.from({ length: 17 }, (_, i) => cat(`c${i}`, ['a']));
    const e = expectParameterError(() => planSynthesis(spec(many)), 'columns');
    expect(e.message).toMatch(/at most 16 columns/);
    expectParameterError(() => planSynthesis(spec([])), 'columns');
    expectParameterError(() => planSynthesis(spec([cat('a', ['x']), cat('a', ['y'])])), 'columns');
  });

  it('a budget too small to measure anything names the smallest that would do', () => {
    const e = expectParameterError(
      () =>
        planSynthesis(spec([cat('a', ['x']), cat('b', ['y'])], { budget: { epsilon: '0.0001' } })),
      'budget'
    );
    expect(e.message).toMatch(/too small to measure anything/);
    expect(e.message).toMatch(/at least ε = 0\.00085/);
    // the smallest suggested budget is accepted
    planSynthesis(spec([cat('a', ['x']), cat('b', ['y'])], { budget: { epsilon: '0.00085' } }));
    expectParameterError(
      () => planSynthesis(spec([cat('a', ['x'])], { budget: { rho: '1e-12' }, measure: 'zcdp' })),
      'budget'
    );
  });

  it('a pure-ε dataset refuses ρ and δ (rule pure-dp-dataset)', () => {
    for (const budget of [{ rho: '1' }, { epsilon: '1', delta: '0.001' }]) {
      let err: unknown;
      try {
        planSynthesis(
          spec([cat('a', ['x'])], { budget, mechanism: 'rho' in budget ? undefined : 'gaussian' })
        );
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LomasError);
      expect((err as LomasError).details.rule).toBe('pure-dp-dataset');
    }
  });
});

describe('post-processing (released values only)', () => {
  it('projectSimplex: non-negative, sums to the total, the identity on feasible points', () => {
    const x = projectSimplex([5, -3, 2, 0.5], 6);
    expect(Array.from(x)).toEqual([4.5, 0, 1.5, 0]); // shift 0.5, clipped at 0
    expect(x.reduce((a, b) => a + b, 0)).toBeCloseTo(6, 12);
    expect(Array.from(projectSimplex([1, 2, 3], 6))).toEqual([1, 2, 3]);
    expect(Array.from(projectSimplex([1, 2], -1))).toEqual([0, 0]);
  });

  it('fitTable: non-negative, margins hold, a consistent table is left alone', () => {
    const y = [10, -2, 3, 4, 6, -1];
    const t = fitTable(y, [9, 11], [8, 7, 5]);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    // margins within the default tolerance (1e-6 of the total)
    expect(Math.abs(t[0] + t[1] + t[2] - 9)).toBeLessThanOrEqual(2e-5);
    expect(Math.abs(t[3] + t[4] + t[5] - 11)).toBeLessThanOrEqual(2e-5);
    expect(Math.abs(t[0] + t[3] - 8)).toBeLessThanOrEqual(2e-5);
    const ok = [1, 2, 3, 4];
    expect(Array.from(fitTable(ok, [3, 7], [4, 6])).map(v => Math.round(v * 1e9) / 1e9)).toEqual(
      ok
    );
    // a row with no mass gets the column shape
    const z = fitTable([0, 0, 5, 5], [4, 10], [7, 7]);
    expect(Math.abs(z[0] + z[1] - 4)).toBeLessThanOrEqual(2e-5);
  });

  it('pairScore: L1 distance to the independence prediction, in whole rows', () => {
    expect(pairScore([5, 0, 0, 5], [5, 5], [5, 5], 10)).toBe(10n); // est 3,3,3,3 (2.5 rounds up)
    expect(pairScore([3, 2, 3, 2], [5, 5], [6, 4], 10)).toBe(0n);
  });
});

describe('sampling (post-processing with the Rng)', () => {
  it('systematic allocation: each count is ⌊g·p⌋ or ⌈g·p⌉, unbiased (z-test at 1e-6)', () => {
    const e = entropy(seededRng('allocate'));
    const w = [0.1, 0.35, 0, 0.55];
    const g = 37;
    const n = 20_000;
    const sums = [0, 0, 0, 0];
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const c = allocate(g, w, e);
      if (c.reduce((a, b) => a + b, 0) !== g) bad++;
      c.forEach((k, j) => {
        if (k !== Math.floor(g * w[j]) && k !== Math.ceil(g * w[j])) bad++;
        sums[j] += k;
      });
    }
    expect(bad).toBe(0);
    w.forEach((p, j) => {
      const frac = g * p - Math.floor(g * p);
      const se = Math.sqrt((frac * (1 - frac)) / n);
      expect(Math.abs(sums[j] / n - g * p)).toBeLessThanOrEqual(Z_1E6 * se + 1e-9);
    });
    expect(Array.from(allocate(5, [0, 0], e)).reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('rows drawn from a tree follow its pair table up to rounding', () => {
    const table = Float64Array.from([30, 10, 0, 60]); // P(a, b) on 2 × 2
    const codes = sampleTree(
      {
        sizes: [2, 2],
        oneWay: [Float64Array.from([40, 60]), Float64Array.from([30, 70])],
        edges: [{ a: 0, b: 1, table }]
      },
      1000,
      entropy(seededRng('tree'))
    );
    const m = [0, 0, 0, 0];
    for (let r = 0; r < 1000; r++) m[codes[0][r] * 2 + codes[1][r]]++;
    expect(m[0]).toBeGreaterThanOrEqual(299);
    expect(m[0]).toBeLessThanOrEqual(301);
    expect(m[2]).toBe(0);
    expect(m[3]).toBeGreaterThanOrEqual(599);
  });
});

describe('synthesize', () => {
  const cols = [cat('a', ['x', 'y']), cat('b', ['u', 'v']), num('c', 0, 3, true, true)];
  const rows: number[][] = [];
  for (let i = 0; i < 400; i++) rows.push([i % 2, i % 2, i % 3 === 0 ? 0 : 1 + (i % 4)]);

  it('releases rows of the requested size with the public values; the tree spans the columns', () => {
    const plan = planSynthesis(spec(cols, { budget: { epsilon: '30' } }));
    const s = synthesize(plan, countsOf([2, 2, 5], rows), 250, seededRng('synth'));
    expect(s.data.map(c => c.length)).toEqual([250, 250, 250]);
    expect(new Set(s.data[0])).toEqual(new Set(['x', 'y']));
    expect(
      s.data[2].every(
        v => v === null || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 3)
      )
    ).toBe(true);
    expect(s.tree).toHaveLength(2);
    // a and b are equal in the data: with ε = 30 the tree measures that pair and keeps it
    expect(s.tree.map(p => p.join(','))).toContain('0,1');
    const same = s.data[0].filter((v, r) => (v === 'x') === (s.data[1][r] === 'u')).length;
    expect(same).toBeGreaterThan(240);
    expect(Math.abs(s.rowsEstimate - 400)).toBeLessThan(10);
  });

  it('malformed engine counts are refused (an engine bug), not trusted', () => {
    const plan = planSynthesis(spec(cols));
    const good = countsOf([2, 2, 5], rows);
    expect(() =>
      synthesize(plan, { ...good, oneWay: good.oneWay.slice(1) }, 10, seededRng('x'))
    ).toThrow(LomasError);
    expect(() =>
      synthesize(
        plan,
        { ...good, pairs: new Map([['0,1', [[5, 0, 1n] as [number, number, bigint]]]]) },
        10,
        seededRng('x')
      )
    ).toThrow(LomasError);
    expect(() =>
      synthesize(
        plan,
        { ...good, oneWay: [[1n, -1n], good.oneWay[1], good.oneWay[2]] },
        10,
        seededRng('x')
      )
    ).toThrow(LomasError);
  });
});

describe('privacy on neighbouring datasets (empirical loss <= claimed ε + 5.5 se)', () => {
  // Two binary columns; the neighbour adds one row (y, v). The output statistic (a function of the
  // release, so its loss is at most the release's): the synthetic count of (y, v) among 200 rows,
  // in tens, and the noisy row count in threes.
  const cols = [cat('a', ['x', 'y']), cat('b', ['u', 'v'])];
  const base = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
    [1, 1],
    [0, 0],
    [0, 1],
    [1, 0]
  ];
  const d = countsOf([2, 2], base);
  const dPrime = countsOf([2, 2], [...base, [1, 1]]);
  const n = 15_000;

  function releases(epsilon: string, counts: MarginalCounts, seed: string): Map<string, number> {
    const plan = planSynthesis(spec(cols, { budget: { epsilon } }));
    const rng = seededRng(seed);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = synthesize(plan, counts, 200, rng);
      let k = 0;
      for (let r = 0; r < 200; r++) if (s.data[0][r] === 'y' && s.data[1][r] === 'v') k++;
      out.push(`${Math.floor(k / 10)}:${Math.round(s.rowsEstimate / 3)}`);
    }
    return histogram(out);
  }

  it('ε = 1: within the claim; and the test detects a synthesizer whose true loss is 4', () => {
    const honest = empiricalLoss(releases('1', d, 'n1a'), releases('1', dPrime, 'n1b'), n, n);
    expect(Number.isFinite(honest.loss)).toBe(true);
    expect(honest.loss).toBeLessThanOrEqual(1);
    const weak = empiricalLoss(releases('4', d, 'n4a'), releases('4', dPrime, 'n4b'), n, n);
    expect(weak.loss).toBeGreaterThan(1);
  });
});
