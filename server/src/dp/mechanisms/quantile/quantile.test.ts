import { LomasError } from 'lomas-kernel/protocol';
import { parseAmount, Rational } from '../../rational';
import { seededRng } from '../../rng';
import { makeSelection } from '../permute-and-flip';
import { checkCandidates, quantileScores, quantileSensitivity } from './index';

describe('score-based quantile', () => {
  it('scores and sensitivity follow OpenDP', () => {
    // data 1..10, candidates 0, 5.5, 11; median
    const level = Rational.of(1n, 2n);
    expect(quantileScores([0n, 5n, 10n], [10n, 5n, 0n], level)).toEqual([10n, 0n, 10n]);
    expect(quantileSensitivity(parseAmount('0.9'), 1n)).toBe(9n);
    expect(quantileSensitivity(parseAmount('0.25'), 3n)).toBe(9n);
  });

  it('selects near the true quantile', () => {
    const candidates = Array.from({ length: 101 }, (_, i) => i * 10); // 0..1000
    const below = candidates.map(c => BigInt(Math.min(1000, Math.max(0, c - 1)))); // data 1..1000
    const above = candidates.map(c => BigInt(Math.max(0, 1000 - c)));
    const level = parseAmount('0.9');
    const scores = quantileScores(below, above, level);
    const rng = seededRng('q');
    const select = makeSelection({
      algorithm: 'permute_and_flip',
      scoreSensitivity: quantileSensitivity(level, 1n),
      contributions: { l1: 1n, l2sq: 1n },
      scale: Rational.of(20n),
      measure: 'pure'
    });
    expect(select.loss).toEqual({ measure: 'pure', epsilon: Rational.of(9n, 10n) }); // 2·9/20
    for (const j of select.invoke(new Array(50).fill(scores), rng))
      expect(Math.abs(candidates[j] - 900)).toBeLessThanOrEqual(100);
  });

  it('rejects levels outside [0, 1], empty or unsorted candidates', () => {
    expect(() => quantileScores([1n], [1n], Rational.of(3n, 2n))).toThrow(LomasError);
    expect(() => checkCandidates([])).toThrow(LomasError);
    expect(() => checkCandidates([1, 1])).toThrow(LomasError);
    expect(() => checkCandidates([1, NaN])).toThrow(LomasError);
  });
});
