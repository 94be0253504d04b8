/**
 * Aggregations: planning, release, privacy on neighbouring datasets, coverage, bad input.
 *
 * Statistical assertions and their false-positive rates (correct code fails with prob ≈ 1e-6):
 *  - neighbouring-dataset tests: for each output bin with >= 200 releases under both inputs, the
 *    lower confidence bound |ln(p̂A/p̂B)| − 5.5·sqrt(1/cA + 1/cB) must be <= the claimed ε
 *    (per bin ≈ 4e-8; at most ~25 bins compared → ≈ 1e-6). Tolerance stated: 5.5 standard errors
 *    of the log-ratio. Power: a mechanism with half the claimed scale is detected.
 *  - coverage: Wilson interval at z = 4.89 (two-sided 1e-6).
 */
import { LomasError, accuracyTargetError, gaussianNeedsDelta } from 'lomas-kernel/protocol';
import { discreteLaplaceTail } from '../accuracy';
import { zcdpToApprox } from '../accounting';
import { fromFloatExact, parseAmount, Rational, toNumber } from '../rational';
import { cryptoRng, Rng, seededRng } from '../rng';
import { empiricalLoss, histogram, wilson } from '../testing/stats';
import {
  AggregationSpec,
  GroupStatistics,
  planAggregation,
  planCount,
  releaseAggregation,
  releaseCount
} from './index';
import { expectParameterError } from '../testing/errors';

function releases(
  spec: AggregationSpec,
  stats: GroupStatistics,
  n: number,
  rng: Rng,
  bin: (x: number) => string
): Map<string, number> {
  const plan = planAggregation(spec);
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    out.push(bin(releaseAggregation(plan, stats, rng).values[0].estimate));
  return histogram(out);
}

function checkPrivacy(
  spec: AggregationSpec,
  a: GroupStatistics,
  b: GroupStatistics,
  n: number,
  bin: (x: number) => string,
  eps: number
): void {
  const rng = seededRng(`priv-${spec.kind}-${JSON.stringify(spec.bounds ?? '')}`);
  const ha = releases(spec, a, n, rng, bin);
  const hb = releases(spec, b, n, rng, bin);
  const l = empiricalLoss(ha, hb, n, n);
  expect(l.loss).toBeLessThanOrEqual(eps);
  expect(Number.isFinite(l.loss)).toBe(true); // some bins were compared
}

describe('planning (no data, no randomness)', () => {
  it('count: sensitivity 1, scale 1/ε, cost ε, half-width from the exact tail', () => {
    const p = planCount({ budget: { epsilon: '0.5' } });
    expect(p.statistics[0].sensitivity.toString()).toBe('1');
    expect(p.statistics[0].scale.toString()).toBe('2');
    expect(p.cost).toEqual({ measure: 'pure', epsilon: Rational.of(1n, 2n) });
    expect(p.halfWidth).toBe(6); // P(|Z| > 6) = 0.0377 <= 0.05 < P(|Z| > 5)
    expect(discreteLaplaceTail(2, 6)).toBeLessThanOrEqual(0.05);
    expect(discreteLaplaceTail(2, 5)).toBeGreaterThan(0.05);
  });

  it('privacy units scale the sensitivity (row, max_ids, L0/L∞)', () => {
    const row = planCount({ budget: { epsilon: 1 } });
    const user = planCount({ budget: { epsilon: 1 }, unit: { kind: 'user', maxRows: 3 } });
    const grouped = planCount({
      budget: { epsilon: 1 },
      unit: { kind: 'user', maxRows: 10, maxGroups: 2, maxRowsPerGroup: 1 },
      groups: { kind: 'public', keys: ['a', 'b', 'c'] }
    });
    expect(row.statistics[0].sensitivity.toString()).toBe('1');
    expect(user.statistics[0].sensitivity.toString()).toBe('3');
    expect(grouped.statistics[0].sensitivity.toString()).toBe('2'); // L0·L∞
    const gauss = planCount({
      budget: { rho: '0.5' },
      unit: { kind: 'user', maxRows: 4, maxRowsPerGroup: 1 },
      groups: { kind: 'public', keys: ['a', 'b', 'c', 'd', 'e'] }
    });
    expect(gauss.statistics[0].sensitivity.toString()).toBe('4'); // squared L2 = L∞·min(rows, L0·L∞)
    expect(gauss.cost.measure).toBe('zcdp');
  });

  it('sum: sensitivity max(|L|,|U|) on the fixed-point grid; ε exactly as requested', () => {
    const p = planAggregation({ kind: 'sum', bounds: [-3, 10], grid: 0, budget: { epsilon: 1 } });
    expect(p.statistics[0].sensitivity.toString()).toBe('10');
    expect(p.cost).toEqual({ measure: 'pure', epsilon: Rational.ONE });
    const d = planAggregation({ kind: 'sum', bounds: [0, 2.5], budget: { epsilon: 1 } });
    expect(d.grid).toBe(Math.ceil(Math.log2(2.5)) - 40);
    expect(d.needs).toEqual({ count: true, sum: true, sumSquares: false, quantileCounts: false });
  });

  it('accuracy-first: the ε needed for ±10 at 95% meets it', () => {
    const p = planCount({ accuracy: { halfWidth: 10, confidence: 0.95 } });
    expect(p.halfWidth).toBeLessThanOrEqual(10);
    expect(p.cost.measure === 'pure' && toNumber(p.cost.epsilon)).toBeLessThan(0.35);
    const g = planAggregation({
      kind: 'sum',
      bounds: [0, 100],
      accuracy: { halfWidth: 50 },
      mechanism: 'gaussian'
    });
    expect(g.halfWidth).toBeLessThanOrEqual(50);
    expect(g.cost.measure).toBe('zcdp');
  });

  it('private keys: a δ-calibrated threshold, cost (ε, δ)', () => {
    const p = planCount({ budget: { epsilon: 1 }, groups: { kind: 'private', delta: '1e-6' } });
    expect(p.groups.kind === 'private' && p.groups.threshold > 10n).toBe(true);
    expect(p.cost).toEqual({
      measure: 'approx',
      epsilon: Rational.ONE,
      delta: parseAmount('1e-6')
    });
  });

  it('Gaussian with an (ε, δ) budget: the (ε, δ) of its σ is at most the request, which is charged', () => {
    const p = planCount({ budget: { epsilon: 1, delta: '1e-6' }, mechanism: 'gaussian' });
    expect(p.cost).toEqual({
      measure: 'approx',
      epsilon: Rational.ONE,
      delta: parseAmount('1e-6')
    });
    const sigma = p.statistics[0].scale;
    const rho = Rational.ONE.div(sigma.mul(sigma).mulInt(2n));
    expect(zcdpToApprox(rho, parseAmount('1e-6')).lte(Rational.ONE)).toBe(true);
    expect(p.statistics[0].mechanism).toBe('discrete_gaussian');
  });

  it('regression (zCDP δ bypass): Gaussian noise on a zCDP dataset is charged the ρ of its σ, whatever the budget form', () => {
    // (ε = 0.01, δ = 0.5) buys σ ≈ 1.13: the ρ of that σ (≈ 0.39) is charged, not ε²/2 = 5e-5.
    const p = planCount({
      budget: { epsilon: '0.01', delta: '0.5' },
      mechanism: 'gaussian',
      measure: 'zcdp'
    });
    const sigma = p.statistics[0].scale;
    const rho = Rational.ONE.div(sigma.mul(sigma).mulInt(2n));
    expect(p.cost.measure).toBe('zcdp');
    const charged = p.cost.measure === 'zcdp' ? p.cost.rho : Rational.ZERO;
    expect(rho.lte(charged)).toBe(true);
    expect(toNumber(charged)).toBeLessThan(toNumber(rho) * (1 + 1e-9));
    expect(toNumber(rho)).toBeGreaterThan(0.3);
  });

  it('regression (zCDP δ bypass): key discovery on a zCDP dataset charges its δ', () => {
    const p = planCount({
      budget: { rho: '0.001' },
      groups: { kind: 'private', delta: '0.5' },
      measure: 'zcdp'
    });
    expect(p.cost.measure === 'zcdp' && p.cost.delta.eq(parseAmount('0.5'))).toBe(true);
  });

  it('the cost is the composition of the statistics measurements, and they carry the scales used', () => {
    const p = planAggregation({
      kind: 'mean',
      bounds: [0, 10],
      budget: { epsilon: 1 },
      groups: { kind: 'public', keys: ['a', 'b'] }
    });
    expect(p.composition.parts).toHaveLength(2);
    expect(p.composition.loss).toBe(p.cost);
    for (const s of p.statistics) expect(s.measurement.scale.eq(s.scale)).toBe(true);
    expect(p.cost).toEqual({ measure: 'pure', epsilon: Rational.ONE });
  });

  it('a δ on a pure dataset is refused with PRIVACY_RULE before anything else', () => {
    let err: unknown;
    try {
      planCount({ budget: { epsilon: 1, delta: '1e-6' }, measure: 'pure' });
    } catch (e) {
      err = e;
    }
    expect(err instanceof LomasError && err.code).toBe('PRIVACY_RULE');
  });
});

describe('release', () => {
  it('public keys: every key is released, absent ones with noise too; unknown keys ignored', () => {
    const plan = planCount({
      budget: { epsilon: 1 },
      groups: { kind: 'public', keys: ['a', 'b', 'c'] }
    });
    const rng = seededRng('keys');
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const r = releaseCount(
        plan,
        [
          { key: 'a', count: 100n },
          { key: 'zzz', count: 5n }
        ],
        rng
      );
      expect(r.values.map(v => v.key)).toEqual(['a', 'b', 'c']);
      seen.add(r.values[1].estimate);
      expect(
        r.values[0].lower! <= r.values[0].estimate && r.values[0].estimate <= r.values[0].upper!
      ).toBe(true);
    }
    expect(seen.size).toBeGreaterThan(1); // the absent group is noised, not a constant 0
  });

  it('private keys: small groups suppressed, large released', () => {
    const plan = planCount({ budget: { epsilon: 1 }, groups: { kind: 'private', delta: '1e-6' } });
    const r = releaseCount(
      plan,
      [
        { key: 'big', count: 1000n },
        { key: 'tiny', count: 1n }
      ],
      seededRng('pk')
    );
    expect(r.values.map(v => v.key)).toEqual(['big']);
  });

  it('mean / variance / stdev / median on known data', () => {
    const rng = seededRng('stats');
    // 1,000 values: half 0, half 100 → mean 50, variance (ddof 1) ≈ 2502.5, median between
    const base = { bounds: [0, 100] as [number, number], budget: { epsilon: 4 } };
    const pm = planAggregation({ kind: 'mean', ...base });
    const f = 2n ** BigInt(-pm.grid);
    const m = releaseAggregation(pm, { count: 1000n, sum: 50_000n * f }, rng).values[0];
    expect(Math.abs(m.estimate - 50)).toBeLessThan(2);
    expect(m.lower! <= 50 && 50 <= m.upper!).toBe(true);
    const pv = planAggregation({ kind: 'variance', ...base });
    const g = 2n ** BigInt(-pv.grid);
    const v = releaseAggregation(
      pv,
      { count: 1000n, sum: 50_000n * g, sumSquares: 500n * 10_000n * g * g },
      rng
    ).values[0];
    expect(Math.abs(v.estimate - 2502.5)).toBeLessThan(300);
    expect(v.lower! <= 2502.5 && 2502.5 <= v.upper!).toBe(true);
    const ps = planAggregation({ kind: 'stdev', ...base, ddof: 0 });
    const s = releaseAggregation(
      ps,
      { count: 1000n, sum: 50_000n * g, sumSquares: 500n * 10_000n * g * g },
      rng
    ).values[0];
    expect(Math.abs(s.estimate - 50)).toBeLessThan(3);
    const pq = planAggregation({
      kind: 'quantile',
      quantile: 0.25,
      candidates: [0, 25, 50, 75, 100],
      budget: { epsilon: 2 }
    });
    // data 1..100: below/above per candidate
    const c = pq.candidates!;
    const q = releaseAggregation(
      pq,
      {
        count: 100n,
        below: c.map(x => BigInt(Math.max(0, Math.ceil(x) - 1))),
        above: c.map(x => BigInt(100 - Math.min(100, Math.floor(x))))
      },
      rng
    ).values[0];
    expect(q.estimate).toBe(25);
    expect(q.lower).toBeNull();
  });

  it('red team: sum releases lie on the declared grid; the engine statistics are clamped to the bounds', () => {
    const plan = planAggregation({ kind: 'sum', bounds: [0, 1], budget: { epsilon: 1 } });
    const rng = seededRng('sum-grid');
    for (let i = 0; i < 200; i++) {
      const v = releaseAggregation(plan, { count: 10n, sum: 5n << BigInt(-plan.grid) }, rng)
        .values[0];
      expect(fromFloatExact(v.estimate).mul(Rational.pow2(-plan.grid)).isInteger()).toBe(true);
    }
    // a sum beyond n·U (engine bug) is clamped, not trusted
    const huge = releaseAggregation(plan, { count: 1n, sum: 1n << 200n }, rng).values[0];
    expect(huge.estimate).toBeLessThan(100);
  });

  it('works on cryptoRng', () => {
    const plan = planCount({ budget: { epsilon: 1 } });
    const v = releaseCount(plan, { count: 42n }, cryptoRng()).values[0];
    expect(Math.abs(v.estimate - 42)).toBeLessThan(30);
  });
});

describe('privacy on neighbouring datasets (empirical loss <= claimed ε + 5.5 se)', () => {
  const intBin = (x: number) => String(x);
  it('count, ε = 1: neighbours 10 vs 11; and the test detects a 2× violation', () => {
    checkPrivacy(
      { kind: 'count', budget: { epsilon: 1 } },
      { count: 10n },
      { count: 11n },
      100_000,
      intBin,
      1
    );
    // power: a mechanism with half the scale (true ε = 2) claimed as ε = 1 is caught
    const rng = seededRng('power');
    const ha = releases(
      { kind: 'count', budget: { epsilon: 2 } },
      { count: 10n },
      100_000,
      rng,
      intBin
    );
    const hb = releases(
      { kind: 'count', budget: { epsilon: 2 } },
      { count: 11n },
      100_000,
      rng,
      intBin
    );
    expect(empiricalLoss(ha, hb, 100_000, 100_000).loss).toBeGreaterThan(1);
  });

  it('sum, ε = 1, bounds [0, 10]: neighbours differ by one row at the bound (integer grid and default grid)', () => {
    checkPrivacy(
      { kind: 'sum', bounds: [0, 10], grid: 0, budget: { epsilon: 1 } },
      { count: 10n, sum: 50n },
      { count: 11n, sum: 60n },
      60_000,
      x => String(Math.floor(x / 2)),
      1
    );
    const plan = planAggregation({ kind: 'sum', bounds: [0, 10], budget: { epsilon: 1 } });
    const f = 2n ** BigInt(-plan.grid);
    checkPrivacy(
      { kind: 'sum', bounds: [0, 10], budget: { epsilon: 1 } },
      { count: 10n, sum: 50n * f },
      { count: 11n, sum: 60n * f },
      60_000,
      x => String(Math.floor(x / 2)),
      1
    );
  });

  it('mean, ε = 1, bounds [0, 10]: adding one row at the upper bound', () => {
    const spec: AggregationSpec = { kind: 'mean', bounds: [0, 10], budget: { epsilon: 1 } };
    const f = 2n ** BigInt(-planAggregation(spec).grid);
    checkPrivacy(
      spec,
      { count: 20n, sum: 100n * f },
      { count: 21n, sum: 110n * f },
      40_000,
      x => String(Math.floor(x * 2)),
      1
    );
  });

  it('quantile (median), ε = 1: adding one row at the top', () => {
    const candidates = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const counts = (data: number[]) => ({
      count: BigInt(data.length),
      below: candidates.map(c => BigInt(data.filter(x => x < c).length)),
      above: candidates.map(c => BigInt(data.filter(x => x > c).length))
    });
    const a = [1, 2, 3, 4, 5, 6];
    checkPrivacy(
      { kind: 'median', candidates, budget: { epsilon: 1 } },
      counts(a),
      counts([...a, 10]),
      60_000,
      intBin,
      1
    );
  });
});

describe('coverage of 95% intervals (Wilson, 1e-6)', () => {
  const n = 4000;
  function coverage(
    spec: AggregationSpec,
    stats: GroupStatistics,
    truth: number,
    seed: string
  ): number {
    const plan = planAggregation(spec);
    const rng = seededRng(seed);
    let hit = 0;
    for (let i = 0; i < n; i++) {
      const v = releaseAggregation(plan, stats, rng).values[0];
      if (v.lower! <= truth && truth <= v.upper!) hit++;
    }
    return hit;
  }
  it('count (Laplace): coverage equals the exact 1 − P(|Z| > t) >= 0.95', () => {
    const hit = coverage(
      { kind: 'count', budget: { epsilon: '0.5' } },
      { count: 100n },
      100,
      'cov-count'
    );
    const exact = 1 - discreteLaplaceTail(2, 6);
    const [lo, hi] = wilson(hit, n);
    expect(lo).toBeLessThanOrEqual(exact);
    expect(hi).toBeGreaterThanOrEqual(exact);
    expect(exact).toBeGreaterThanOrEqual(0.95);
  });
  it.each([
    [
      'count (Gaussian)',
      { kind: 'count', budget: { rho: '0.1' } } as AggregationSpec,
      { count: 100n },
      100
    ],
    [
      'sum (integer grid)',
      { kind: 'sum', bounds: [0, 10], grid: 0, budget: { epsilon: '0.5' } } as AggregationSpec,
      { count: 100n, sum: 500n },
      500
    ]
  ])('%s covers at least 95%%', (_n, spec, stats, truth) => {
    const hit = coverage(spec, stats, truth, `cov-${_n}`);
    expect(wilson(hit, n)[1]).toBeGreaterThanOrEqual(0.95);
  });
  it('mean (default grid) covers at least 95%', () => {
    const spec: AggregationSpec = { kind: 'mean', bounds: [0, 10], budget: { epsilon: '0.5' } };
    const f = 2n ** BigInt(-planAggregation(spec).grid);
    const hit = coverage(spec, { count: 200n, sum: 700n * f }, 3.5, 'cov-mean');
    expect(wilson(hit, n)[1]).toBeGreaterThanOrEqual(0.95);
  });
  it('a 99% interval is wider than a 90% one', () => {
    const a = planCount({ budget: { epsilon: 1 }, confidence: 0.9 }).halfWidth!;
    const b = planCount({ budget: { epsilon: 1 }, confidence: 0.99 }).halfWidth!;
    expect(b).toBeGreaterThan(a);
  });
});

describe('bad input → typed error naming the parameter and the rule', () => {
  const cases: Array<[string, AggregationSpec, string]> = [
    ['ε = 0', { kind: 'count', budget: { epsilon: 0 } }, 'epsilon'],
    ['ε < 0', { kind: 'count', budget: { epsilon: -1 } }, 'epsilon'],
    ['ε NaN', { kind: 'count', budget: { epsilon: NaN } }, 'epsilon'],
    ['ε Infinity', { kind: 'count', budget: { epsilon: Infinity } }, 'epsilon'],
    ['ε garbage', { kind: 'count', budget: { epsilon: '1e' } }, 'epsilon'],
    ['ρ = 0', { kind: 'count', budget: { rho: 0 } }, 'rho'],
    ['ρ < 0', { kind: 'count', budget: { rho: '-0.5' } }, 'rho'],
    [
      'δ = 1',
      { kind: 'count', budget: { epsilon: 1 }, groups: { kind: 'private', delta: 1 } },
      'groups.delta'
    ],
    [
      'δ = 0',
      { kind: 'count', budget: { epsilon: 1 }, groups: { kind: 'private', delta: 0 } },
      'groups.delta'
    ],
    [
      'δ NaN',
      { kind: 'count', budget: { epsilon: 1, delta: NaN }, mechanism: 'gaussian' },
      'delta'
    ],
    ['lower > upper', { kind: 'sum', bounds: [10, 0], budget: { epsilon: 1 } }, 'bounds'],
    ['bound NaN', { kind: 'sum', bounds: [NaN, 1], budget: { epsilon: 1 } }, 'bounds.lower'],
    [
      'bound Infinity',
      { kind: 'sum', bounds: [0, Infinity], budget: { epsilon: 1 } },
      'bounds.upper'
    ],
    ['sum without bounds', { kind: 'sum', budget: { epsilon: 1 } }, 'bounds'],
    [
      'empty keys',
      { kind: 'count', budget: { epsilon: 1 }, groups: { kind: 'public', keys: [] } },
      'groups.keys'
    ],
    [
      'repeated keys',
      { kind: 'count', budget: { epsilon: 1 }, groups: { kind: 'public', keys: ['a', 'a'] } },
      'groups.keys'
    ],
    ['histogram without bins', { kind: 'histogram', budget: { epsilon: 1 } }, 'groups'],
    [
      'quantile 1.5',
      { kind: 'quantile', quantile: 1.5, bounds: [0, 1], budget: { epsilon: 1 } },
      'quantile'
    ],
    [
      'quantile −0.1',
      { kind: 'quantile', quantile: -0.1, bounds: [0, 1], budget: { epsilon: 1 } },
      'quantile'
    ],
    ['quantile missing', { kind: 'quantile', bounds: [0, 1], budget: { epsilon: 1 } }, 'quantile'],
    ['empty candidates', { kind: 'median', candidates: [], budget: { epsilon: 1 } }, 'candidates'],
    ['confidence 1', { kind: 'count', budget: { epsilon: 1 }, confidence: 1 }, 'confidence'],
    ['confidence 0', { kind: 'count', budget: { epsilon: 1 }, confidence: 0 }, 'confidence'],
    ['accuracy 0', { kind: 'count', accuracy: { halfWidth: 0 } }, 'accuracy.halfWidth'],
    ['no budget', { kind: 'count' }, 'budget'],
    [
      'maxRows 0',
      { kind: 'count', budget: { epsilon: 1 }, unit: { kind: 'user', maxRows: 0 } },
      'maxRows'
    ],
    ['unknown kind', { kind: 'median2' as 'median', budget: { epsilon: 1 } }, 'kind'],
    ['bad grid', { kind: 'sum', bounds: [0, 1], grid: 2000, budget: { epsilon: 1 } }, 'grid']
  ];
  it.each(cases)('%s', (_name, spec, parameter) => {
    const err = expectParameterError(() => planAggregation(spec), parameter);
    expect(err.code).toBe('INVALID_PARAMETER');
    expect(String(err.details.rule).length).toBeGreaterThan(3);
  });
  it("plan rules the engine re-asserts raise the protocol checker's own errors", () => {
    const codeAndText = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as LomasError).code, (e as LomasError).message];
      }
      return null;
    };
    expect(
      codeAndText(() =>
        planAggregation({ kind: 'count', budget: { epsilon: 1 }, mechanism: 'gaussian' })
      )
    ).toEqual(['INVALID_PLAN', gaussianNeedsDelta('this aggregation').message]);
    expect(
      codeAndText(() =>
        planAggregation({ kind: 'mean', bounds: [0, 1], accuracy: { halfWidth: 1 } })
      )
    ).toEqual(['INVALID_PLAN', accuracyTargetError('mean', false).message]);
  });
  it('statistics that do not match the plan are refused', () => {
    const plan = planAggregation({ kind: 'sum', bounds: [0, 1], budget: { epsilon: 1 } });
    expect(() => releaseAggregation(plan, { count: 1n }, seededRng('x'))).toThrow(LomasError);
    expect(() =>
      releaseAggregation(plan, { count: 1n, sum: 1n, grid: plan.grid + 1 }, seededRng('x'))
    ).toThrow(LomasError);
    expect(() => releaseAggregation(plan, { count: -1n, sum: 0n }, seededRng('x'))).toThrow(
      LomasError
    );
  });
});
