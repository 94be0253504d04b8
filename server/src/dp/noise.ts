/**
 * The one place where noise is drawn for a release. Mechanism constructors (mechanisms/*) call
 * these functions from their measurements' invoke; nothing else in the server draws noise.
 *
 * Tests may watch every draw (family, scale, how many values, threshold) to check, independently
 * of the planner, that the privacy loss implied by the noise actually used is at most what the
 * ledger charged (server/test/redteam). The observer can only be set under jest
 * (NODE_ENV === 'test'): production code has no way to install one.
 */
import type { Rational } from './rational';
import { entropy, type Rng } from './rng';
import { discreteGaussianRaw, discreteLaplaceRaw } from './samplers';

export type NoiseFamily = 'laplace' | 'gaussian';

/** One call of a noise family on a vector of `count` values, as the sampler saw it. */
export interface NoiseDraw {
  family: NoiseFamily | 'permute_and_flip' | 'exponential';
  /** The scale the sampler was called with, in the input's integer units (σ for Gaussian). */
  scale: Rational;
  /** Values noised (selections: groups, one selection each). */
  count: number;
  /** Threshold compared with the noisy values (private keys), if any. */
  threshold?: bigint;
  /** Free-form label from the caller (for tests' bookkeeping only). */
  label?: string;
}

type Observer = (draw: NoiseDraw) => void;
let observer: Observer | null = null;

/** Test-only: watch every noise draw. Throws outside jest. Pass null to stop watching. */
export function observeNoise(fn: Observer | null): void {
  if (process.env.NODE_ENV !== 'test') throw new Error('observeNoise is for tests only');
  observer = fn;
}

export function reportDraw(draw: NoiseDraw): void {
  if (observer !== null) observer(draw);
}

/**
 * Adds independent noise of the family at `scale` (integer units) to each value, and reports the
 * draw (with `facts` such as the threshold the noisy values will be compared with).
 */
export function noisyVector(
  family: NoiseFamily,
  scale: Rational,
  values: readonly bigint[],
  rng: Rng,
  facts: Pick<NoiseDraw, 'threshold' | 'label'> = {}
): bigint[] {
  reportDraw({ family, scale, count: values.length, ...facts });
  if (scale.isZero()) return [...values];
  const e = entropy(rng);
  const draw = family === 'gaussian' ? discreteGaussianRaw : discreteLaplaceRaw;
  return values.map(v => v + draw(e, scale.num, scale.den));
}
