/**
 * Planning: from an aggregation spec, public bounds, the privacy unit and a budget (or a target
 * accuracy), compute — without data and without randomness — the statistics the engine must
 * compute, their sensitivities, noise scales, the exact cost and the expected CI half-width.
 * The server calls planAggregation BEFORE touching data (to charge the ledger, or to answer a free
 * estimate), then releaseAggregation with the engine's exact sufficient statistics.
 */
import { approxToZcdp, Cost } from '../accounting';
import {
  alphaOf,
  discreteGaussianHalfWidth,
  discreteGaussianSigmaFor,
  discreteLaplaceHalfWidth,
  discreteLaplaceScaleFor
} from '../accuracy';
import { invalidParameter } from '../errors';
import { checkBounds, checkGrid, defaultGrid } from '../float';
import { GAUSSIAN, gaussianSigma } from '../mechanisms/gaussian';
import { LAPLACE } from '../mechanisms/laplace';
import { EXPONENTIAL, PERMUTE_AND_FLIP } from '../mechanisms/permute-and-flip';
import { checkCandidates, checkLevel, quantileSensitivity } from '../mechanisms/quantile';
import { thresholdFor } from '../mechanisms/threshold';
import { ceilDecimal, sqrtUp } from '../numeric';
import {
  fromFloatExact,
  parseAmount,
  positive,
  nonNegative,
  Rational,
  RationalLike,
  toNumber
} from '../rational';
import { Contributions, contributions, PrivacyUnit } from '../units';

export type AggregationKind =
  'count' | 'sum' | 'mean' | 'variance' | 'stdev' | 'quantile' | 'median' | 'histogram';

export type GroupsSpec =
  | { kind: 'none' }
  /** Public keys (from metadata): every key is released, present in the data or not. */
  | { kind: 'public'; keys: readonly string[] }
  /** Keys discovered from the data: released only above a δ-calibrated noisy threshold. */
  | { kind: 'private'; delta: RationalLike };

export type BudgetSpec =
  /** Pure ε (Laplace), or (ε, δ) with the Gaussian mechanism (δ spent on the ρ → ε conversion). */
  | { epsilon: RationalLike; delta?: RationalLike }
  /** zCDP ρ (Gaussian / exponential mechanism). */
  | { rho: RationalLike };

export interface AccuracySpec {
  /** Target CI half-width of each released value, in the statistic's unit. */
  halfWidth: number;
  confidence?: number;
}

export interface AggregationSpec {
  kind: AggregationKind;
  /** Public bounds [lower, upper]; required for sum, mean, variance, stdev (and quantile without candidates). */
  bounds?: readonly [number, number];
  /** Exponent of the fixed-point grid (values are sent as integers v = round(clamp(x)/2^grid)). Default: chosen from the noise scale. */
  grid?: number;
  /** Quantile level in [0, 1] (read as an exact decimal); median = 0.5. */
  quantile?: number | string;
  /** Public, strictly increasing candidates for quantiles (default: 1,025 evenly spaced between the bounds). */
  candidates?: readonly number[];
  /** Delta degrees of freedom for variance / stdev (0 or 1; default 1). */
  ddof?: 0 | 1;
  groups?: GroupsSpec;
  unit?: PrivacyUnit;
  budget?: BudgetSpec;
  accuracy?: AccuracySpec;
  /** Confidence level of the reported intervals (default 0.95, or accuracy.confidence). */
  confidence?: number;
  /** Noise family; default Laplace for an ε budget, Gaussian for a ρ budget. */
  mechanism?: 'laplace' | 'gaussian';
}

export type StatisticName = 'count' | 'sum' | 'centered_sum' | 'centered_squares' | 'quantile';

/** One noisy statistic the release is built from. */
export interface StatisticPlan {
  name: StatisticName;
  mechanism: string;
  /** Exponent of this statistic's integer unit (count 0; sum g; centered_sum g−1; centered_squares 2g−2). */
  grid: number;
  /** Sensitivity in grid units: L1 (Laplace), SQUARED L2 (Gaussian), or per-row score bound (selection). */
  sensitivity: Rational;
  /** Noise scale in grid units (selection: the score scale). */
  scale: Rational;
  /** Noise scale in the statistic's real unit (scale·2^grid). */
  scaleReal: Rational;
  /** Share of the failure probability of the released interval. */
  alpha: number;
  /** Half-width (real units) of this statistic's noise at 1 − alpha (selection: gap bound in score units). */
  halfWidth: number;
}

export interface AggregationPlan {
  kind: AggregationKind;
  measure: 'pure' | 'approx' | 'zcdp';
  mechanism: string;
  /** Fixed-point exponent the engine must use for sum / sumSquares (0 when unused). */
  grid: number;
  bounds?: [Rational, Rational];
  /** Integer bounds on the grid: every engine value v must lie in [lower, upper]. */
  gridBounds?: [bigint, bigint];
  level?: Rational;
  candidates?: number[];
  ddof: 0 | 1;
  groups:
    | { kind: 'none' }
    | { kind: 'public'; keys: string[] }
    | { kind: 'private'; delta: Rational; threshold: bigint };
  contributions: Contributions;
  statistics: StatisticPlan[];
  cost: Cost;
  confidence: number;
  /** Expected CI half-width of each released value when it does not depend on the data (count, sum, histogram). */
  halfWidth?: number;
  /** What the engine must compute per group. */
  needs: { count: true; sum: boolean; sumSquares: boolean; quantileCounts: boolean };
}

export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_QUANTILE_CANDIDATES = 1025;

const abs = (x: bigint) => (x < 0n ? -x : x);
const maxBig = (a: bigint, b: bigint) => (a > b ? a : b);

function statisticNames(kind: AggregationKind, privateKeys: boolean): StatisticName[] {
  switch (kind) {
    case 'count':
    case 'histogram':
      return ['count'];
    case 'sum':
      return privateKeys ? ['count', 'sum'] : ['sum'];
    case 'mean':
      return ['count', 'centered_sum'];
    case 'variance':
    case 'stdev':
      return ['count', 'centered_sum', 'centered_squares'];
    case 'quantile':
    case 'median':
      return privateKeys ? ['count', 'quantile'] : ['quantile'];
  }
}

const KINDS: readonly AggregationKind[] = [
  'count',
  'sum',
  'mean',
  'variance',
  'stdev',
  'quantile',
  'median',
  'histogram'
];

function normalizeGroups(
  g: GroupsSpec | undefined
): { kind: 'none' } | { kind: 'public'; keys: string[] } | { kind: 'private'; delta: Rational } {
  if (g === undefined || g.kind === 'none') return { kind: 'none' };
  if (g.kind === 'public') {
    if (!Array.isArray(g.keys) || g.keys.length === 0) {
      throw invalidParameter(
        'groups.keys',
        'must be a non-empty list of public keys',
        'List the categories from the metadata, or use private keys with a δ.'
      );
    }
    const keys = g.keys.map(String);
    if (new Set(keys).size !== keys.length)
      throw invalidParameter('groups.keys', 'must not repeat a key');
    return { kind: 'public', keys };
  }
  if (g.kind === 'private') {
    const delta = positive(g.delta, 'groups.delta');
    if (delta.gte(Rational.ONE))
      throw invalidParameter('groups.delta', 'must be strictly between 0 and 1');
    return { kind: 'private', delta };
  }
  throw invalidParameter('groups.kind', 'must be "none", "public" or "private"');
}

interface Budget {
  family: 'laplace' | 'gaussian';
  /** pure: ε per statistic; zcdp: ρ per statistic */
  perPart: Rational;
  cost: Cost;
}

/** Splits the budget equally among `parts` statistics and fixes the mechanism family. */
function splitBudget(spec: AggregationSpec, parts: number, thresholdDelta: Rational): Budget {
  const b = spec.budget;
  if (b === undefined || b === null || typeof b !== 'object')
    throw invalidParameter(
      'budget',
      'is required',
      'Give { epsilon } or { rho }, or a target accuracy.'
    );
  const n = BigInt(parts);
  if ('rho' in b) {
    if (spec.mechanism === 'laplace')
      throw invalidParameter('mechanism', 'must be gaussian for a ρ (zCDP) budget');
    const rho = positive(b.rho, 'rho');
    return {
      family: 'gaussian',
      perPart: rho.divInt(n),
      cost: { measure: 'zcdp', rho, delta: thresholdDelta }
    };
  }
  if (!('epsilon' in b)) throw invalidParameter('budget', 'must contain epsilon or rho');
  const eps = positive(b.epsilon, 'epsilon');
  if (spec.mechanism === 'gaussian') {
    if (b.delta === undefined)
      throw invalidParameter(
        'delta',
        'is required for Gaussian noise with an ε budget',
        'Give { epsilon, delta } or { rho }.'
      );
    const d = positive(b.delta, 'delta');
    if (d.gte(Rational.ONE)) throw invalidParameter('delta', 'must be strictly between 0 and 1');
    const rho = approxToZcdp(eps, d);
    return {
      family: 'gaussian',
      perPart: rho.divInt(n),
      cost: { measure: 'approx', epsilon: eps, delta: d.add(thresholdDelta) }
    };
  }
  if (b.delta !== undefined) nonNegative(b.delta, 'delta'); // validated; Laplace spends no δ
  const cost: Cost = thresholdDelta.isZero()
    ? { measure: 'pure', epsilon: eps }
    : { measure: 'approx', epsilon: eps, delta: thresholdDelta };
  return { family: 'laplace', perPart: eps.divInt(n), cost };
}

/** Turns a target accuracy into a budget (count, sum, histogram). */
function budgetForAccuracy(
  spec: AggregationSpec,
  c: Contributions,
  grid: number,
  perRow: bigint
): BudgetSpec {
  const acc = spec.accuracy as AccuracySpec;
  const alpha = alphaOf(acc.confidence ?? spec.confidence ?? DEFAULT_CONFIDENCE);
  if (spec.mechanism === 'gaussian') {
    const sigma = discreteGaussianSigmaFor(acc.halfWidth, alpha, grid);
    const d2 = Rational.of(c.l2sq * perRow * perRow);
    return { rho: ceilDecimal(toNumber(d2.div(sigma.mul(sigma).mulInt(2n)), 'up'), 6) };
  }
  const s = discreteLaplaceScaleFor(acc.halfWidth, alpha, grid);
  return { epsilon: ceilDecimal(toNumber(Rational.of(c.l1 * perRow).div(s), 'up'), 6) };
}

/** Plans an aggregation: validates the spec, splits the budget, calibrates noise. Pure function. */
export function planAggregation(spec: AggregationSpec): AggregationPlan {
  if (spec === null || typeof spec !== 'object')
    throw invalidParameter('spec', 'must be an aggregation spec');
  if (!KINDS.includes(spec.kind))
    throw invalidParameter(
      'kind',
      `must be one of ${KINDS.join(', ')}`,
      `Got ${String(spec.kind)}.`
    );
  const kind = spec.kind;
  const groups = normalizeGroups(spec.groups);
  if (kind === 'histogram' && groups.kind !== 'public') {
    throw invalidParameter(
      'groups',
      'a histogram needs public bins or categories',
      'Give groups: { kind: "public", keys: [...] }.'
    );
  }
  const unit = spec.unit ?? { kind: 'row' };
  const c = contributions(
    unit,
    groups.kind === 'none' ? undefined : groups.kind === 'public' ? groups.keys.length : Infinity
  );
  const confidence = spec.accuracy?.confidence ?? spec.confidence ?? DEFAULT_CONFIDENCE;
  const alphaTotal = alphaOf(confidence);
  const ddof = spec.ddof ?? 1;
  if (ddof !== 0 && ddof !== 1) throw invalidParameter('ddof', 'must be 0 or 1');
  if (spec.budget !== undefined && spec.accuracy !== undefined)
    throw invalidParameter(
      'accuracy',
      'cannot be combined with a budget',
      'Give either a budget or a target accuracy.'
    );
  if (spec.budget === undefined && spec.accuracy === undefined)
    throw invalidParameter(
      'budget',
      'is required',
      'Give { epsilon }, { rho } or a target accuracy.'
    );

  const isQuantile = kind === 'quantile' || kind === 'median';
  const needsValues = kind === 'sum' || kind === 'mean' || kind === 'variance' || kind === 'stdev';
  let bounds: [Rational, Rational] | undefined;
  if (spec.bounds !== undefined) {
    if (!Array.isArray(spec.bounds) || spec.bounds.length !== 2)
      throw invalidParameter('bounds', 'must be [lower, upper]');
    bounds = checkBounds(spec.bounds[0], spec.bounds[1]);
  }
  if (needsValues && bounds === undefined) {
    throw invalidParameter(
      'bounds',
      `are required for ${kind}`,
      'One person could otherwise move the result without limit: give { bounds: [lower, upper] } from domain knowledge.'
    );
  }

  // Quantile: level and candidates.
  let level: Rational | undefined;
  let candidates: number[] | undefined;
  if (isQuantile) {
    level =
      kind === 'median'
        ? Rational.of(1n, 2n)
        : spec.quantile === undefined
          ? undefined
          : parseAmount(spec.quantile, 'quantile');
    if (level === undefined)
      throw invalidParameter('quantile', 'is required (a level between 0 and 1)');
    checkLevel(level);
    if (spec.candidates !== undefined) {
      checkCandidates(spec.candidates);
      candidates = [...spec.candidates];
    } else {
      if (bounds === undefined)
        throw invalidParameter('bounds', 'or candidates are required for a quantile');
      const [L, U] = bounds;
      const steps = BigInt(DEFAULT_QUANTILE_CANDIDATES - 1);
      const list: number[] = [];
      for (let i = 0n; i <= steps; i++) {
        const v = toNumber(L.add(U.sub(L).mul(Rational.of(i, steps))));
        if (list.length === 0 || v > list[list.length - 1]) list.push(v);
      }
      candidates = list;
    }
  }

  const names = statisticNames(kind, groups.kind === 'private');
  const parts = names.length;

  // Accuracy-first → a budget.
  let specWithBudget = spec;
  let grid = 0;
  const perRowValue = (g: number): { lg: bigint; ug: bigint } => {
    const [L, U] = bounds as [Rational, Rational];
    const f = Rational.pow2(-g);
    return { lg: L.mul(f).floor(), ug: U.mul(f).ceil() };
  };
  if (spec.accuracy !== undefined) {
    if (!(kind === 'count' || kind === 'histogram' || kind === 'sum') || parts !== 1) {
      throw invalidParameter(
        'accuracy',
        `a target accuracy is supported for count, histogram and sum with public or no keys, not ${kind}${groups.kind === 'private' ? ' with private keys' : ''}`,
        'Give a budget instead.'
      );
    }
    const hw = spec.accuracy.halfWidth;
    if (typeof hw !== 'number' || !(hw > 0) || !Number.isFinite(hw))
      throw invalidParameter('accuracy.halfWidth', 'must be a finite number greater than 0');
    if (kind === 'sum')
      grid = spec.grid !== undefined ? checkGrid(spec.grid) : defaultGrid(fromFloatExact(hw));
    const { lg, ug } = kind === 'sum' ? perRowValue(grid) : { lg: 1n, ug: 1n };
    const perRow = kind === 'sum' ? maxBig(abs(lg), abs(ug)) : 1n;
    if (perRow === 0n)
      throw invalidParameter('bounds', 'are both zero: the sum is public (always 0)');
    specWithBudget = {
      ...spec,
      grid,
      accuracy: undefined,
      budget: budgetForAccuracy(spec, c, grid, perRow)
    };
  }

  // Threshold δ (private keys) is part of the cost.
  const thrDelta = groups.kind === 'private' ? groups.delta : Rational.ZERO;
  const budget = splitBudget(specWithBudget, parts, thrDelta);

  // Grid of the values.
  if (needsValues) {
    if (specWithBudget.grid !== undefined) grid = checkGrid(specWithBudget.grid);
    else {
      const [L, U] = bounds as [Rational, Rational];
      const perRowReal = kind === 'sum' ? L.abs().max(U.abs()) : U.sub(L);
      if (perRowReal.isZero()) grid = 0;
      else {
        const d =
          budget.family === 'laplace'
            ? perRowReal.mulInt(c.l1)
            : perRowReal.mul(sqrtUp(Rational.of(c.l2sq)));
        const scaleReal =
          budget.family === 'laplace'
            ? d.div(budget.perPart)
            : d.div(sqrtUp(budget.perPart.mulInt(2n)));
        grid = defaultGrid(scaleReal);
      }
    }
  }
  const gb = needsValues ? perRowValue(grid) : undefined;

  const alphaPart =
    alphaTotal / (kind === 'mean' || kind === 'variance' || kind === 'stdev' ? names.length : 1);
  const statistics: StatisticPlan[] = names.map(name => {
    let perRow: bigint; // sensitivity of one row, in the statistic's grid units
    let g = 0;
    switch (name) {
      case 'count':
        perRow = 1n;
        break;
      case 'sum':
        perRow = maxBig(abs(gb!.lg), abs(gb!.ug));
        g = grid;
        break;
      case 'centered_sum':
        perRow = gb!.ug - gb!.lg;
        g = grid - 1;
        break;
      case 'centered_squares':
        perRow = (gb!.ug - gb!.lg) ** 2n;
        g = 2 * grid - 2;
        break;
      case 'quantile':
        perRow = quantileSensitivity(level as Rational, 1n);
        break;
    }
    const alpha =
      name === 'count' && parts > 1 && !(kind === 'mean' || kind === 'variance' || kind === 'stdev')
        ? alphaTotal
        : alphaPart;
    if (name === 'quantile') {
      const m = Rational.of(perRow);
      let scale: Rational;
      let mech: string;
      if (budget.family === 'laplace') {
        // ε = 2·l1·m / scale  →  scale = 2·l1·m/ε
        scale = m.mulInt(2n * c.l1).div(budget.perPart);
        mech = PERMUTE_AND_FLIP;
      } else {
        // ρ = m²·l2sq / (2·scale²)  →  scale = m·sqrt(l2sq/(2ρ))
        scale = m.mul(sqrtUp(Rational.of(c.l2sq).div(budget.perPart.mulInt(2n))));
        mech = EXPONENTIAL;
      }
      const nc = (candidates as number[]).length;
      return {
        name,
        mechanism: mech,
        grid: 0,
        sensitivity: Rational.of(perRow * c.linf),
        scale,
        scaleReal: scale,
        alpha,
        halfWidth: toNumber(scale, 'up') * Math.log(nc / alpha) * (1 + 1e-9)
      };
    }
    let sensitivity: Rational;
    let scale: Rational;
    let halfWidth: number;
    if (budget.family === 'laplace') {
      sensitivity = Rational.of(perRow * c.l1);
      scale = sensitivity.div(budget.perPart);
      halfWidth = discreteLaplaceHalfWidth(scale, alpha, g);
    } else {
      sensitivity = Rational.of(perRow * perRow * c.l2sq);
      scale = sensitivity.isZero() ? Rational.ZERO : gaussianSigma(sensitivity, budget.perPart);
      halfWidth = discreteGaussianHalfWidth(scale, alpha, g);
    }
    return {
      name,
      mechanism: budget.family === 'laplace' ? LAPLACE : GAUSSIAN,
      grid: g,
      sensitivity,
      scale,
      scaleReal: scale.mul(Rational.pow2(g)),
      alpha,
      halfWidth
    };
  });

  let planGroups: AggregationPlan['groups'];
  if (groups.kind === 'private') {
    const count = statistics.find(s => s.name === 'count') as StatisticPlan;
    if (count.scale.isZero())
      throw invalidParameter('budget', 'leaves no noise for the key threshold');
    const threshold = thresholdFor(budget.family, count.scale, groups.delta, c.l0, c.linf);
    planGroups = { kind: 'private', delta: groups.delta, threshold };
  } else planGroups = groups;

  const main = statistics[statistics.length - 1];
  const mechanism =
    kind === 'mean' || kind === 'variance' || kind === 'stdev'
      ? `${statistics[0].mechanism}`
      : main.mechanism;
  return {
    kind,
    measure: budget.cost.measure,
    mechanism,
    grid,
    bounds,
    gridBounds: gb ? [gb.lg, gb.ug] : undefined,
    level,
    candidates,
    ddof,
    groups: planGroups,
    contributions: c,
    statistics,
    cost: budget.cost,
    confidence,
    halfWidth:
      kind === 'count' || kind === 'histogram' || kind === 'sum' ? main.halfWidth : undefined,
    needs: {
      count: true,
      sum: needsValues,
      sumSquares: kind === 'variance' || kind === 'stdev',
      quantileCounts: isQuantile
    }
  };
}
