/**
 * Selection: report-noisy-min/max by permute-and-flip (McKenna & Sheldon 2020) for pure DP, and
 * the exponential mechanism (exact, by rejection) for zCDP. Scores are integers; the better
 * candidate has the LOWER score (use goal 'max' for the other way). See PROOF.md.
 */
import type { AccountingMode, CastOptions, Cost, NaturalLoss } from '../../accounting';
import { invalidParameter } from '../../errors';
import { makeMeasurement, type Measurement } from '../../measurement';
import { reportDraw } from '../../noise';
import { nonNegative, positive, Rational, RationalLike } from '../../rational';
import { entropy, Rng, prepareBound } from '../../rng';
import { bernoulliExpRaw } from '../../samplers';

export const PERMUTE_AND_FLIP = 'permute_and_flip';
export const EXPONENTIAL = 'exponential';

function gaps(scores: readonly bigint[], goal: 'min' | 'max'): bigint[] {
  if (scores === undefined || scores === null || scores.length === 0)
    throw invalidParameter('scores', 'must be a non-empty list of candidates');
  for (const s of scores)
    if (typeof s !== 'bigint') throw invalidParameter('scores', 'must be bigints');
  let best = scores[0];
  for (const s of scores) if (goal === 'min' ? s < best : s > best) best = s;
  return scores.map((s: bigint): bigint => (goal === 'min' ? s - best : best - s));
}

/**
 * Permute-and-flip: visit the candidates in a uniformly random order and accept candidate i with
 * probability exp(−gap_i/scale), gap_i = |score_i − best|. The best is always accepted.
 * Pure DP: ε = 2Δ/scale for scores of L∞ sensitivity Δ (selectionEpsilon).
 */
export function permuteAndFlip(
  scores: readonly bigint[],
  scale: RationalLike,
  rng: Rng,
  goal: 'min' | 'max' = 'min'
): number {
  const s = positive(scale, 'scale');
  const g = gaps(scores, goal);
  const e = entropy(rng);
  const order = g.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Number(e.uniformBelow(prepareBound(BigInt(i + 1))));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (;;) {
    for (const i of order) {
      if (bernoulliExpRaw(e, g[i] * s.den, s.num)) return i;
    }
  }
}

/**
 * Exponential mechanism, exact: P(i) ∝ exp(−gap_i/scale). Sampled by rejection (uniform proposal,
 * accept with probability exp(−gap_i/scale)), which has exactly this distribution; expected
 * proposals <= number of candidates. zCDP: ρ = (2Δ/scale)²/8 (selectionRho).
 */
export function exponentialMechanism(
  scores: readonly bigint[],
  scale: RationalLike,
  rng: Rng,
  goal: 'min' | 'max' = 'min'
): number {
  const s = positive(scale, 'scale');
  const g = gaps(scores, goal);
  const e = entropy(rng);
  const bound = prepareBound(BigInt(g.length));
  for (;;) {
    const i = Number(e.uniformBelow(bound));
    if (bernoulliExpRaw(e, g[i] * s.den, s.num)) return i;
  }
}

/** Pure-DP loss of either selection mechanism: ε = 2Δ/scale (Δ = L∞ sensitivity of the scores). */
export function selectionEpsilon(sensitivity: RationalLike, scale: RationalLike): Rational {
  return nonNegative(sensitivity, 'sensitivity').mulInt(2n).div(positive(scale, 'scale'));
}

/** zCDP loss of the exponential mechanism: ρ = ε²/8 with ε = 2Δ/scale (Cesar & Rogers 2021). */
export function selectionRho(sensitivity: RationalLike, scale: RationalLike): Rational {
  const eps = selectionEpsilon(sensitivity, scale);
  return eps.mul(eps).divInt(8n);
}

/**
 * Utility: with probability >= 1 − α the selected candidate's gap is at most scale·ln(m/α)
 * (union bound over the m candidates; holds for both mechanisms). Float, rounded up.
 */
export function selectionGapBound(scale: number, candidates: number, alpha: number): number {
  return scale * Math.log(candidates / alpha) * (1 + 1e-9);
}

export interface SelectionOptions {
  algorithm: 'permute_and_flip' | 'exponential';
  /** How much one row of one person can move any score of a group (L∞ of the score vector). */
  scoreSensitivity: bigint;
  /**
   * A person's rows across the groups selected in one invocation: l1 = max Σ_g c_g and
   * l2sq = max Σ_g c_g² (c_g = rows in group g). One group: l1 = l2sq = rows².
   */
  contributions: { l1: bigint; l2sq: bigint };
  /** Score scale (score units). */
  scale: RationalLike;
  measure: AccountingMode;
  cast?: CastOptions;
  /** The loss calibrated for (a scale rounded up gives at most it); see makeMeasurement. */
  claim?: Cost;
  goal?: 'min' | 'max';
  label?: string;
}

/**
 * One selection per group (e.g. a quantile per group) as a measurement. Loss from the scale:
 * permute-and-flip: ε = 2·Δ·l1/scale (pure); exponential mechanism: ρ = Δ²·l2sq/(2·scale²)
 * (zCDP, ε_g²/8 per group summed), cast to the dataset's measure. See PROOF.md.
 */
export function makeSelection(
  o: SelectionOptions
): Measurement<ReadonlyArray<readonly bigint[]>, number[]> {
  const scale = positive(o.scale, 'scale');
  if (typeof o.scoreSensitivity !== 'bigint' || o.scoreSensitivity < 0n)
    throw invalidParameter('scoreSensitivity', 'must be a non-negative bigint');
  const m = Rational.of(o.scoreSensitivity);
  const { l1, l2sq } = o.contributions;
  const pf = o.algorithm === 'permute_and_flip';
  const natural: NaturalLoss = pf
    ? { kind: 'pure', epsilon: m.mulInt(2n * l1).div(scale) }
    : {
        kind: 'zcdp',
        rho: m.mul(m).mulInt(l2sq).div(scale.mul(scale).mulInt(2n)),
        delta: Rational.ZERO
      };
  return makeMeasurement({
    mechanism: pf ? PERMUTE_AND_FLIP : EXPONENTIAL,
    measure: o.measure,
    natural,
    cast: o.cast,
    claim: o.claim,
    scale,
    sensitivity: m,
    invoke: (groups, rng) => {
      reportDraw({ family: o.algorithm, scale, count: groups.length, label: o.label });
      const pick = pf ? permuteAndFlip : exponentialMechanism;
      return groups.map(scores => pick(scores, scale, rng, o.goal ?? 'min'));
    }
  });
}
