import { LomasError } from 'lomas-kernel/protocol';
import {
  discreteGaussianHalfWidth,
  discreteGaussianSigmaFor,
  discreteGaussianTailBound,
  discreteLaplaceHalfWidth,
  discreteLaplaceScaleFor,
  discreteLaplaceTail
} from './accuracy';
import { Rational, toNumber } from './rational';
import { contributions } from './units';

describe('accuracy', () => {
  it('discrete Laplace half-width: s = 3, α = 0.05 → 9 (DP-REFERENCE §1.8), smallest valid integer', () => {
    expect(discreteLaplaceHalfWidth(Rational.of(3n), 0.05)).toBe(9);
    expect(discreteLaplaceTail(3, 9)).toBeLessThanOrEqual(0.05);
    expect(discreteLaplaceTail(3, 8)).toBeGreaterThan(0.05);
    // OpenDP summarize: scale 1 → A = 3.3756, integer half-width 3
    expect(discreteLaplaceHalfWidth(Rational.ONE, 0.05)).toBe(3);
    // on a grid: scale 3·2^40 grid units at grid 2^-40 ≈ continuous 3·ln(1/α)
    const hw = discreteLaplaceHalfWidth(Rational.of(3n << 40n), 0.05, -40);
    expect(hw).toBeGreaterThanOrEqual(3 * Math.log(1 / 0.05) - 1e-9);
    expect(hw).toBeLessThan(3 * Math.log(1 / 0.05) + 1e-6);
    // astronomically fine grid: finite and conservative
    expect(discreteLaplaceHalfWidth(Rational.pow2(1074), 0.05, -1074)).toBeGreaterThanOrEqual(
      Math.log(20)
    );
  });
  it('wider at smaller α and larger scale (monotone)', () => {
    expect(discreteLaplaceHalfWidth(Rational.of(5n), 0.01)).toBeGreaterThan(
      discreteLaplaceHalfWidth(Rational.of(5n), 0.1)
    );
    expect(discreteLaplaceHalfWidth(Rational.of(6n), 0.05)).toBeGreaterThanOrEqual(
      discreteLaplaceHalfWidth(Rational.of(5n), 0.05)
    );
    expect(discreteGaussianHalfWidth(Rational.of(5n), 0.01)).toBeGreaterThan(
      discreteGaussianHalfWidth(Rational.of(5n), 0.1)
    );
  });
  it('discrete Gaussian half-width is conservative (CKS20 Prop. 25)', () => {
    for (const s of [1, 3, 10, 1000]) {
      const t = discreteGaussianHalfWidth(Rational.of(BigInt(s)), 0.05);
      expect(discreteGaussianTailBound(s, t)).toBeLessThanOrEqual(0.05 * 1.0001);
    }
  });
  it('accuracy-first inverses meet the target', () => {
    for (const target of [1, 10, 123.4]) {
      const s = discreteLaplaceScaleFor(target, 0.05);
      expect(discreteLaplaceHalfWidth(s, 0.05)).toBeLessThanOrEqual(target);
      expect(discreteLaplaceHalfWidth(s.mul(Rational.of(11n, 10n)), 0.05)).toBeGreaterThanOrEqual(
        Math.floor(target) - 1
      );
      const g = discreteGaussianSigmaFor(target, 0.05);
      expect(discreteGaussianHalfWidth(g, 0.05)).toBeLessThanOrEqual(target);
      expect(toNumber(g)).toBeGreaterThan(0);
    }
    expect(() => discreteLaplaceScaleFor(0.5, 0.05)).toThrow(LomasError); // finer than one grid step
    expect(() => discreteLaplaceHalfWidth(Rational.ONE, 1.5)).toThrow(LomasError);
  });
});

describe('privacy units', () => {
  it('row level: every bound is 1', () => {
    expect(contributions({ kind: 'row' }, 5)).toEqual({
      rows: 1n,
      l0: 1n,
      linf: 1n,
      l1: 1n,
      l2sq: 1n
    });
  });
  it('max_ids = 5 ungrouped: L1 = 5, L2² = 25', () => {
    expect(contributions({ kind: 'user', maxRows: 5 })).toEqual({
      rows: 5n,
      l0: 1n,
      linf: 5n,
      l1: 5n,
      l2sq: 25n
    });
  });
  it('grouped: L0 capped by the number of groups, L1 = min(rows, L0·L∞), L2² = L∞·L1', () => {
    expect(contributions({ kind: 'user', maxRows: 10, maxRowsPerGroup: 2 }, 3)).toEqual({
      rows: 10n,
      l0: 3n,
      linf: 2n,
      l1: 6n,
      l2sq: 12n
    });
    expect(contributions({ kind: 'user', maxRows: 4, maxGroups: 2 }, Infinity)).toEqual({
      rows: 4n,
      l0: 2n,
      linf: 4n,
      l1: 4n,
      l2sq: 16n
    });
  });
  it('rejects non-positive or fractional bounds', () => {
    expect(() => contributions({ kind: 'user', maxRows: 1.5 })).toThrow(LomasError);
    expect(() => contributions({ kind: 'user', maxRows: 2, maxGroups: 0 })).toThrow(LomasError);
  });
});
