/**
 * Planning: from an aggregation spec, public bounds, the privacy unit and a budget (or a target
 * accuracy), build — without data and without randomness — the MEASUREMENTS that will release the
 * aggregation (one per noisy statistic: function + privacy map from the same scale), their
 * composition in the dataset's measure, and the expected CI half-width. The cost is the composed
 * loss of those measurements, never a restatement of the requested budget: the budget only
 * calibrates the scales. The server calls planAggregation BEFORE touching data (to charge the
 * ledger, or to answer a free estimate), then releaseAggregation with the engine's exact
 * sufficient statistics, which invokes exactly these measurements.
 */
import { approxToZcdp, type AccountingMode, type Cost } from '../accounting';
import {
  alphaOf,
  discreteGaussianHalfWidth,
  discreteGaussianSigmaFor,
  discreteLaplaceHalfWidth,
  discreteLaplaceScaleFor
} from '../accuracy';
import {
  ACCURACY_TARGETS,
  AGGREGATION_OPS,
  accuracyTargetError,
  gaussianNeedsDelta,
  needsSumSquares,
  pureDatasetRule,
  rhoNeedsGaussian,
  varianceBoundsError,
  varianceBoundsFit,
  type AggregationOp
} from 'lomas-kernel/protocol';
import { invalidParameter } from '../errors';
import { checkBounds, checkGrid, defaultGrid } from '../float';
import { castComposition, compose, type Composition, type Measurement } from '../measurement';
import { GAUSSIAN, gaussianSigma, makeGaussian } from '../mechanisms/gaussian';
import { LAPLACE, makeLaplace } from '../mechanisms/laplace';
import { EXPONENTIAL, makeSelection, PERMUTE_AND_FLIP } from '../mechanisms/permute-and-flip';
import { checkCandidates, checkLevel, quantileSensitivity } from '../mechanisms/quantile';
import { makeThreshold, thresholdFor } from '../mechanisms/threshold';
import { ceilDecimal, sqrtUp } from '../numeric';
import {
  fromFloatExact,
  nonNegative,
  parseAmount,
  positive,
  Rational,
  RationalLike,
  toNumber
} from '../rational';
import { Contributions, contributions, PrivacyUnit } from '../units';

/** The aggregations of the protocol (one list: lomas-kernel/protocol AGGREGATION_OPS). */
export type AggregationKind = AggregationOp;

export type GroupsSpec =
  | { kind: 'none' }
  /** Public keys (from metadata): every key is released, present in the data or not. */
  | { kind: 'public'; keys: readonly string[] }
  /**
   * Keys discovered from the data: released only above a δ-calibrated noisy threshold. `padTo`:
   * a public number of groups the release draws noise for whatever the data holds (timing).
   */
  | { kind: 'private'; delta: RationalLike; padTo?: number };

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
  /**
   * The dataset's accounting mode: every loss is stated in its measure. Default: the budget's own
   * (ρ → zcdp; Gaussian (ε, δ) or private keys → approx; ε → pure).
   */
  measure?: AccountingMode;
  /** For an (ε, δ) dataset and a ρ budget: the δ' at which ρ is converted to ε (the dataset's δ). */
  conversionDelta?: RationalLike;
}

export type StatisticName = 'count' | 'sum' | 'centered_sum' | 'centered_squares' | 'quantile';

/** One noisy statistic the release is built from, and the measurement that releases it. */
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
  /**
   * The measurement that releases this statistic over the groups: a noisy vector (one value per
   * group), a key threshold (count with private keys), or one selection per group (quantiles).
   */
  measurement: Measurement<never, unknown>;
}

/**
 * The NOISE PLAN of one aggregation: how it will be released (its statistics' measurements,
 * sensitivities, scales, grid) and what that costs. Not the wire QueryPlan nor the CheckedPlan:
 * see the glossary in docs/ARCHITECTURE.md.
 */
export interface NoisePlan {
  kind: AggregationKind;
  /** The measure every loss of this plan is stated in (the dataset's accounting mode). */
  measure: AccountingMode;
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
    | { kind: 'private'; delta: Rational; threshold: bigint; padTo: number };
  contributions: Contributions;
  statistics: StatisticPlan[];
  /** The composition of the statistics' measurements, in `measure`. */
  composition: Composition;
  /** = composition.loss: what the ledger charges for this aggregation. */
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

const KINDS: readonly AggregationKind[] = AGGREGATION_OPS;

const isMoment = (k: AggregationKind) => k === 'mean' || k === 'variance' || k === 'stdev';

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

type Groups =
  | { kind: 'none' }
  | { kind: 'public'; keys: string[] }
  | { kind: 'private'; delta: Rational; padTo: number };

function normalizeGroups(g: GroupsSpec | undefined): Groups {
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
    const padTo = g.padTo ?? 0;
    if (!Number.isSafeInteger(padTo) || padTo < 0)
      throw invalidParameter('groups.padTo', 'must be a non-negative integer');
    return { kind: 'private', delta, padTo };
  }
  throw invalidParameter('groups.kind', 'must be "none", "public" or "private"');
}

/** How the budget calibrates the noise: the family, and ε or ρ per statistic. */
export interface Calibration {
  family: 'laplace' | 'gaussian';
  /** laplace: ε per statistic; gaussian: ρ per statistic. */
  perPart: Rational;
  /** The measure the plan's losses are stated in. */
  measure: AccountingMode;
  /** δ' for casting zCDP noise to an (ε, δ) measure. */
  conversionDelta?: Rational;
  /** The (ε, δ) requested for Gaussian noise, when the budget was given in that form. */
  approxRequest?: { epsilon: Rational; delta: Rational };
}

function naturalMeasure(b: BudgetSpec, gaussian: boolean, privateKeys: boolean): AccountingMode {
  if ('rho' in b) return 'zcdp';
  return gaussian || privateKeys ? 'approx' : 'pure';
}

/** Splits the budget equally among `parts` statistics and fixes the family and the measure. */
function calibrate(spec: AggregationSpec, parts: number, groups: Groups): Calibration {
  const b = spec.budget;
  if (b === undefined || b === null || typeof b !== 'object')
    throw invalidParameter(
      'budget',
      'is required',
      'Give { epsilon } or { rho }, or a target accuracy.'
    );
  const n = BigInt(parts);
  const privateKeys = groups.kind === 'private';
  const gaussian = spec.mechanism === 'gaussian' || 'rho' in b;
  const measure = spec.measure ?? naturalMeasure(b, gaussian, privateKeys);
  const datasetDelta =
    spec.conversionDelta === undefined
      ? undefined
      : nonNegative(spec.conversionDelta, 'conversionDelta');
  if ('rho' in b) {
    if (spec.mechanism === 'laplace') throw rhoNeedsGaussian('this aggregation');
    return {
      family: 'gaussian',
      perPart: positive(b.rho, 'rho').divInt(n),
      measure,
      conversionDelta: datasetDelta
    };
  }
  if (!('epsilon' in b)) throw invalidParameter('budget', 'must contain epsilon or rho');
  const eps = positive(b.epsilon, 'epsilon');
  const delta = b.delta === undefined ? Rational.ZERO : nonNegative(b.delta, 'delta');
  if (measure === 'pure' && delta.sign() > 0) throw pureDatasetRule('delta');
  if (spec.mechanism !== 'gaussian') return { family: 'laplace', perPart: eps.divInt(n), measure };
  if (delta.isZero()) throw gaussianNeedsDelta('this aggregation');
  if (delta.gte(Rational.ONE)) throw invalidParameter('delta', 'must be strictly between 0 and 1');
  // The (ε, δ) request buys ρ; the loss charged is the ρ of the σ actually used (cast to the
  // dataset's measure at this δ when it is (ε, δ)).
  return {
    family: 'gaussian',
    perPart: approxToZcdp(eps, delta).divInt(n),
    measure,
    conversionDelta: delta,
    approxRequest: { epsilon: eps, delta }
  };
}

/**
 * The noise family, the share of the budget per part, and the measure of a budget request with no
 * groups (the same rules as aggregations: used by the synthesizer, dp/synthetic/plan.ts).
 */
export function calibrateBudget(
  spec: Pick<AggregationSpec, 'budget' | 'mechanism' | 'measure' | 'conversionDelta'>,
  parts: number
): Calibration {
  return calibrate({ kind: 'count', ...spec }, parts, { kind: 'none' });
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

function checkKind(spec: AggregationSpec): AggregationKind {
  if (spec === null || typeof spec !== 'object')
    throw invalidParameter('spec', 'must be an aggregation spec');
  if (!KINDS.includes(spec.kind))
    throw invalidParameter(
      'kind',
      `must be one of ${KINDS.join(', ')}`,
      `Got ${String(spec.kind)}.`
    );
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
  if (spec.ddof !== undefined && spec.ddof !== 0 && spec.ddof !== 1)
    throw invalidParameter('ddof', 'must be 0 or 1');
  return spec.kind;
}

function checkedBounds(
  spec: AggregationSpec,
  kind: AggregationKind
): [Rational, Rational] | undefined {
  let bounds: [Rational, Rational] | undefined;
  if (spec.bounds !== undefined) {
    if (!Array.isArray(spec.bounds) || spec.bounds.length !== 2)
      throw invalidParameter('bounds', 'must be [lower, upper]');
    bounds = checkBounds(spec.bounds[0], spec.bounds[1]);
  }
  // The plan rule (varianceBoundsFit, on the same numbers), re-asserted before any arithmetic.
  if (spec.bounds && (kind === 'variance' || kind === 'stdev'))
    if (!varianceBoundsFit(spec.bounds[0], spec.bounds[1])) throw varianceBoundsError(kind);
  if ((kind === 'sum' || isMoment(kind)) && bounds === undefined) {
    throw invalidParameter(
      'bounds',
      `are required for ${kind}`,
      'One person could otherwise move the result without limit: give { bounds: [lower, upper] } from domain knowledge.'
    );
  }
  return bounds;
}

/** Quantile level and public candidates (default: evenly spaced between the bounds). */
function quantileSetup(
  spec: AggregationSpec,
  kind: AggregationKind,
  bounds: [Rational, Rational] | undefined
): { level: Rational; candidates: number[] } {
  const level =
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
    return { level, candidates: [...spec.candidates] };
  }
  if (bounds === undefined)
    throw invalidParameter('bounds', 'or candidates are required for a quantile');
  const [L, U] = bounds;
  const steps = BigInt(DEFAULT_QUANTILE_CANDIDATES - 1);
  const list: number[] = [];
  for (let i = 0n; i <= steps; i++) {
    const v = toNumber(L.add(U.sub(L).mul(Rational.of(i, steps))));
    if (list.length === 0 || v > list[list.length - 1]) list.push(v);
  }
  return { level, candidates: list };
}

/** Integer bounds of clamped values on the grid 2^g. */
function gridBoundsOf(bounds: [Rational, Rational], g: number): [bigint, bigint] {
  const f = Rational.pow2(-g);
  return [bounds[0].mul(f).floor(), bounds[1].mul(f).ceil()];
}

/** An accuracy target becomes a budget (count, histogram, sum with public or no keys). */
function withAccuracyBudget(
  spec: AggregationSpec,
  kind: AggregationKind,
  parts: number,
  groups: Groups,
  c: Contributions,
  bounds: [Rational, Rational] | undefined
): AggregationSpec {
  if (spec.accuracy === undefined) return spec;
  // The protocol's table of aggregations that take a target (rules/budget.ts). A target calibrates
  // exactly one noisy statistic, so it needs `parts` = 1.
  const allowed = ACCURACY_TARGETS[kind];
  const privateKeys = groups.kind === 'private';
  if (allowed === null || (allowed === 'public' && privateKeys) || parts !== 1)
    throw accuracyTargetError(kind, privateKeys);
  const hw = spec.accuracy.halfWidth;
  if (typeof hw !== 'number' || !(hw > 0) || !Number.isFinite(hw))
    throw invalidParameter('accuracy.halfWidth', 'must be a finite number greater than 0');
  let grid = 0;
  let perRow = 1n;
  if (kind === 'sum') {
    grid = spec.grid !== undefined ? checkGrid(spec.grid) : defaultGrid(fromFloatExact(hw));
    const [lg, ug] = gridBoundsOf(bounds as [Rational, Rational], grid);
    perRow = maxBig(abs(lg), abs(ug));
    if (perRow === 0n)
      throw invalidParameter('bounds', 'are both zero: the sum is public (always 0)');
  }
  return { ...spec, grid, accuracy: undefined, budget: budgetForAccuracy(spec, c, grid, perRow) };
}

/** The fixed-point grid of bounded values: given, or chosen so the rounding hides in the noise. */
function valueGrid(
  spec: AggregationSpec,
  kind: AggregationKind,
  bounds: [Rational, Rational],
  cal: Calibration,
  c: Contributions
): number {
  if (spec.grid !== undefined) return checkGrid(spec.grid);
  const [L, U] = bounds;
  const perRowReal = kind === 'sum' ? L.abs().max(U.abs()) : U.sub(L);
  if (perRowReal.isZero()) return 0;
  const d =
    cal.family === 'laplace'
      ? perRowReal.mulInt(c.l1)
      : perRowReal.mul(sqrtUp(Rational.of(c.l2sq)));
  const scaleReal =
    cal.family === 'laplace' ? d.div(cal.perPart) : d.div(sqrtUp(cal.perPart.mulInt(2n)));
  return defaultGrid(scaleReal);
}

interface StatisticContext {
  kind: AggregationKind;
  cal: Calibration;
  c: Contributions;
  groups: Groups;
  grid: number;
  gridBounds?: [bigint, bigint];
  level?: Rational;
  candidates?: number[];
  alphaTotal: number;
  parts: number;
  /** Measure each part is built in (zCDP for Gaussian parts cast once later, else the plan's). */
  partMeasure: AccountingMode;
}

/**
 * The loss a Gaussian-family part was calibrated for, in its (zCDP) measure: its share of ρ (and
 * the threshold's δ). σ and selection scales are rounded up, so the privacy maps give at most this.
 */
function zcdpClaim(x: StatisticContext, delta: Rational = Rational.ZERO): Cost | undefined {
  if (x.cal.family !== 'gaussian' || x.partMeasure !== 'zcdp') return undefined;
  return { measure: 'zcdp', rho: x.cal.perPart, delta };
}

/** Sensitivity of one row in the statistic's grid units, and the statistic's grid exponent. */
function perRowOf(name: StatisticName, x: StatisticContext): { perRow: bigint; g: number } {
  const gb = x.gridBounds as [bigint, bigint];
  switch (name) {
    case 'count':
      return { perRow: 1n, g: 0 };
    case 'sum':
      return { perRow: maxBig(abs(gb[0]), abs(gb[1])), g: x.grid };
    case 'centered_sum':
      return { perRow: gb[1] - gb[0], g: x.grid - 1 };
    case 'centered_squares':
      return { perRow: (gb[1] - gb[0]) ** 2n, g: 2 * x.grid - 2 };
    case 'quantile':
      return { perRow: quantileSensitivity(x.level as Rational, 1n), g: 0 };
  }
}

function alphaOfStatistic(x: StatisticContext): number {
  if (isMoment(x.kind)) return x.alphaTotal / x.parts;
  return x.alphaTotal;
}

/** A quantile statistic: one selection per group over the public candidates. */
function selectionStatistic(x: StatisticContext): StatisticPlan {
  const m = quantileSensitivity(x.level as Rational, 1n);
  const mr = Rational.of(m);
  const pure = x.cal.family === 'laplace';
  // pure: ε = 2·m·l1/scale → scale = 2·m·l1/ε; zCDP: ρ = m²·l2sq/(2·scale²) → scale = m·sqrt(l2sq/(2ρ))
  const scale = pure
    ? mr.mulInt(2n * x.c.l1).div(x.cal.perPart)
    : mr.mul(sqrtUp(Rational.of(x.c.l2sq).div(x.cal.perPart.mulInt(2n))));
  const measurement = makeSelection({
    algorithm: pure ? 'permute_and_flip' : 'exponential',
    scoreSensitivity: m,
    contributions: { l1: x.c.l1, l2sq: x.c.l2sq },
    scale,
    measure: x.partMeasure,
    claim: zcdpClaim(x),
    label: 'quantile'
  });
  const alpha = alphaOfStatistic(x);
  const nc = (x.candidates as number[]).length;
  return {
    name: 'quantile',
    mechanism: pure ? PERMUTE_AND_FLIP : EXPONENTIAL,
    grid: 0,
    sensitivity: Rational.of(m * x.c.linf),
    scale,
    scaleReal: scale,
    alpha,
    halfWidth: toNumber(scale, 'up') * Math.log(nc / alpha) * (1 + 1e-9),
    measurement: measurement as Measurement<never, unknown>
  };
}

/** The count of a private-key aggregation: noise plus the δ-calibrated key threshold. */
function thresholdMeasurement(
  x: StatisticContext,
  sensitivity: Rational,
  scale: Rational
): { measurement: Measurement<never, unknown>; threshold: bigint } {
  const g = x.groups as Extract<Groups, { kind: 'private' }>;
  if (scale.isZero()) throw invalidParameter('budget', 'leaves no noise for the key threshold');
  const threshold = thresholdFor(x.cal.family, scale, g.delta, x.c.l0, x.c.linf);
  const measurement = makeThreshold<number>({
    noise: x.cal.family,
    sensitivity,
    scale,
    threshold,
    l0: x.c.l0,
    linf: x.c.linf,
    delta: g.delta,
    measure: x.partMeasure,
    claim: zcdpClaim(x, g.delta),
    padTo: g.padTo,
    label: 'count'
  });
  return { measurement: measurement as Measurement<never, unknown>, threshold };
}

/** A noisy-vector statistic (count, sum, centered sums): Laplace or Gaussian over the groups. */
function vectorStatistic(
  name: StatisticName,
  x: StatisticContext
): StatisticPlan & { threshold?: bigint } {
  const { perRow, g } = perRowOf(name, x);
  const alpha = alphaOfStatistic(x);
  const laplace = x.cal.family === 'laplace';
  const sensitivity = laplace
    ? Rational.of(perRow * x.c.l1)
    : Rational.of(perRow * perRow * x.c.l2sq);
  const scale = sensitivity.isZero()
    ? Rational.ZERO
    : laplace
      ? sensitivity.div(x.cal.perPart)
      : gaussianSigma(sensitivity, x.cal.perPart);
  const halfWidth = laplace
    ? discreteLaplaceHalfWidth(scale, alpha, g)
    : discreteGaussianHalfWidth(scale, alpha, g);
  let measurement: Measurement<never, unknown>;
  let threshold: bigint | undefined;
  if (name === 'count' && x.groups.kind === 'private') {
    ({ measurement, threshold } = thresholdMeasurement(x, sensitivity, scale));
  } else {
    measurement = (
      laplace
        ? makeLaplace({ sensitivity, scale, measure: x.partMeasure, label: name })
        : makeGaussian({
            sensitivitySquared: sensitivity,
            sigma: scale,
            measure: x.partMeasure,
            claim: sensitivity.isZero() ? undefined : zcdpClaim(x),
            label: name
          })
    ) as Measurement<never, unknown>;
  }
  return {
    name,
    mechanism: laplace ? LAPLACE : GAUSSIAN,
    grid: g,
    sensitivity,
    scale,
    scaleReal: scale.mul(Rational.pow2(g)),
    alpha,
    halfWidth,
    measurement,
    threshold
  };
}

/** Composes the statistics' measurements in the plan's measure (Gaussian parts: zCDP, cast once). */
function composeStatistics(statistics: StatisticPlan[], x: StatisticContext): Composition {
  const parts = compose(
    statistics.map(s => s.measurement),
    x.partMeasure
  );
  // An (ε, δ) request on an (ε, δ) dataset: the composed ρ converts to at most that ε at δ
  // (approxToZcdp guarantees it), so the request is stated (plus the threshold's δ, if any).
  const req = x.cal.approxRequest;
  const thresholdDelta = x.groups.kind === 'private' ? x.groups.delta : Rational.ZERO;
  const claim: Cost | undefined =
    req && x.cal.measure === 'approx'
      ? { measure: 'approx', epsilon: req.epsilon, delta: req.delta.add(thresholdDelta) }
      : undefined;
  return castComposition(parts, x.cal.measure, {
    conversionDelta: x.cal.conversionDelta,
    claim
  });
}

/** Plans an aggregation: validates the spec, calibrates the noise, builds its measurements. Pure. */
export function planAggregation(spec: AggregationSpec): NoisePlan {
  const kind = checkKind(spec);
  const groups = normalizeGroups(spec.groups);
  if (kind === 'histogram' && groups.kind !== 'public') {
    throw invalidParameter(
      'groups',
      'a histogram needs public bins or categories',
      'Give groups: { kind: "public", keys: [...] }.'
    );
  }
  const c = contributions(
    spec.unit ?? { kind: 'row' },
    groups.kind === 'none' ? undefined : groups.kind === 'public' ? groups.keys.length : Infinity
  );
  const confidence = spec.accuracy?.confidence ?? spec.confidence ?? DEFAULT_CONFIDENCE;
  const bounds = checkedBounds(spec, kind);
  const quantile =
    kind === 'quantile' || kind === 'median' ? quantileSetup(spec, kind, bounds) : undefined;
  const names = statisticNames(kind, groups.kind === 'private');
  const budgeted = withAccuracyBudget(spec, kind, names.length, groups, c, bounds);
  const cal = calibrate(budgeted, names.length, groups);
  const needsValues = kind === 'sum' || isMoment(kind);
  const grid = needsValues ? valueGrid(budgeted, kind, bounds as [Rational, Rational], cal, c) : 0;
  const x: StatisticContext = {
    kind,
    cal,
    c,
    groups,
    grid,
    gridBounds: needsValues ? gridBoundsOf(bounds as [Rational, Rational], grid) : undefined,
    level: quantile?.level,
    candidates: quantile?.candidates,
    alphaTotal: alphaOf(confidence),
    parts: names.length,
    partMeasure: cal.family === 'gaussian' && cal.measure === 'approx' ? 'zcdp' : cal.measure
  };
  let threshold: bigint | undefined;
  const statistics: StatisticPlan[] = names.map(name => {
    if (name === 'quantile') return selectionStatistic(x);
    const s = vectorStatistic(name, x);
    if (s.threshold !== undefined) threshold = s.threshold;
    delete s.threshold;
    return s;
  });
  const composition = composeStatistics(statistics, x);
  const main = statistics[statistics.length - 1];
  return {
    kind,
    measure: cal.measure,
    mechanism: isMoment(kind) ? statistics[0].mechanism : main.mechanism,
    grid,
    bounds,
    gridBounds: x.gridBounds,
    level: quantile?.level,
    candidates: quantile?.candidates,
    ddof: spec.ddof ?? 1,
    groups:
      groups.kind === 'private'
        ? {
            kind: 'private',
            delta: groups.delta,
            threshold: threshold as bigint,
            padTo: groups.padTo
          }
        : groups,
    contributions: c,
    statistics,
    composition,
    cost: composition.loss,
    confidence,
    halfWidth:
      kind === 'count' || kind === 'histogram' || kind === 'sum' ? main.halfWidth : undefined,
    needs: {
      count: true,
      sum: needsValues,
      sumSquares: needsSumSquares(kind),
      quantileCounts: kind === 'quantile' || kind === 'median'
    }
  };
}
