import { isPositiveAmount } from '../amount';
import type { AccountingMode } from '../budget';
import type { AggregationOp, Mechanism, PlanBudget } from '../plan';
import { invalidPlan, pureDatasetRule } from './messages';

/**
 * Rules on how an aggregation asks for noise: its budget form, its mechanism, the dataset's
 * accounting mode, and accuracy targets. The DP planner (server/src/dp) calibrates within them and
 * re-asserts them with these same errors.
 */

/**
 * Which aggregations take an accuracy target, i.e. a wanted interval half-width in the statistic's
 * unit from which the server derives the budget: 'any' (with public keys, no keys or private key
 * discovery), 'public' (not with private key discovery, where the released value also depends on
 * a noisy count), or null (refused).
 *
 * Refused for mean, variance and stdev because their interval depends on each group's size and
 * spread, unknown before the data are read; and for quantile and median because their accuracy is
 * a rank (how many rows away from the requested one), not a distance in the column's unit. No
 * budget can be derived from a target for them: give a budget and read the accuracy that
 * `estimate()` reports.
 */
export const ACCURACY_TARGETS: Readonly<Record<AggregationOp, 'any' | 'public' | null>> = {
  count: 'any',
  histogram: 'public',
  sum: 'public',
  mean: null,
  variance: null,
  stdev: null,
  quantile: null,
  median: null
};

/** The refusal of an accuracy target for `op` (with private key discovery when `discover`). */
export function accuracyTargetError(op: AggregationOp, discover: boolean) {
  const allowed = ACCURACY_TARGETS[op];
  const why =
    allowed === null
      ? op === 'quantile' || op === 'median'
        ? `the accuracy of a ${op} is a rank (rows away from the requested one), not a distance in the column's unit`
        : `the interval of a ${op} depends on each group's size and spread, unknown before the data are read`
      : 'with private key discovery the released value also depends on a noisy count';
  return invalidPlan(
    `an accuracy target is supported for count (any keys), and sum and histogram with public or no keys, not ${op}${allowed !== null && discover ? ' with private key discovery' : ''}: ${why}`,
    'Give a budget ({ epsilon: 0.5 }) instead, and read the accuracy it buys with estimate() (free).'
  );
}

/** A ρ budget with Laplace noise. */
export function rhoNeedsGaussian(what: string) {
  return invalidPlan(
    `${what} has a ρ (zCDP) budget, which calibrates Gaussian noise, but asks for Laplace noise`,
    'Remove mechanism: "laplace", or give an ε budget ({ epsilon: 0.5 }).'
  );
}

/** Gaussian noise with an ε budget and no δ. */
export function gaussianNeedsDelta(what: string) {
  return invalidPlan(
    `${what} asks for Gaussian noise with an ε budget but no δ`,
    'Give { epsilon, delta } (e.g. { epsilon: 1, delta: 1e-7 }) or { rho }.'
  );
}

/** An accuracy target finer than one step of the grid the statistic is released on. */
export function accuracyTooFine(what: string, halfWidth: number, step: number) {
  return invalidPlan(
    `an accuracy of ±${halfWidth} for ${what} is finer than one step (${step}) of the grid its value is released on`,
    `Ask for a coarser accuracy (at least ${step}).`
  );
}

export interface NoiseRequest {
  /** For messages: the aggregation's output name. */
  name: string;
  op: AggregationOp;
  /**
   * The grid step of the released value (count and histogram: 1; sum: 2^exponent of its
   * fixed-point grid): an accuracy target below it cannot be met by any noise.
   */
  step?: number;
  /** Its own budget or its share of the plan's; undefined with an accuracy target. */
  budget?: PlanBudget;
  accuracy?: { halfWidth: number };
  mechanism?: Mechanism;
}

/** A ρ loss charged to an (ε, δ) dataset that names no δ to convert it at. */
export function conversionDeltaError(what: string) {
  return invalidPlan(
    `${what} is charged in ρ (Gaussian noise), and this (ε, δ) dataset names no δ at which to convert ρ to ε`,
    "Give { epsilon, delta } with Gaussian noise, or an ε budget with Laplace noise; or ask an administrator to set the dataset's delta."
  );
}

/** What the noise rules read of the dataset: its accounting mode and its conversion δ. */
export interface NoiseTarget {
  accounting?: AccountingMode;
  /** For (ε, δ) and zCDP datasets: the δ at which ρ is stated as ε. */
  delta?: string;
}

/** Checks one aggregation's noise request against the rules above and the dataset's mode. */
export function checkNoiseRequest(r: NoiseRequest, discover: boolean, target: NoiseTarget): void {
  const accounting = target.accounting;
  if (r.accuracy !== undefined) {
    const allowed = ACCURACY_TARGETS[r.op];
    if (allowed === null || (allowed === 'public' && discover))
      throw accuracyTargetError(r.op, discover);
    if (r.step !== undefined && r.accuracy.halfWidth < r.step)
      throw accuracyTooFine(r.name, r.accuracy.halfWidth, r.step);
  }
  const b = r.budget;
  const gaussian = r.mechanism === 'gaussian';
  if (b?.rho !== undefined && r.mechanism === 'laplace') throw rhoNeedsGaussian(r.name);
  if (gaussian && b?.epsilon !== undefined && !isPositiveAmount(b.delta))
    throw gaussianNeedsDelta(r.name);
  // ρ noise on an (ε, δ) dataset: a ρ budget, or an accuracy target met with Gaussian noise.
  const rhoNoise = b?.rho !== undefined || (r.accuracy !== undefined && gaussian);
  if (accounting === 'approx' && rhoNoise && !isPositiveAmount(target.delta))
    throw conversionDeltaError(r.name);
  if (accounting !== 'pure') return;
  if (discover) throw pureDatasetRule('discover');
  if (b?.rho !== undefined) throw pureDatasetRule('rho');
  if (gaussian) throw pureDatasetRule('gaussian');
  if (b?.delta !== undefined && isPositiveAmount(b.delta)) throw pureDatasetRule('delta');
}
