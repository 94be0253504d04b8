/**
 * Score-based quantile over public candidates (OpenDP make_quantile_score_candidates): for the
 * level a = a_num/a_den and candidate c, score(c) = |(a_den − a_num)·#{x < c} − a_num·#{x > c}|,
 * lowest is best; a candidate is selected by permute-and-flip (pure DP) or the exponential
 * mechanism (zCDP). See PROOF.md.
 */
import { invalidParameter } from '../../errors';
import { Rational } from '../../rational';

export const QUANTILE = 'quantile_score';

/** Validates a quantile level in [0, 1] (exact decimal reading). */
export function checkLevel(level: Rational): Rational {
  if (level.sign() < 0 || level.gt(Rational.ONE))
    throw invalidParameter('quantile', 'must be between 0 and 1', `Got ${level}.`);
  return level;
}

/** Public candidates must be finite and strictly increasing, and there must be at least one. */
export function checkCandidates(candidates: readonly number[]): void {
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw invalidParameter(
      'candidates',
      'must be a non-empty list of public values',
      'Give candidates or public bounds.'
    );
  }
  for (let i = 0; i < candidates.length; i++) {
    if (!Number.isFinite(candidates[i]))
      throw invalidParameter('candidates', 'must be finite numbers');
    if (i > 0 && !(candidates[i] > candidates[i - 1]))
      throw invalidParameter('candidates', 'must be strictly increasing');
  }
}

/** Scores from per-candidate counts of values strictly below and strictly above. */
export function quantileScores(
  below: readonly bigint[],
  above: readonly bigint[],
  level: Rational
): bigint[] {
  checkLevel(level);
  if (below.length !== above.length || below.length === 0) {
    throw invalidParameter('below/above', 'must have one count per candidate');
  }
  const aNum = level.num;
  const aDen = level.den;
  return below.map((b, i) => {
    const v = (aDen - aNum) * b - aNum * above[i];
    return v < 0n ? -v : v;
  });
}

/**
 * L∞ sensitivity of the scores when one person adds or removes up to `rows` rows (unknown n):
 * rows·max(a_num, a_den − a_num).
 */
export function quantileSensitivity(level: Rational, rows: bigint): bigint {
  checkLevel(level);
  const m = level.num > level.den - level.num ? level.num : level.den - level.num;
  return rows * m;
}
