/**
 * Gaussian naive Bayes: ONE noisy release of, per public class, the row count and the sum and sum
 * of squares of each normalised feature (fixed point, common.ts), then class priors, means and
 * variances by post-processing. Vaidya, Shafiq, Basu & Hong 2013 (noisy counts, means and
 * variances per class); diffprivlib's GaussianNB. See PROOF.md.
 *
 * Engine contract (complete rows whose class is one of the K public classes): for each class k,
 * count = rows of class k, sums[j] = Σ q_j, squares[j] = Σ q_j², with q_j the fixed-point encoding
 * of feature j. A class absent from the data has zero statistics (it is still noised).
 */
import type { Cost } from '../../accounting';
import { invalidParameter } from '../../errors';
import type { Composition } from '../../measurement';
import type { Rng } from '../../rng';
import {
  calibrateModel,
  checkBoundsOf,
  checkCount,
  checkNumber,
  composeSteps,
  denormalise,
  encode,
  fromFixed,
  ONE,
  vectorStep,
  type Bounds,
  type ModelBudget,
  type ModelCalibration,
  type NoisyStep
} from '../common';
import { accuracyStep, accuracyValue, type Metric } from '../metric';

export const MAX_NB_FEATURES = 32;
export const MAX_CLASSES = 20;

export interface NaiveBayesSpec extends ModelBudget {
  features: readonly Bounds[];
  /** Number of public classes (the target's categories). */
  classes: number;
  /** Smallest variance of a feature within a class, normalised units (default 1e-3). */
  varianceFloor?: number;
  /** Also release the training accuracy (one more noisy step, charged). */
  evaluate?: boolean;
}

export interface NaiveBayesPlan {
  kind: 'naive_bayes';
  features: Bounds[];
  classes: number;
  varianceFloor: number;
  calibration: ModelCalibration;
  statistics: NoisyStep;
  accuracy?: NoisyStep;
  steps: NoisyStep[];
  composition: Composition;
  cost: Cost;
}

export interface ClassStatistics {
  count: bigint;
  sums: readonly bigint[];
  squares: readonly bigint[];
}

export interface NaiveBayesFit {
  /** Noisy rows per class (post-processed to at least 1). */
  counts: number[];
  priors: number[];
  /** means[k][j], variances[k][j] in the features' original units. */
  means: number[][];
  variances: number[][];
  accuracy?: Metric;
}

/** Row bounds of the class statistics: one row adds (ONE², ONE·q_j, q_j²) to its class's block. */
function rowBound(d: number): { l1: bigint; l2sq: bigint } {
  const k = BigInt(1 + 2 * d);
  return { l1: k * ONE * ONE, l2sq: k * ONE ** 4n };
}

export function planNaiveBayes(spec: NaiveBayesSpec): NaiveBayesPlan {
  if (!Array.isArray(spec.features) || spec.features.length === 0)
    throw invalidParameter('features', 'needs at least one feature');
  if (spec.features.length > MAX_NB_FEATURES)
    throw invalidParameter(
      'features',
      `at most ${MAX_NB_FEATURES} features (after encoding) fit in one model`,
      'Use fewer features.'
    );
  const features = spec.features.map((b, i) => checkBoundsOf(b, `features[${i}].bounds`));
  const classes = checkCount(spec.classes, 0, 2, MAX_CLASSES, 'classes');
  const varianceFloor = checkNumber(spec.varianceFloor, 1e-3, 'varianceFloor', true);
  const parts = spec.evaluate ? 2 : 1;
  const cal = calibrateModel(spec, parts, 'naive Bayes');
  const d = features.length;
  const statistics = vectorStep(cal, rowBound(d), classes * (1 + 2 * d), 'class_statistics', 2);
  const accuracy = spec.evaluate ? accuracyStep(cal) : undefined;
  const steps = accuracy ? [statistics, accuracy] : [statistics];
  const composition = composeSteps(steps, cal);
  return {
    kind: 'naive_bayes',
    features,
    classes,
    varianceFloor,
    calibration: cal,
    statistics,
    accuracy,
    steps,
    composition,
    cost: composition.loss
  };
}

/** The integer vector the measurement noises: per class (count·ONE², sums·ONE, squares). */
export function classVector(plan: NaiveBayesPlan, stats: readonly ClassStatistics[]): bigint[] {
  const d = plan.features.length;
  if (!Array.isArray(stats) || stats.length !== plan.classes)
    throw invalidParameter('statistics', `must hold one entry per class (${plan.classes})`);
  return stats.flatMap(s => {
    if (
      typeof s?.count !== 'bigint' ||
      s.sums?.length !== d ||
      s.squares?.length !== d ||
      ![...s.sums, ...s.squares].every((v: unknown) => typeof v === 'bigint')
    )
      throw invalidParameter('statistics', `each class needs a count, ${d} sums and ${d} squares`);
    return [s.count * ONE * ONE, ...s.sums.map((v: bigint) => v * ONE), ...s.squares];
  });
}

/** Reference statistics of rows (tests; the contract the SQL implements). */
export function naiveBayesStatistics(
  rows: ReadonlyArray<{ x: readonly number[]; y: number }>,
  plan: Pick<NaiveBayesPlan, 'features' | 'classes'>
): ClassStatistics[] {
  const d = plan.features.length;
  const out = Array.from({ length: plan.classes }, () => ({
    count: 0n,
    sums: new Array<bigint>(d).fill(0n),
    squares: new Array<bigint>(d).fill(0n)
  }));
  for (const r of rows) {
    const s = out[r.y];
    s.count++;
    r.x.forEach((v, j) => {
      const q = encode(v, plan.features[j]);
      s.sums[j] += q;
      s.squares[j] += q * q;
    });
  }
  return out;
}

/** Noises the class statistics through the plan's measurement, then post-processes them. */
export function releaseNaiveBayes(
  plan: NaiveBayesPlan,
  stats: readonly ClassStatistics[],
  rng: Rng
): NaiveBayesFit {
  const noisy = plan.statistics.measurement.invoke(classVector(plan, stats), rng);
  return fitFromNoisy(plan, noisy);
}

function fitFromNoisy(plan: NaiveBayesPlan, noisy: readonly bigint[]): NaiveBayesFit {
  const d = plan.features.length;
  const sd = plan.statistics.sd / Number(ONE) ** 2;
  const block = 1 + 2 * d;
  const counts: number[] = [];
  const means: number[][] = [];
  const variances: number[][] = [];
  for (let k = 0; k < plan.classes; k++) {
    const v = noisy.slice(k * block, (k + 1) * block).map(x => fromFixed(x, 2));
    const n = Math.max(v[0], 1);
    // A variance estimate carries noise of about sd/n: never trust one below that.
    const floor = Math.max(plan.varianceFloor, sd / n);
    const mu = v.slice(1, 1 + d).map(s => Math.min(1, Math.max(-1, s / n)));
    const va = v.slice(1 + d).map((q, j) => Math.min(1, Math.max(floor, q / n - mu[j] ** 2)));
    counts.push(n);
    means.push(mu.map((m, j) => denormalise(m, plan.features[j])));
    variances.push(
      va.map((x, j) => (x * (plan.features[j].upper - plan.features[j].lower) ** 2) / 4)
    );
  }
  const total = counts.reduce((a, b) => a + b, 0);
  return { counts, priors: counts.map(c => c / total), means, variances };
}

/** The class a fitted model predicts for one row (original units, clamped to the bounds). */
export function predictNaiveBayes(
  fit: Pick<NaiveBayesFit, 'priors' | 'means' | 'variances'>,
  features: readonly Bounds[],
  x: readonly number[]
): number {
  let best = 0;
  let bestScore = -Infinity;
  fit.priors.forEach((p, k) => {
    let s = Math.log(p);
    x.forEach((v, j) => {
      const c = Math.min(Math.max(v, features[j].lower), features[j].upper);
      const va = fit.variances[k][j];
      s -= (c - fit.means[k][j]) ** 2 / (2 * va) + Math.log(va) / 2;
    });
    if (s > bestScore) {
      bestScore = s;
      best = k;
    }
  });
  return best;
}

/** Releases the training accuracy of a fit (the plan's accuracy step) from the exact number of correct rows. */
export function releaseNaiveBayesAccuracy(
  plan: NaiveBayesPlan,
  fit: NaiveBayesFit,
  correct: bigint,
  rng: Rng
): Metric {
  if (!plan.accuracy) throw invalidParameter('evaluate', 'was not planned');
  const total = fit.counts.reduce((a, b) => a + b, 0);
  // The row count is the sum of the K noisy class counts (units ONE²).
  const rowsSd = (Math.sqrt(plan.classes) * plan.statistics.sd) / Number(ONE) ** 2;
  return accuracyValue(plan.accuracy, correct, rng, total, rowsSd);
}
