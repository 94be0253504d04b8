/**
 * Metrics on the private training data (accuracy, inertia) are releases like any other: one more
 * noisy step of the model, composed and charged with it. Nothing is evaluated on private data
 * for free. Each metric is a single bounded integer per row, summed by the engine:
 *  - accuracy: 1 if the model's prediction is the row's class, else 0 (one row moves it by ≤ 1);
 *  - inertia (k-means): the fixed-point encoding of the squared distance to the nearest centre
 *    divided by its public maximum 4·d (normalised units), in [0, ONE].
 */
import { fixed, ONE, vectorStep, type ModelCalibration, type NoisyStep } from './common';
import type { Rng } from '../rng';

export interface Metric {
  value: number;
  /** Standard deviation of the noise in `value` (approximate for ratios). */
  noiseSd: number;
}

export function accuracyStep(cal: ModelCalibration): NoisyStep {
  return vectorStep(cal, { l1: 1n, l2sq: 1n }, 1, 'accuracy');
}

export function inertiaStep(cal: ModelCalibration): NoisyStep {
  return vectorStep(cal, { l1: ONE, l2sq: ONE * ONE }, 1, 'inertia', 1);
}

/** One row's inertia contribution: squared distance (normalised units) over its maximum 4·d. */
export function inertiaRow(distance: number, d: number): bigint {
  return fixed(Math.min(1, Math.max(0, distance / (4 * d))));
}

/** Noises an exact metric sum through its step; `scale` turns the noisy integer into the metric. */
export function metricValue(
  step: NoisyStep,
  exact: bigint,
  rng: Rng,
  scale: (v: number) => number
): Metric {
  const [noisy] = step.measurement.invoke([exact], rng);
  return { value: scale(Number(noisy)), noiseSd: Math.abs(scale(step.sd) - scale(0)) };
}

/**
 * Accuracy = noisy correct rows / a noisy row count released earlier (post-processing), clamped to
 * [0, 1]; its noise standard deviation to first order: √(sd_correct² + accuracy²·sd_rows²) / rows.
 */
export function accuracyValue(
  step: NoisyStep,
  correct: bigint,
  rng: Rng,
  rows: number,
  rowsSd: number
): Metric {
  const [noisy] = step.measurement.invoke([correct], rng);
  const n = Math.max(rows, 1);
  const value = Math.min(1, Math.max(0, Number(noisy) / n));
  return { value, noiseSd: Math.sqrt(step.sd ** 2 + value ** 2 * rowsSd ** 2) / n };
}
