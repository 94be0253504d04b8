/**
 * The red team's OWN privacy model: sensitivities recomputed from the public metadata and the
 * plan's parameters, and the privacy loss implied by the noise the samplers were actually called
 * with (observed through dp/noise.ts). Nothing here calls the DP planner (server/src/dp/aggregations)
 * or the accountant's casts: if both agree, two independent derivations agree.
 */
import type { NoiseDraw } from '../../src/dp/noise';
import { Rational } from '../../src/dp/rational';
import { gammaQ } from '../../src/dp/testing/stats';

export type Measure = 'pure' | 'approx' | 'zcdp';
export type Op =
  'count' | 'sum' | 'mean' | 'variance' | 'stdev' | 'quantile' | 'median' | 'histogram';

/** What the red team knows of one aggregation: public facts only. */
export interface AggregationFacts {
  op: Op;
  discover: boolean;
  /** Clamping bounds the engine aggregates with (sum/mean/variance/stdev/quantile). */
  bounds?: [number, number];
  /** Fixed-point grid exponent of the values (public, from the plan). */
  grid: number;
  /** Quantile level (median 0.5). */
  q?: number;
}

/** The noisy statistics an aggregation must draw, in order (the red team's expectation). */
export function expectedStatistics(op: Op, discover: boolean): string[] {
  switch (op) {
    case 'count':
    case 'histogram':
      return ['count'];
    case 'sum':
      return discover ? ['count', 'sum'] : ['sum'];
    case 'mean':
      return ['count', 'centered_sum'];
    case 'variance':
    case 'stdev':
      return ['count', 'centered_sum', 'centered_squares'];
    case 'quantile':
    case 'median':
      return discover ? ['count', 'quantile'] : ['quantile'];
  }
}

const absBig = (x: bigint) => (x < 0n ? -x : x);

/** floor and ceil of x / 2^g, exactly (x a double). */
function onGrid(x: number, g: number): [bigint, bigint] {
  const r = exactDouble(x).mul(Rational.pow2(-g));
  return [r.floor(), r.ceil()];
}

function exactDouble(x: number): Rational {
  // a double is m·2^e exactly: decompose through its decimal-free binary representation
  if (!Number.isFinite(x)) throw new Error('non-finite bound');
  if (x === 0) return Rational.ZERO;
  let e = 0;
  let m = Math.abs(x);
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  const v = Rational.of(BigInt(m)).mul(Rational.pow2(e));
  return x < 0 ? v.neg() : v;
}

/**
 * How much ONE row can move the statistic, in the integer units the noise is drawn in: a count
 * by 1; a sum of clamped values on the grid 2^g by max(|L/2^g|, |U/2^g|) (rounded outwards); the
 * centred sum Σ(2v − (l + u)) by u − l; the centred squares by (u − l)²; a quantile score by
 * max(a_num, a_den − a_num) for the level a.
 */
export function perRow(name: string, f: AggregationFacts): bigint {
  if (name === 'count') return 1n;
  if (name === 'quantile') {
    const a = exactDecimal(f.q ?? 0.5);
    return a.num > a.den - a.num ? a.num : a.den - a.num;
  }
  const [L, U] = f.bounds as [number, number];
  const [lg] = onGrid(L, f.grid);
  const [, ug] = onGrid(U, f.grid);
  if (name === 'sum') return absBig(lg) > absBig(ug) ? absBig(lg) : absBig(ug);
  if (name === 'centered_sum') return ug - lg;
  if (name === 'centered_squares') return (ug - lg) ** 2n;
  throw new Error(`unknown statistic ${name}`);
}

function exactDecimal(q: number): Rational {
  const s = String(q);
  const [i, frac = ''] = s.split('.');
  return Rational.of(BigInt(i + frac), 10n ** BigInt(frac.length));
}

/** P(Z ≥ m) for discrete Laplace(scale): p^m/(1+p), p = e^{−1/s} (m ≥ 1). */
function laplaceTail(scale: number, m: number): number {
  if (m <= 0) return 1;
  const p = Math.exp(-1 / scale);
  return Math.pow(p, m) / (1 + p);
}

/** P(Z ≥ m) ≤ P(N(0, σ²) ≥ m − 1) for the discrete Gaussian (CKS20 Prop. 25). */
function gaussianTail(sigma: number, m: number): number {
  if (m <= 1) return 1;
  const z = (m - 1) / sigma;
  return 0.5 * gammaQ(0.5, (z * z) / 2);
}

/** CKS20 Cor. 13 by a dense search over α (an upper bound of the true minimum). */
export function tightEpsilon(rho: number, delta: number): number {
  if (rho === 0) return 0;
  const L = Math.log(1 / delta);
  const f = (a: number) => a * rho + L / (a - 1) + Math.log(1 - 1 / a) - Math.log(a) / (a - 1);
  let best = Infinity;
  let bestT = 0;
  for (let t = -8; t <= 8; t += 0.001) {
    const v = f(1 + Math.pow(10, t));
    if (v < best) {
      best = v;
      bestT = t;
    }
  }
  for (let t = bestT - 0.001; t <= bestT + 0.001; t += 1e-7)
    best = Math.min(best, f(1 + Math.pow(10, t)));
  return best;
}

/** The loss the observed draws imply, per family, with the red team's sensitivities. */
export interface ImpliedParts {
  /** ε of every pure-DP draw (Laplace vectors, permute-and-flip, Laplace thresholds). */
  pureEpsilons: Rational[];
  /** ρ of every zCDP draw (Gaussian vectors and thresholds, exponential mechanism). */
  rho: Rational;
  /** δ of every key threshold (float upper bounds). */
  thresholdDelta: number;
}

export interface Unit {
  /** Rows one person may contribute (max_ids). */
  rows: bigint;
}

/**
 * The implied loss of one aggregation's draws. `draws` are the draws of this aggregation, in
 * order; each is matched to the statistic the red team expects at that position.
 */
export function impliedLoss(f: AggregationFacts, draws: NoiseDraw[], unit: Unit): ImpliedParts {
  const names = expectedStatistics(f.op, f.discover);
  if (draws.length !== names.length)
    throw new Error(`expected draws ${names.join(',')}, saw ${draws.map(d => d.label).join(',')}`);
  const out: ImpliedParts = { pureEpsilons: [], rho: Rational.ZERO, thresholdDelta: 0 };
  const k = unit.rows;
  draws.forEach((d, i) => {
    const name = names[i];
    if (d.label !== undefined && d.label !== name)
      throw new Error(`draw ${i} is labelled ${d.label}, expected ${name}`);
    const m = perRow(name, f);
    // A person adds ≤ k rows: L1 ≤ k·m over the groups; L2² ≤ (k·m)² (all in one group).
    const l1 = Rational.of(k * m);
    const l2sq = Rational.of(k * k * m * m);
    if (m === 0n) return; // a constant statistic (bounds [0, 0]): no noise needed, no loss
    if (d.scale.isZero()) throw new Error(`statistic ${name} drawn with scale 0: infinite loss`);
    if (d.family === 'permute_and_flip') {
      out.pureEpsilons.push(l1.mulInt(2n).div(d.scale)); // ε = 2·Δ₁/s
      return;
    }
    if (d.family === 'exponential') {
      out.rho = out.rho.add(l2sq.div(d.scale.mul(d.scale).mulInt(2n))); // ρ = Δ₂²/(2s²)
      return;
    }
    if (d.family === 'laplace') out.pureEpsilons.push(l1.div(d.scale));
    else out.rho = out.rho.add(l2sq.div(d.scale.mul(d.scale).mulInt(2n)));
    if (d.threshold !== undefined) {
      // A group only the larger neighbour has holds ≤ k rows; ≤ k such groups.
      const s = Number(d.scale.num) / Number(d.scale.den);
      const tail =
        d.family === 'laplace'
          ? laplaceTail(s, Number(d.threshold - k))
          : gaussianTail(s, Number(d.threshold - k));
      out.thresholdDelta += Number(k) * tail;
    }
  });
  return out;
}
