import { fromFloatExact, parseAmount, Rational, toNumber } from '../../rational';
import { seededRng } from '../../rng';
import { chiSquareGof, discreteLaplaceCdf, wilson } from '../../testing/stats';
import type { Rng } from '../../rng';
import {
  laplaceEpsilon,
  laplaceFloatEpsilon,
  laplaceScale,
  makeLaplace,
  makeLaplaceFloat,
  type LaplaceFloatOptions
} from './index';

const laplaceIntegerVector = (values: bigint[], scale: string | Rational | number, rng: Rng) =>
  makeLaplace({ sensitivity: 1, scale, measure: 'pure' }).invoke(values, rng);
const laplaceFloatVector = (
  values: number[],
  o: Omit<LaplaceFloatOptions, 'sensitivity' | 'length' | 'measure'>,
  rng: Rng
) =>
  makeLaplaceFloat({ ...o, sensitivity: 1, length: values.length, measure: 'pure' }).invoke(
    values,
    rng
  );
import { expectParameterError } from '../../testing/errors';

describe('Laplace mechanism', () => {
  it('privacy map ε = Δ₁/scale, exact; calibration inverts it', () => {
    expect(laplaceEpsilon(0, 1).isZero()).toBe(true);
    expect(laplaceEpsilon(1, 2).toString()).toBe('1/2');
    expect(laplaceEpsilon('3', '0.1').toString()).toBe('30');
    expect(laplaceScale(2, 0.5).toString()).toBe('4');
    expect(laplaceFloatEpsilon(1, 1, 1, -1074).toString()).toBe('1');
    // k = 0: rounding distance (1 − 2^-1074)·m
    expect(laplaceFloatEpsilon(1, 1, 2, 0).eq(Rational.of(3n).sub(Rational.pow2(-1073)))).toBe(
      true
    );
  });

  it('a measurement states the loss of the scale it draws with, in the dataset measure', () => {
    const m = makeLaplace({ sensitivity: 3, scale: '1.5', measure: 'pure' });
    expect(m.loss).toEqual({ measure: 'pure', epsilon: Rational.of(2n) });
    expect(m.scale.toString()).toBe('3/2');
    expect(makeLaplace({ sensitivity: 3, scale: '1.5', measure: 'zcdp' }).loss).toEqual({
      measure: 'zcdp',
      rho: Rational.of(2n),
      delta: Rational.ZERO
    });
    expect(makeLaplace({ sensitivity: 3, scale: '1.5', measure: 'approx' }).loss).toEqual({
      measure: 'approx',
      epsilon: Rational.of(2n),
      delta: Rational.ZERO
    });
    expect(Object.isFrozen(m)).toBe(true);
    // a constant (sensitivity 0) needs no noise and costs nothing
    expect(makeLaplace({ sensitivity: 0, scale: 0, measure: 'pure' }).loss).toEqual({
      measure: 'pure',
      epsilon: Rational.ZERO
    });
  });

  it.each([
    [() => laplaceEpsilon(1, 0), 'scale'],
    [() => laplaceEpsilon(1, -1), 'scale'],
    [() => laplaceEpsilon(-1, 1), 'sensitivity'],
    [() => laplaceScale(1, NaN), 'epsilon'],
    [() => laplaceScale(1, 0), 'epsilon'],
    [() => laplaceIntegerVector([1n], 0, seededRng('x')), 'scale'],
    [() => laplaceFloatVector([1], { scale: 1, bounds: [2, 1] }, seededRng('x')), 'bounds'],
    [() => laplaceFloatVector([Infinity], { scale: 1 }, seededRng('x')), 'values'],
    [() => laplaceFloatVector([1], { scale: 1, k: -2000 }, seededRng('x')), 'k']
  ])('bad input %# → typed error', (f, parameter) => {
    expectParameterError(f, parameter);
  });

  it('integer noise fits discrete Laplace(5/2) (χ² at 1e-6) and not ±30%', () => {
    const out = laplaceIntegerVector(
      new Array(60_000).fill(7n),
      parseAmount('2.5'),
      seededRng('lap-int')
    ).map(v => Number(v) - 7);
    const ok = chiSquareGof(out, discreteLaplaceCdf(2.5));
    expect(ok.stat).toBeLessThan(ok.critical);
    const bad = chiSquareGof(out, discreteLaplaceCdf(2.5 * 1.3));
    expect(bad.stat).toBeGreaterThan(bad.critical);
  });

  it('red team: float releases lie on the declared grid 2^k', () => {
    const k = -20;
    const r = laplaceFloatVector([0.1, 1e-300, 123.456, -7], { scale: 1, k }, seededRng('grid'));
    expect(r.grid).toBe(k);
    for (const v of r.values)
      expect(fromFloatExact(v).mul(Rational.pow2(-k)).isInteger()).toBe(true);
  });

  it('red team (Mironov / precision attack): inputs 0 and 1 give the same support and the same low-bit law', () => {
    const k = -30;
    const rng = seededRng('mironov');
    const n = 20_000;
    const a = laplaceFloatVector(new Array(n).fill(0), { scale: 1, k }, rng);
    const b = laplaceFloatVector(new Array(n).fill(1), { scale: 1, k }, rng);
    for (const r of [a, b]) {
      // every output is a multiple of 2^k: no output is possible for one input and not the other
      for (const v of r.values)
        expect(fromFloatExact(v).mul(Rational.pow2(-k)).isInteger()).toBe(true);
      // the last bit of the grid integer is a fair coin for both inputs (Wilson at 1e-6)
      const odd = r.integers.filter(x => (x & 1n) === 1n).length;
      const [lo, hi] = wilson(odd, n);
      expect(lo).toBeLessThan(0.5);
      expect(hi).toBeGreaterThan(0.5);
    }
    expect(toNumber(Rational.ONE)).toBe(1);
  });

  it('clamps to bounds before rounding', () => {
    const r = laplaceFloatVector(
      [1e9],
      { scale: '1e-9', k: -10, bounds: [0, 10] },
      seededRng('clamp')
    );
    expect(Math.abs(r.values[0] - 10)).toBeLessThan(0.01);
  });
});
