/**
 * Noisy threshold for releasing group keys that are not public (partition selection, as in
 * OpenDP's make_*_threshold): each group present in the data gets a noisy count; the key and its
 * count are released only if the noisy count is at least T. A group only one of two neighbouring
 * datasets has holds at most L∞ rows of the differing person, so it appears with probability at
 * most tail(T − L∞); the person touches at most L0 groups, so δ <= L0·tail(T − L∞). See PROOF.md.
 */
import { invalidParameter } from '../../errors';
import { normalQuantile, normalTail } from '../../numeric';
import { positive, Rational, RationalLike, toNumber } from '../../rational';
import { entropy, Rng } from '../../rng';
import { discreteGaussianRaw, discreteLaplaceRaw } from '../../samplers';

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

/**
 * Releases the keys whose noisy count is >= threshold, with their noisy counts. Only keys present
 * in the data (count >= 1) can be released; keys are visited in the given order, each with fresh
 * independent noise.
 */
export function releaseAboveThreshold<K>(
  groups: readonly KeyCount<K>[],
  noise: ThresholdNoise,
  scale: RationalLike,
  threshold: bigint,
  rng: Rng
): Array<{ key: K; count: bigint; noisy: bigint }> {
  const s = positive(scale, 'scale');
  const e = entropy(rng);
  const out: Array<{ key: K; count: bigint; noisy: bigint }> = [];
  for (const g of groups) {
    if (g.count < 1n) continue;
    const z =
      noise === 'laplace'
        ? discreteLaplaceRaw(e, s.num, s.den)
        : discreteGaussianRaw(e, s.num, s.den);
    const noisy = g.count + z;
    if (noisy >= threshold) out.push({ key: g.key, count: g.count, noisy });
  }
  return out;
}
