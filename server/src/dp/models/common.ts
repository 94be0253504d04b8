/**
 * What the DP models (dp/models/<name>/) share: the fixed-point encoding of bounded values, the
 * calibration of a model's noisy steps from one budget, and their composition in the dataset's
 * measure. A model is a sequence of noisy STEPS, each a measurement built here before any data is
 * read (mechanisms/laplace or mechanisms/gaussian, from one row's public bound and the step's share
 * of the budget); the ledger charges the composition of all of them.
 *
 * Fixed point. Every bounded value x (a feature or a numeric target) is clamped to its public
 * bounds [L, U] and mapped to c = (2·x − (L + U)) / (U − L) in [−1, 1]; the engine sends
 * q = round(c · 2^30) clamped to [−2^30, 2^30] as an integer. The map may be computed in doubles:
 * privacy rests only on the integer clamp, which bounds every row's contribution whatever the
 * rounding did; accuracy loses about 2^-30 of the range. Integer columns with integer bounds
 * (range ≤ 2^30) are encoded exactly in integers instead (`fixedInteger`: faster, no doubles). Sums of q (≤ 2^30) and of products of two
 * q (≤ 2^60, a BIGINT) over fewer than 2^64 rows stay below 2^124: no overflow is possible in a
 * 128-bit HUGEINT sum, whatever the private data.
 */
import type { AccountingMode, Cost } from '../accounting';
import { calibrateBudget, type BudgetSpec, type Calibration } from '../aggregations/plan';
import { invalidParameter } from '../errors';
import { castComposition, compose, type Composition, type Measurement } from '../measurement';
import { GAUSSIAN, gaussianSigma, makeGaussian } from '../mechanisms/gaussian';
import { LAPLACE, makeLaplace } from '../mechanisms/laplace';
import { Rational, toNumber, toSignificant, type RationalLike } from '../rational';
import { contributions, type Contributions, type PrivacyUnit } from '../units';

/** Bits of the fixed-point encoding: the integer ONE stands for 1.0. */
export const MODEL_BITS = 30;
export const ONE = 1n << BigInt(MODEL_BITS);
const ONE_FLOAT = 2 ** MODEL_BITS;

/** Public bounds of one bounded value (from metadata or the request; never from the data). */
export interface Bounds {
  lower: number;
  upper: number;
  /**
   * Integer values with integer bounds and upper − lower ≤ 2^30: the engine may compute q exactly
   * in integers (`encode`), which is faster than the double map and rounds the exact rational.
   */
  integer?: boolean;
}

/** Whether bounds allow the exact integer encoding (int column, integer bounds, range ≤ 2^30). */
export function integerBounds(lower: number, upper: number): boolean {
  return (
    Number.isSafeInteger(lower) && Number.isSafeInteger(upper) && upper - lower <= 2 ** MODEL_BITS
  );
}

/** Checks public bounds: finite, lower < upper (a constant carries no information to fit on). */
export function checkBoundsOf(b: Bounds, parameter: string): Bounds {
  if (
    b === null ||
    typeof b !== 'object' ||
    !Number.isFinite(b.lower) ||
    !Number.isFinite(b.upper) ||
    !(b.lower < b.upper) ||
    !Number.isFinite(b.upper - b.lower)
  )
    throw invalidParameter(
      parameter,
      'needs finite public bounds with lower < upper',
      'Give bounds from domain knowledge, e.g. { bounds: { x: [0, 100] } }.'
    );
  return b;
}

/** x clamped to [L, U] and mapped onto [−1, 1]: the double computation the engine's SQL performs. */
export function normalise(x: number, b: Bounds): number {
  const c = Math.min(Math.max(x, b.lower), b.upper);
  return (2 * c - (b.lower + b.upper)) / (b.upper - b.lower);
}

/** c·2^30 rounded half away from zero (DuckDB's round), clamped to [−ONE, ONE]. */
export function fixed(c: number): bigint {
  return BigInt(fixedNumber(c));
}

/**
 * Exact encoding of an integer x with integer bounds: round half away from zero of the rational
 * (2·clamp(x) − (L + U))·2^30 / (U − L), in integers (|numerator| ≤ 2^61 for U − L ≤ 2^30).
 */
export function fixedInteger(x: number, b: Bounds): bigint {
  const [lo, hi] = [BigInt(b.lower), BigInt(b.upper)];
  const w = hi - lo;
  const c = BigInt(Math.min(Math.max(Math.round(x), b.lower), b.upper));
  const n = (2n * c - (lo + hi)) * ONE;
  const q = ((n < 0n ? -n : n) + w / 2n) / w;
  return n < 0n ? -q : q;
}

/** The fixed-point integer of a bounded value, as the engine computes it. */
export function encode(x: number, b: Bounds): bigint {
  return b.integer ? fixedInteger(x, b) : fixed(normalise(x, b));
}

/** The same integer as a double (exact: |q| ≤ 2^30); sums of fewer than 2^23 of them stay exact. */
export function fixedNumber(c: number): number {
  const t = c * ONE_FLOAT;
  const r = t < 0 ? -Math.round(-t) : Math.round(t);
  return Number.isFinite(r) ? Math.min(ONE_FLOAT, Math.max(-ONE_FLOAT, r)) : 0;
}

/** A fixed-point integer in units of 2^-(k·30), as a double (post-processing). */
export function fromFixed(v: bigint, power = 1): number {
  return Number(v) / ONE_FLOAT ** power;
}

/** The value in original units of a normalised c: mid + c·half. */
export function denormalise(c: number, b: Bounds): number {
  return (b.lower + b.upper) / 2 + (c * (b.upper - b.lower)) / 2;
}

/** The budget and the facts every model step is calibrated from (all public). */
export interface ModelBudget {
  /** { epsilon } (Laplace), { rho } or { epsilon, delta } (Gaussian, as aggregations). */
  budget: BudgetSpec;
  mechanism?: 'laplace' | 'gaussian';
  /** The dataset's accounting mode: every loss is stated in its measure. */
  measure: AccountingMode;
  /** For an (ε, δ) dataset and a ρ budget: the δ' at which ρ is converted (the dataset's δ). */
  conversionDelta?: RationalLike;
  unit?: PrivacyUnit;
}

export interface ModelCalibration extends Calibration {
  /** The measure each step is built in: zCDP for Gaussian steps on an (ε, δ) dataset (cast once). */
  partMeasure: AccountingMode;
  /** Contribution bounds of one privacy unit (k rows): L1 multiplier k, L2² multiplier k². */
  contributions: Contributions;
  parts: number;
}

/** Smallest ε (or ρ) of one step: below it the noise drowns any signal (a public rule). */
export const MIN_STEP_EPSILON = Rational.of(1n, 1000n);
export const MIN_STEP_RHO = Rational.of(1n, 2_000_000n);

/** Splits the budget equally among `parts` noisy steps (the same rules as aggregations). */
export function calibrateModel(b: ModelBudget, parts: number, what: string): ModelCalibration {
  const cal = calibrateBudget(
    {
      budget: b.budget,
      mechanism: b.mechanism,
      measure: b.measure,
      conversionDelta: b.conversionDelta
    },
    parts
  );
  const min = cal.family === 'laplace' ? MIN_STEP_EPSILON : MIN_STEP_RHO;
  if (cal.perPart.lt(min)) {
    const name = cal.family === 'laplace' ? 'ε' : 'ρ';
    throw invalidParameter(
      'budget',
      `is too small for ${parts} noisy step${parts > 1 ? 's' : ''} of ${what}: each gets ${name} = ${toSignificant(cal.perPart, 3, 'down')}, below the minimum ${name} = ${toSignificant(min, 3, 'down')} per step at which a step still carries signal`,
      parts > 1
        ? 'Give a larger budget or fewer iterations.'
        : `Give a budget of at least ${name} = ${toSignificant(min, 3, 'up')}.`
    );
  }
  return {
    ...cal,
    partMeasure: cal.family === 'gaussian' && cal.measure === 'approx' ? 'zcdp' : cal.measure,
    contributions: contributions(b.unit ?? { kind: 'row' }),
    parts
  };
}

/** One noisy step of a model: a measurement on an integer vector, and its noise for reports. */
export interface NoisyStep {
  label: string;
  measurement: Measurement<readonly bigint[], bigint[]>;
  mechanism: string;
  /** Noise scale in the vector's integer units (σ for Gaussian). */
  scale: Rational;
  /** Standard deviation of each coordinate's noise, integer units (float, for post-processing). */
  sd: number;
  /** Values noised per invocation. */
  length: number;
  /** The vector's integer unit is 2^-(30·power) on the normalised scale (count: 0). */
  power: number;
}

/**
 * A step releasing an integer vector of `length` values, one row of which moves it by at most
 * `row.l1` in L1 norm and `row.l2sq` in squared L2 norm (integer units). A privacy unit of k rows
 * moves it by k times as much (triangle inequality): L1 ≤ k·l1, L2² ≤ k²·l2sq.
 */
export function vectorStep(
  cal: ModelCalibration,
  row: { l1: bigint; l2sq: bigint },
  length: number,
  label: string,
  power = 0
): NoisyStep {
  const c = cal.contributions;
  if (cal.family === 'laplace') {
    const sensitivity = Rational.of(row.l1 * c.l1);
    const scale = sensitivity.div(cal.perPart);
    return {
      label,
      measurement: makeLaplace({ sensitivity, scale, measure: cal.partMeasure, label }),
      mechanism: LAPLACE,
      scale,
      sd: Math.SQRT2 * toNumber(scale),
      length,
      power
    };
  }
  const d2 = Rational.of(row.l2sq * c.l2sq);
  const sigma = gaussianSigma(d2, cal.perPart);
  const claim: Cost | undefined =
    cal.partMeasure === 'zcdp'
      ? { measure: 'zcdp', rho: cal.perPart, delta: Rational.ZERO }
      : undefined;
  return {
    label,
    measurement: makeGaussian({
      sensitivitySquared: d2,
      sigma,
      measure: cal.partMeasure,
      claim,
      label
    }),
    mechanism: GAUSSIAN,
    scale: sigma,
    sd: toNumber(sigma),
    length,
    power
  };
}

/**
 * The composition of a model's steps in the dataset's measure: basic composition of every step
 * (adaptive: later steps may depend on earlier releases, accounting/PROOF.md §4); Gaussian steps
 * on an (ε, δ) dataset compose in zCDP and are cast once, stating the (ε, δ) requested.
 */
export function composeSteps(steps: readonly NoisyStep[], cal: ModelCalibration): Composition {
  const parts = compose(
    steps.map(s => s.measurement),
    cal.partMeasure
  );
  const req = cal.approxRequest;
  return castComposition(parts, cal.measure, {
    conversionDelta: cal.conversionDelta,
    claim:
      req && cal.measure === 'approx'
        ? { measure: 'approx', epsilon: req.epsilon, delta: req.delta }
        : undefined
  });
}

/** Checks a positive integer option within public limits (iterations, clusters, …). */
export function checkCount(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  parameter: string
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw invalidParameter(
      parameter,
      `must be a whole number from ${min} to ${max}`,
      `Got ${String(value)}.`
    );
  return v;
}

/** Checks a finite, non-negative (or positive) public number option. */
export function checkNumber(
  value: number | undefined,
  fallback: number,
  parameter: string,
  positiveOnly = false
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positiveOnly && v === 0))
    throw invalidParameter(
      parameter,
      positiveOnly ? 'must be a finite number above 0' : 'must be a finite number, 0 or more',
      `Got ${String(value)}.`
    );
  return v;
}
