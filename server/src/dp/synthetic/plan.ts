/**
 * Planning a synthetic table (MST-style, McKenna, Miklau & Sheldon 2021): from public facts only
 * (the columns' cells, the privacy unit, the budget, the dataset's measure) build — without data
 * and without randomness — every MEASUREMENT the synthesizer will invoke, and their composition:
 *
 *   1. one-way marginals: one noisy histogram per column (Laplace or Gaussian);
 *   2. the tree: d − 1 selection rounds (permute-and-flip or the exponential mechanism), each
 *      choosing one pair of columns to join the tree (select.ts);
 *   3. the tree's pair marginals: one noisy histogram per chosen pair.
 *
 * The budget is split in three equal parts (all to step 1 for a single column), each part equally
 * among its measurements. The cost is the composed loss of these measurements (PROOF.md beside
 * this file); the ledger charges exactly that, before the data is read.
 */
import { SYNTHETIC_LIMITS } from 'lomas-kernel/protocol';
import type { AccountingMode, Cost } from '../accounting';
import { alphaOf, discreteGaussianHalfWidth, discreteLaplaceHalfWidth } from '../accuracy';
import { calibrateBudget, type BudgetSpec } from '../aggregations/plan';
import { invalidParameter } from '../errors';
import { castComposition, compose, type Composition, type Measurement } from '../measurement';
import { GAUSSIAN, gaussianSigma, makeGaussian } from '../mechanisms/gaussian';
import { LAPLACE, makeLaplace } from '../mechanisms/laplace';
import {
  EXPONENTIAL,
  makeSelection,
  PERMUTE_AND_FLIP,
  selectionGapBound
} from '../mechanisms/permute-and-flip';
import { sqrtUp } from '../numeric';
import { Rational, toNumber, type RationalLike } from '../rational';
import { contributions, type Contributions, type PrivacyUnit } from '../units';
import { discretise, type ColumnDomain, type ColumnSpec } from './domain';
import { allPairs } from './select';

export interface SynthesisSpec {
  columns: readonly ColumnSpec[];
  /** Bins of numeric and datetime columns. */
  bins: number;
  budget: BudgetSpec;
  /** Noise family; default Laplace for an ε budget, Gaussian for a ρ budget. */
  mechanism?: 'laplace' | 'gaussian';
  /** The dataset's accounting mode: every loss is stated in its measure. */
  measure: AccountingMode;
  /** For an (ε, δ) dataset and a ρ budget: the δ' at which ρ is converted (the dataset's δ). */
  conversionDelta?: RationalLike;
  unit?: PrivacyUnit;
  /** Level of the reported noise intervals (default 0.95). */
  confidence?: number;
}

/** The noise of one stage, per cell (rows), as the accuracy report needs it. */
export interface NoiseStage {
  mechanism: string;
  /** Scale per cell (σ for Gaussian; the score scale for a selection). */
  scale: Rational;
  /** Noise variance and mean absolute value per cell (floats; selection: 0). */
  variance: number;
  meanAbs: number;
  /** Per cell: half-width at the confidence level (rows). Selection: the score gap bound (rows). */
  halfWidth: number;
  /** The stage's composed loss, in the measure its parts are stated in. */
  cost: Cost;
}

export type VectorMeasurement = Measurement<readonly bigint[], bigint[]>;
export type SelectionMeasurement = Measurement<ReadonlyArray<readonly bigint[]>, number[]>;

export interface SynthesisPlan {
  domains: ColumnDomain[];
  /** The dataset's measure (the composition and the cost are stated in it). */
  measure: AccountingMode;
  family: 'laplace' | 'gaussian';
  /** Selection rounds = pairs measured (d − 1; 0 for one column). */
  rounds: number;
  oneWay: VectorMeasurement[];
  selection: SelectionMeasurement[];
  pairs: VectorMeasurement[];
  stages: { oneWay: NoiseStage; selection: NoiseStage | null; pairs: NoiseStage | null };
  contributions: Contributions;
  confidence: number;
  composition: Composition;
  /** = composition.loss: what the ledger charges. */
  cost: Cost;
}

const DEFAULT_CONFIDENCE = 0.95;

function checkColumns(columns: readonly ColumnSpec[]): void {
  if (!Array.isArray(columns) || columns.length === 0)
    throw invalidParameter('columns', 'must list at least one column that can be modelled');
  if (columns.length > SYNTHETIC_LIMITS.columns)
    throw invalidParameter(
      'columns',
      `must list at most ${SYNTHETIC_LIMITS.columns} columns (got ${columns.length})`,
      `Choose the columns to model: synthetic({ columns: [...] }) with at most ${SYNTHETIC_LIMITS.columns}.`
    );
  const names = columns.map(c => c.name);
  if (new Set(names).size !== names.length)
    throw invalidParameter('columns', 'must not list a column twice');
}

/** Discrete Laplace(s): variance 2p/(1−p)² and E|Z| = 2p/(1−p²), p = e^(−1/s). */
function laplaceMoments(scale: Rational): { variance: number; meanAbs: number } {
  const s = toNumber(scale, 'up');
  if (!(s > 0)) return { variance: 0, meanAbs: 0 };
  const p = Math.exp(-1 / s);
  const q = -Math.expm1(-1 / s); // 1 − p, accurate for large s
  return { variance: (2 * p) / (q * q), meanAbs: (2 * p) / (q * (1 + p)) };
}

/** Discrete Gaussian(σ): variance ≤ σ² (CKS20), E|Z| ≈ σ·√(2/π) (continuous value, reported). */
function gaussianMoments(sigma: Rational): { variance: number; meanAbs: number } {
  const s = toNumber(sigma, 'up');
  return { variance: s * s, meanAbs: s * Math.sqrt(2 / Math.PI) };
}

interface Shares {
  /** ε (Laplace) or ρ (Gaussian) of each one-way, selection and pair measurement. */
  oneWay: Rational;
  selection: Rational;
  pair: Rational;
}

function shares(total: Rational, d: number, rounds: number): Shares {
  if (rounds === 0) return { oneWay: total.divInt(BigInt(d)), selection: total, pair: total };
  const third = total.divInt(3n);
  const r = BigInt(rounds);
  return {
    oneWay: third.divInt(BigInt(d)),
    selection: third.divInt(r),
    pair: third.divInt(r)
  };
}

interface Builder {
  family: 'laplace' | 'gaussian';
  partMeasure: AccountingMode;
  c: Contributions;
  alpha: number;
}

/** A noisy histogram with per-part budget `share`: its measurement and its noise. */
function histogram(
  b: Builder,
  share: Rational,
  label: string
): { m: VectorMeasurement; stage: Omit<NoiseStage, 'cost'> } {
  if (b.family === 'laplace') {
    const sensitivity = Rational.of(b.c.l1);
    const scale = sensitivity.div(share);
    const m = makeLaplace({ sensitivity, scale, measure: b.partMeasure, label });
    return {
      m,
      stage: {
        mechanism: LAPLACE,
        scale,
        ...laplaceMoments(scale),
        halfWidth: discreteLaplaceHalfWidth(scale, b.alpha)
      }
    };
  }
  const d2 = Rational.of(b.c.l2sq);
  const sigma = gaussianSigma(d2, share);
  const m = makeGaussian({
    sensitivitySquared: d2,
    sigma,
    measure: b.partMeasure,
    claim: { measure: 'zcdp', rho: share, delta: Rational.ZERO },
    label
  });
  return {
    m,
    stage: {
      mechanism: GAUSSIAN,
      scale: sigma,
      ...gaussianMoments(sigma),
      halfWidth: discreteGaussianHalfWidth(sigma, b.alpha)
    }
  };
}

/** One selection round over at most `candidates` pairs, with per-round budget `share`. */
function selection(
  b: Builder,
  share: Rational,
  candidates: number
): { m: SelectionMeasurement; stage: Omit<NoiseStage, 'cost'> } {
  const pf = b.family === 'laplace';
  // Scores move by ≤ 1 per row; a person's rows move them by ≤ l1 (pure) / contribute l2sq (zCDP).
  // pure: ε = 2·l1/scale → scale = 2·l1/ε.  zCDP: ρ = l2sq/(2·scale²) → scale = √(l2sq/(2ρ)).
  const scale = pf
    ? Rational.of(2n * b.c.l1).div(share)
    : sqrtUp(Rational.of(b.c.l2sq).div(share.mulInt(2n)));
  const m = makeSelection({
    algorithm: pf ? 'permute_and_flip' : 'exponential',
    scoreSensitivity: 1n,
    contributions: { l1: b.c.l1, l2sq: b.c.l2sq },
    scale,
    measure: b.partMeasure,
    claim: pf ? undefined : { measure: 'zcdp', rho: share, delta: Rational.ZERO },
    goal: 'max',
    label: 'synthetic_tree'
  });
  return {
    m,
    stage: {
      mechanism: pf ? PERMUTE_AND_FLIP : EXPONENTIAL,
      scale,
      variance: 0,
      meanAbs: 0,
      halfWidth: selectionGapBound(toNumber(scale, 'up'), Math.max(1, candidates), b.alpha)
    }
  };
}

/**
 * A budget whose one-way noise exceeds SYNTHETIC_LIMITS.cellNoise rows (standard deviation per
 * cell) measures nothing: refused before any charge, with the smallest budget that would do.
 */
function checkMeasurable(stage: Omit<NoiseStage, 'cost'>, b: Builder, oneWayParts: number): void {
  const sd = Math.sqrt(stage.variance);
  const limit = SYNTHETIC_LIMITS.cellNoise;
  if (sd <= limit) return;
  const need =
    b.family === 'laplace'
      ? `ε = ${((Number(b.c.l1) * oneWayParts * Math.SQRT2) / limit).toPrecision(2)}`
      : `ρ = ${((Number(b.c.l2sq) * oneWayParts) / (2 * limit * limit)).toPrecision(2)}`;
  throw invalidParameter(
    'budget',
    `is too small to measure anything: each one-way count would get noise of about ±${Math.round(sd)} rows (standard deviation), above the limit of ${limit}`,
    `Give a budget of at least ${need}, or model fewer columns.`
  );
}

function stageCost(
  parts: ReadonlyArray<{ loss: Cost; measure: AccountingMode }>,
  measure: AccountingMode
): Cost {
  return compose(parts, measure).loss;
}

/** Plans a synthetic table: validates, calibrates, builds its measurements. Pure (no data, no randomness). */
export function planSynthesis(spec: SynthesisSpec): SynthesisPlan {
  checkColumns(spec.columns);
  const domains = spec.columns.map(c => discretise(c, spec.bins));
  const d = domains.length;
  const rounds = d - 1;
  const cal = calibrateBudget(
    {
      budget: spec.budget,
      mechanism: spec.mechanism,
      measure: spec.measure,
      conversionDelta: spec.conversionDelta
    },
    1
  );
  const confidence = spec.confidence ?? DEFAULT_CONFIDENCE;
  const b: Builder = {
    family: cal.family,
    // Gaussian parts on an (ε, δ) dataset compose in zCDP and are cast once (as aggregations do).
    partMeasure: cal.family === 'gaussian' && cal.measure === 'approx' ? 'zcdp' : cal.measure,
    c: contributions(spec.unit ?? { kind: 'row' }),
    alpha: alphaOf(confidence)
  };
  const share = shares(cal.perPart, d, rounds);
  const one = domains.map(dm => histogram(b, share.oneWay, `one_way:${dm.spec.name}`));
  checkMeasurable(one[0].stage, b, rounds === 0 ? d : 3 * d);
  const sel = Array.from({ length: rounds }, () =>
    selection(b, share.selection, allPairs(d).length)
  );
  const pairs = Array.from({ length: rounds }, () => histogram(b, share.pair, 'pair'));
  const parts = [...one, ...sel, ...pairs].map(x => x.m);
  const req = cal.approxRequest;
  const composition = castComposition(compose(parts, b.partMeasure), cal.measure, {
    conversionDelta: cal.conversionDelta,
    claim:
      req && cal.measure === 'approx'
        ? { measure: 'approx', epsilon: req.epsilon, delta: req.delta }
        : undefined
  });
  return {
    domains,
    measure: cal.measure,
    family: cal.family,
    rounds,
    oneWay: one.map(x => x.m),
    selection: sel.map(x => x.m),
    pairs: pairs.map(x => x.m),
    stages: {
      oneWay: {
        ...one[0].stage,
        cost: stageCost(
          one.map(x => x.m),
          b.partMeasure
        )
      },
      selection: rounds
        ? {
            ...sel[0].stage,
            cost: stageCost(
              sel.map(x => x.m),
              b.partMeasure
            )
          }
        : null,
      pairs: rounds
        ? {
            ...pairs[0].stage,
            cost: stageCost(
              pairs.map(x => x.m),
              b.partMeasure
            )
          }
        : null
    },
    contributions: b.c,
    confidence,
    composition,
    cost: composition.loss
  };
}
