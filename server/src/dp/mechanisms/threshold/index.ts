/**
 * Noisy threshold for releasing group keys that are not public (partition selection, as in
 * OpenDP's make_*_threshold): each group present in the data gets a noisy count; the key and its
 * count are released only if the noisy count is at least T. A group only one of two neighbouring
 * datasets has holds at most L∞ rows of the differing person, so it appears with probability at
 * most tail(T − L∞); the person touches at most L0 groups, so δ <= L0·tail(T − L∞). See PROOF.md.
 */
import { invalidParameter } from '../../errors';
import { normalQuantile, normalTail } from '../../numeric';
import type { AccountingMode, CastOptions, Cost, NaturalLoss } from '../../accounting';
import { makeMeasurement, type Measurement } from '../../measurement';
import { noisyVector } from '../../noise';
import { nonNegative, positive, Rational, RationalLike, toNumber } from '../../rational';

export const THRESHOLD = 'threshold';

export type ThresholdNoise = 'laplace' | 'gaussian';

function checkDelta(delta: RationalLike): Rational {
  const d = positive(delta, 'delta');
  if (d.gte(Rational.ONE)) throw invalidParameter('delta', 'must be strictly between 0 and 1');
  return d;
}

function checkCounts(l0: bigint, linf: bigint): void {
  if (typeof l0 !== 'bigint' || l0 < 1n)
    throw invalidParameter('maxGroups', 'must be a positive integer');
  if (typeof linf !== 'bigint' || linf < 1n)
    throw invalidParameter('maxRowsPerGroup', 'must be a positive integer');
}

/** One-sided tail P(Z >= m) of the noise for an integer m >= 1 (float upper bound). */
export function upperTail(noise: ThresholdNoise, scale: number, m: number): number {
  if (m <= 0) return 1;
  if (noise === 'laplace') {
    // discrete Laplace: P(Z >= m) = p^m/(1+p), p = exp(−1/s)
    const p = Math.exp(-1 / scale);
    return Math.exp(-m / scale) / (1 + p);
  }
  // discrete Gaussian: P(Z >= m) <= P(N(0,σ²) >= m − 1)  (CKS20 Prop. 25)
  return normalTail((m - 1) / scale);
}

/**
 * The smallest integer threshold T (in count units) such that L0·P(Z >= T − L∞) <= δ, rounded up
 * with a safety margin. `scale` is the noise scale of the count (grid units = rows).
 */
export function thresholdFor(
  noise: ThresholdNoise,
  scale: RationalLike,
  delta: RationalLike,
  l0: bigint,
  linf: bigint
): bigint {
  const s = positive(scale, 'scale');
  const d = checkDelta(delta);
  checkCounts(l0, linf);
  const sn = toNumber(s, 'up');
  const target = toNumber(d, 'down') / Number(l0);
  let m: number;
  if (noise === 'laplace') {
    const p = Math.exp(-1 / sn);
    m = Math.ceil(sn * (Math.log(1 / target) - Math.log1p(p)) * (1 + 1e-9)) + 1;
  } else {
    m = 1 + Math.ceil(sn * -normalQuantile(target) * (1 + 1e-6)) + 1;
  }
  m = Math.max(1, m);
  while (upperTail(noise, sn, m) * Number(l0) * (1 + 1e-9) > toNumber(d, 'down')) m++;
  if (!Number.isSafeInteger(m))
    throw invalidParameter('delta', 'gives a threshold too large to use');
  return linf + BigInt(m);
}

/** The δ (float upper bound, rounded up) of a threshold T: L0·P(Z >= T − L∞). */
export function thresholdDelta(
  noise: ThresholdNoise,
  scale: RationalLike,
  threshold: bigint,
  l0: bigint,
  linf: bigint
): number {
  const s = positive(scale, 'scale');
  checkCounts(l0, linf);
  return Math.min(
    1,
    Number(l0) * upperTail(noise, toNumber(s, 'up'), Number(threshold - linf)) * (1 + 1e-9)
  );
}

export interface KeyCount<K> {
  key: K;
  count: bigint;
}

export interface ThresholdOptions {
  noise: ThresholdNoise;
  /** Sensitivity of the count vector over groups both neighbours hold: L1 (Laplace) or SQUARED L2 (Gaussian). */
  sensitivity: RationalLike;
  /** Noise scale of the counts (rows). */
  scale: RationalLike;
  /** Public threshold T (rows), e.g. from thresholdFor. */
  threshold: bigint;
  /** Groups one person touches (L0) and rows per group (L∞). */
  l0: bigint;
  linf: bigint;
  /** The δ charged; the constructor checks that T and the scale keep L0·P(Z ≥ T − L∞) ≤ δ. */
  delta: RationalLike;
  measure: AccountingMode;
  cast?: CastOptions;
  /** The loss calibrated for (Gaussian σ rounded up gives at most it); see makeMeasurement. */
  claim?: Cost;
  /**
   * Public number of groups to draw noise for whatever the data holds (timing: the work does not
   * grow with the number of private keys up to this cap). Extra draws are discarded.
   */
  padTo?: number;
  label?: string;
}

/**
 * Private keys as a measurement: every group present in the data (count >= 1) gets independent
 * noise on its count, and the key and its noisy count are released only when the noisy count
 * reaches the threshold. Loss: the noise's (ε or ρ on the counts of shared groups) plus the δ of
 * the threshold (one-sided: only groups of the larger neighbour can leak), cast to the dataset's
 * measure (pure is refused). See PROOF.md.
 */
export function makeThreshold<K>(
  o: ThresholdOptions
): Measurement<readonly KeyCount<K>[], Array<{ key: K; count: bigint; noisy: bigint }>> {
  const scale = positive(o.scale, 'scale');
  const sensitivity = nonNegative(o.sensitivity, 'sensitivity');
  const delta = checkDelta(o.delta);
  checkCounts(o.l0, o.linf);
  const actual = thresholdDelta(o.noise, scale, o.threshold, o.l0, o.linf);
  if (!(actual <= toNumber(delta, 'down')))
    throw invalidParameter(
      'threshold',
      `gives δ ≈ ${actual.toPrecision(3)}, above the δ charged (${toNumber(delta).toPrecision(3)})`,
      'Raise the threshold or the noise (this is an engine error, not the analyst’s).'
    );
  const natural: NaturalLoss =
    o.noise === 'laplace'
      ? { kind: 'pure-thresholded', epsilon: sensitivity.div(scale), delta }
      : {
          kind: 'zcdp',
          rho: sensitivity.div(scale.mul(scale).mulInt(2n)),
          delta
        };
  return makeMeasurement({
    mechanism: o.noise === 'laplace' ? 'discrete_laplace_threshold' : 'discrete_gaussian_threshold',
    measure: o.measure,
    natural,
    cast: o.cast,
    claim: o.claim,
    scale,
    sensitivity,
    invoke: (groups, rng) => {
      const present = groups.filter(g => g.count >= 1n);
      const pad = Math.max(0, (o.padTo ?? 0) - present.length);
      const counts = [...present.map(g => g.count), ...new Array<bigint>(pad).fill(0n)];
      const noisy = noisyVector(o.noise, scale, counts, rng, {
        threshold: o.threshold,
        label: o.label
      });
      const out: Array<{ key: K; count: bigint; noisy: bigint }> = [];
      present.forEach((g, i) => {
        if (noisy[i] >= o.threshold) out.push({ key: g.key, count: g.count, noisy: noisy[i] });
      });
      return out;
    }
  });
}
