/**
 * Release: from a plan and the engine's EXACT sufficient statistics, add the planned noise and
 * return, per released value, the estimate, a confidence interval, the mechanism, the noise scale
 * and the cost. Total function of the statistics: malformed statistics throw (an engine bug, the
 * budget is already reserved), values outside the declared bounds are clamped.
 *
 * Contract with the execution engine, per group (key):
 *  - count: number of rows (after contribution bounding), bigint;
 *  - sum: Σ v_i with v_i = round(clamp(x_i, L, U) / 2^grid) — any rounding, as long as
 *    v_i ∈ plan.gridBounds — as a bigint; sumSquares: Σ v_i²;
 *  - below / above: per plan.candidates[j], #{x < c_j} and #{x > c_j} (after clamping).
 */
import { Cost } from '../accounting';
import { discreteGaussianHalfWidth, discreteLaplaceHalfWidth } from '../accuracy';
import { invalidParameter } from '../errors';
import type { Measurement } from '../measurement';
import { quantileScores } from '../mechanisms/quantile';
import type { KeyCount } from '../mechanisms/threshold';
import { Rational, toNumber } from '../rational';
import { Rng } from '../rng';
import { AggregationKind, NoisePlan, StatisticName, StatisticPlan } from './plan';

export interface GroupStatistics {
  key?: string;
  count: bigint;
  sum?: bigint;
  sumSquares?: bigint;
  /** The grid exponent the sums were computed on; must equal plan.grid. */
  grid?: number;
  below?: readonly bigint[];
  above?: readonly bigint[];
}

export interface ReleasedValue {
  key?: string;
  statistic: AggregationKind;
  estimate: number;
  /** Confidence interval at `confidence` (null for quantiles: see rankError). */
  lower: number | null;
  upper: number | null;
  halfWidth: number | null;
  confidence: number;
  mechanism: string;
  /** Noise scale of the main statistic in real units (exact). */
  scale: Rational;
  /** The cost of the whole release this value belongs to. */
  cost: Cost;
  /** Quantiles: with probability >= confidence, the chosen candidate's score is within this many (weighted) rows of the best. */
  rankError?: number;
}

export interface Release {
  values: ReleasedValue[];
  cost: Cost;
}

/** The noisy statistics of one group (and, for quantiles, the selected candidate's index). */
type Noisy = Partial<Record<StatisticName, bigint>> & { choice?: number };

function checkStats(plan: NoisePlan, st: GroupStatistics): GroupStatistics {
  if (st === null || typeof st !== 'object' || typeof st.count !== 'bigint' || st.count < 0n) {
    throw invalidParameter('statistics.count', 'must be a non-negative bigint');
  }
  const n = st.count;
  let sum = st.sum;
  let sumSquares = st.sumSquares;
  if (plan.needs.sum) {
    if (typeof sum !== 'bigint') throw invalidParameter('statistics.sum', 'must be a bigint');
    if (st.grid !== undefined && st.grid !== plan.grid)
      throw invalidParameter('statistics.grid', `must be the planned grid ${plan.grid}`);
    const [lg, ug] = plan.gridBounds as [bigint, bigint];
    // Clamp to what n values in [lg, ug] can give (identity for a correct engine).
    if (sum < n * lg) sum = n * lg;
    if (sum > n * ug) sum = n * ug;
  }
  if (plan.needs.sumSquares) {
    if (typeof sumSquares !== 'bigint')
      throw invalidParameter('statistics.sumSquares', 'must be a bigint');
    if (sumSquares < 0n) sumSquares = 0n;
  }
  if (plan.needs.quantileCounts) {
    const m = (plan.candidates as number[]).length;
    const ok = (a: readonly bigint[] | undefined) =>
      Array.isArray(a) && a.length === m && a.every(x => typeof x === 'bigint');
    if (!ok(st.below) || !ok(st.above))
      throw invalidParameter(
        'statistics.below/above',
        `must be ${m} bigints each (one per candidate)`
      );
  }
  return { ...st, sum, sumSquares };
}

function zeroStats(plan: NoisePlan, key?: string): GroupStatistics {
  const m = plan.candidates?.length ?? 0;
  return {
    key,
    count: 0n,
    sum: 0n,
    sumSquares: 0n,
    grid: plan.grid,
    below: new Array(m).fill(0n),
    above: new Array(m).fill(0n)
  };
}

const r = (x: bigint) => Rational.of(x);

/** Estimate and interval of one group from its noisy statistics. */
function estimate(
  plan: NoisePlan,
  noisy: Noisy,
  moments: MomentConstants | undefined
): Omit<ReleasedValue, 'key' | 'cost' | 'confidence' | 'statistic' | 'mechanism' | 'scale'> {
  const stat = (name: StatisticName) => plan.statistics.find(s => s.name === name) as StatisticPlan;
  const kind = plan.kind;
  if (kind === 'count' || kind === 'histogram') {
    const s = stat('count');
    const v = noisy.count as bigint;
    return {
      estimate: Number(v),
      lower: Number(v) - s.halfWidth,
      upper: Number(v) + s.halfWidth,
      halfWidth: s.halfWidth
    };
  }
  if (kind === 'sum') {
    const s = stat('sum');
    const v = toNumber(r(noisy.sum as bigint).mul(Rational.pow2(plan.grid)));
    return { estimate: v, lower: v - s.halfWidth, upper: v + s.halfWidth, halfWidth: s.halfWidth };
  }
  if (kind === 'quantile' || kind === 'median') {
    const s = stat('quantile');
    const v = (plan.candidates as number[])[noisy.choice as number];
    return {
      estimate: v,
      lower: null,
      upper: null,
      halfWidth: null,
      rankError: s.halfWidth / Number(plan.level!.den)
    };
  }
  // mean / variance / stdev: grid values v ∈ [lg, ug]; y = 2v − (lg + ug) ∈ [−D, D], D = ug − lg.
  const { L, U, aN, aT, unit, mid } = moments as MomentConstants;
  const N = r(noisy.count as bigint);
  const T = r(noisy.centered_sum as bigint);
  if (kind === 'mean') {
    let est: Rational = mid.mul(unit);
    if (N.sign() > 0) est = mid.add(T.div(N.mulInt(2n))).mul(unit);
    est = est.max(L).min(U);
    let lo = L;
    let hi = U;
    const nLo = N.sub(aN);
    if (nLo.sign() > 0) {
      const nHi = N.add(aN);
      const tLo = T.sub(aT);
      const tHi = T.add(aT);
      const qLo = tLo.sign() >= 0 ? tLo.div(nHi.mulInt(2n)) : tLo.div(nLo.mulInt(2n));
      const qHi = tHi.sign() >= 0 ? tHi.div(nLo.mulInt(2n)) : tHi.div(nHi.mulInt(2n));
      lo = mid.add(qLo).mul(unit).max(L).min(U);
      hi = mid.add(qHi).mul(unit).max(L).min(U);
    }
    const lower = toNumber(lo, 'down');
    const upper = toNumber(hi, 'up');
    return { estimate: toNumber(est), lower, upper, halfWidth: (upper - lower) / 2 };
  }
  // variance of x: 4^(g−1)·(E[y²] − E[y]²)·N/(N − ddof)
  const cQ = stat('centered_squares');
  const Q = r(noisy.centered_squares as bigint);
  const aQ = halfWidthGrid(cQ);
  const ddof = BigInt(plan.ddof);
  const u2 = Rational.pow2(2 * plan.grid - 2);
  const range = U.sub(L);
  const cap = (n: Rational) => {
    const base = range.mul(range).divInt(4n);
    return ddof === 0n || n.lte(Rational.ONE) ? base : base.mul(n).div(n.sub(Rational.ONE));
  };
  let est = Rational.ZERO;
  if (N.gt(r(ddof)) && N.sign() > 0) {
    const m2 = Q.max(Rational.ZERO).div(N);
    const m1 = T.div(N);
    est = m2
      .sub(m1.mul(m1))
      .mul(N)
      .div(N.sub(r(ddof)))
      .mul(u2)
      .max(Rational.ZERO)
      .min(cap(N));
  }
  let lo = Rational.ZERO;
  let hi = cap(Rational.of(2n));
  const nLo = N.sub(aN);
  if (nLo.gt(r(ddof)) && nLo.sign() > 0) {
    const nHi = N.add(aN);
    const qLo = Q.sub(aQ).max(Rational.ZERO);
    const qHi = Q.add(aQ).max(Rational.ZERO);
    const m2Lo = qLo.div(nHi);
    const m2Hi = qHi.div(nLo);
    const tLo = T.sub(aT);
    const tHi = T.add(aT);
    const m1Candidates = [tLo.div(nLo), tLo.div(nHi), tHi.div(nLo), tHi.div(nHi)];
    const sq = m1Candidates.map(x => x.mul(x));
    let m1sqHi = sq.reduce((a, b) => a.max(b));
    let m1sqLo = tLo.sign() <= 0 && tHi.sign() >= 0 ? Rational.ZERO : sq.reduce((a, b) => a.min(b));
    if (m1sqHi.lt(m1sqLo)) [m1sqLo, m1sqHi] = [m1sqHi, m1sqLo];
    const fLo = ddof === 0n ? Rational.ONE : nHi.div(nHi.sub(r(ddof)));
    const fHi = ddof === 0n ? Rational.ONE : nLo.div(nLo.sub(r(ddof)));
    lo = m2Lo.sub(m1sqHi).max(Rational.ZERO).mul(fLo).mul(u2);
    hi = m2Hi.sub(m1sqLo).max(Rational.ZERO).mul(fHi).mul(u2).min(cap(nLo));
    if (hi.lt(lo)) hi = lo;
  }
  if (kind === 'variance') {
    const lower = toNumber(lo, 'down');
    const upper = toNumber(hi, 'up');
    return { estimate: toNumber(est), lower, upper, halfWidth: (upper - lower) / 2 };
  }
  const lower = Math.sqrt(toNumber(lo, 'down')) * (1 - 2 ** -50);
  const upper = Math.sqrt(toNumber(hi, 'up')) * (1 + 2 ** -50);
  return { estimate: Math.sqrt(toNumber(est)), lower, upper, halfWidth: (upper - lower) / 2 };
}

/** What every group of a mean, variance or stdev shares: computed once per release, not per group. */
interface MomentConstants {
  /** Public bounds, real units. */
  L: Rational;
  U: Rational;
  /** Half-widths of the noisy count and centred sum (grid units), rounded up. */
  aN: Rational;
  aT: Rational;
  /** 2^grid, and the centre of the grid bounds in grid units. */
  unit: Rational;
  mid: Rational;
}

function momentConstants(plan: NoisePlan): MomentConstants {
  const stat = (name: StatisticName) => plan.statistics.find(s => s.name === name) as StatisticPlan;
  const [L, U] = plan.bounds as [Rational, Rational];
  const [lg, ug] = plan.gridBounds as [bigint, bigint];
  return {
    L,
    U,
    aN: Rational.of(BigInt(Math.ceil(stat('count').halfWidth))),
    aT: halfWidthGrid(stat('centered_sum')),
    unit: Rational.pow2(plan.grid),
    mid: r(lg + ug).divInt(2n)
  };
}

/**
 * A statistic's half-width in its own grid units, as an exact rational (rounded up). Computed from
 * the scale in grid units (always a moderate number), never by dividing a real-unit float by
 * 2^grid (which overflows for grids beyond 2^1023, e.g. squares of values near 1e308).
 */
function halfWidthGrid(s: StatisticPlan): Rational {
  const units =
    s.mechanism === 'discrete_gaussian'
      ? discreteGaussianHalfWidth(s.scale, s.alpha, 0)
      : discreteLaplaceHalfWidth(s.scale, s.alpha, 0);
  return Rational.of(BigInt(Math.ceil(units * (1 + 1e-12))));
}

/** The checked statistics of the groups to release, in release order. */
function groupsToRelease(
  plan: NoisePlan,
  stats: GroupStatistics | readonly GroupStatistics[]
): GroupStatistics[] {
  const list = Array.isArray(stats)
    ? (stats as readonly GroupStatistics[])
    : [stats as GroupStatistics];
  const keyOf = (s: GroupStatistics): string => {
    if (s === null || typeof s !== 'object' || s.key === undefined)
      throw invalidParameter('statistics.key', 'is required for grouped statistics');
    return String(s.key);
  };
  if (plan.groups.kind === 'none') {
    if (list.length > 1)
      throw invalidParameter('statistics', 'must be one group for an ungrouped aggregation');
    return [list.length === 0 ? zeroStats(plan) : checkStats(plan, list[0])];
  }
  if (plan.groups.kind === 'public') {
    const byKey = new Map<string, GroupStatistics>();
    for (const s of list) {
      const k = keyOf(s);
      if (byKey.has(k)) throw invalidParameter('statistics.key', 'must not repeat');
      byKey.set(k, s);
    }
    return plan.groups.keys.map(k => {
      const s = byKey.get(k);
      return s === undefined ? zeroStats(plan, k) : { ...checkStats(plan, s), key: k };
    });
  }
  const seen = new Set<string>();
  return list.map(s => {
    const k = keyOf(s);
    if (seen.has(k)) throw invalidParameter('statistics.key', 'must not repeat');
    seen.add(k);
    return { ...checkStats(plan, s), key: k };
  });
}

type Vector = Measurement<readonly bigint[], bigint[]>;
type Threshold = Measurement<readonly KeyCount<number>[], Array<{ key: number; noisy: bigint }>>;
type Selection = Measurement<ReadonlyArray<readonly bigint[]>, number[]>;

/**
 * Invokes each statistic's measurement over the groups (the ONLY place noise is added to a
 * release). Returns the noisy statistics per group and the indices of the groups to publish.
 * Private keys: the count's threshold measurement decides which groups are published; the other
 * statistics are noised for every observed group (padded to the public cap, for timing).
 */
function noisyStatistics(
  plan: NoisePlan,
  work: GroupStatistics[],
  rng: Rng
): { noisy: Noisy[]; publish: number[] } {
  const noisy: Noisy[] = work.map(() => ({}));
  let publish = work.map((_, i) => i);
  const pad = plan.groups.kind === 'private' ? Math.max(0, plan.groups.padTo - work.length) : 0;
  for (const s of plan.statistics) {
    if (s.name === 'quantile') {
      const scores = work.map(st =>
        quantileScores(st.below as bigint[], st.above as bigint[], plan.level as Rational)
      );
      const picks = (s.measurement as Selection).invoke(scores, rng);
      picks.forEach((p, i) => (noisy[i].choice = p));
    } else if (s.name === 'count' && plan.groups.kind === 'private') {
      const counts = work.map((st, i) => ({ key: i, count: st.count }));
      const released = (s.measurement as Threshold).invoke(counts, rng);
      for (const r of released) noisy[r.key].count = r.noisy;
      publish = released.map(r => r.key);
    } else {
      const exact = work.map(st => exactStatistic(plan, st, s.name));
      const values = (s.measurement as Vector).invoke(
        [...exact, ...new Array<bigint>(pad).fill(0n)],
        rng
      );
      work.forEach((_, i) => (noisy[i][s.name] = values[i]));
    }
  }
  return { noisy, publish: [...publish].sort((a, b) => a - b) };
}

/**
 * Adds the planned noise to exact per-group statistics, through the plan's measurements, and
 * builds the released values.
 * - no groups: `stats` is one GroupStatistics (or a list of one);
 * - public keys: one value per public key, in the plan's order; groups absent from `stats` are
 *   released from zero statistics (they still get noise); keys not in the public list are ignored;
 * - private keys: only groups whose noisy count reaches plan.groups.threshold are released.
 */
export function releaseAggregation(
  plan: NoisePlan,
  stats: GroupStatistics | readonly GroupStatistics[],
  rng: Rng
): Release {
  const work = groupsToRelease(plan, stats);
  const { noisy, publish } = noisyStatistics(plan, work, rng);
  const moments = isMomentKind(plan.kind) ? momentConstants(plan) : undefined;
  const mainStat = moments
    ? (plan.statistics.find(s => s.name === 'centered_sum') as StatisticPlan)
    : plan.statistics[plan.statistics.length - 1];
  const values: ReleasedValue[] = publish.map(i => ({
    key: work[i].key,
    statistic: plan.kind,
    ...estimate(plan, noisy[i], moments),
    confidence: plan.confidence,
    mechanism: mainStat.mechanism,
    scale: mainStat.scaleReal,
    cost: plan.cost
  }));
  return { values, cost: plan.cost };
}

const isMomentKind = (k: AggregationKind) => k === 'mean' || k === 'variance' || k === 'stdev';

function exactStatistic(plan: NoisePlan, st: GroupStatistics, name: StatisticName): bigint {
  const n = st.count;
  switch (name) {
    case 'count':
      return n;
    case 'sum':
      return st.sum as bigint;
    case 'centered_sum': {
      const [lg, ug] = plan.gridBounds as [bigint, bigint];
      return 2n * (st.sum as bigint) - n * (lg + ug);
    }
    case 'centered_squares': {
      const [lg, ug] = plan.gridBounds as [bigint, bigint];
      const c = lg + ug;
      // Σ (2v − c)² = 4Σv² − 4cΣv + n·c²
      const q = 4n * (st.sumSquares as bigint) - 4n * c * (st.sum as bigint) + n * c * c;
      return q < 0n ? 0n : q;
    }
    case 'quantile':
      return 0n;
  }
}
