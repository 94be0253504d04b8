import { LomasError } from 'lomas-kernel/protocol';
import { parseAmount, Rational, toDecimal, toNumber } from '../rational';
import {
  approxCost,
  approxToZcdp,
  compose,
  costToBudget,
  fits,
  pureCost,
  pureToZcdp,
  roundCostUp,
  roundRemainingDown,
  subtract,
  toMode,
  zcdpCost,
  zcdpToApprox,
  zcdpToApproxSimple,
  Cost
} from './index';
import { expectParameterError } from '../testing/errors';

describe('budget arithmetic never drifts', () => {
  it('1,000 charges of 0.001 fit exactly in 1.0; the 1,001st does not', () => {
    let remaining: Cost = pureCost('1.0');
    const charge = pureCost(0.001);
    for (let i = 0; i < 1000; i++) {
      expect(fits(charge, remaining, 'pure')).toBe(true);
      remaining = subtract(remaining, charge, 'pure');
    }
    expect(remaining.measure === 'pure' && remaining.epsilon.isZero()).toBe(true);
    expect(fits(charge, remaining, 'pure')).toBe(false);
  });
  it('also through composition and decimal storage, in every mode', () => {
    const charges = Array.from({ length: 1000 }, () => approxCost(0.001, '0.000000001'));
    const total = compose(charges, 'approx');
    expect(
      total.measure === 'approx' &&
        total.epsilon.eq(Rational.ONE) &&
        total.delta.eq(parseAmount('1e-6'))
    ).toBe(true);
    expect(costToBudget(roundCostUp(total))).toEqual({ epsilon: '1', delta: '0.000001' });
    const z = compose(Array.from({ length: 1000 }, () => zcdpCost('0.001')));
    expect(z.measure === 'zcdp' && z.rho.eq(Rational.ONE)).toBe(true);
  });
  it('rounds costs up and remaining budgets down', () => {
    const third = pureCost(Rational.of(1n, 3n));
    expect(costToBudget(roundCostUp(third, 6)).epsilon).toBe('0.333334');
    const r = roundRemainingDown(third, 6);
    expect(r.measure === 'pure' && toDecimal(r.epsilon, 6, 'down')).toBe('0.333333');
    expect(costToBudget(third, 'fraction').epsilon).toBe('1/3');
  });
});

describe('conversions', () => {
  it('pure ε → ρ = ε²/2 exactly', () => {
    expect(pureToZcdp(parseAmount('0.5')).toString()).toBe('1/8');
    const c = toMode(pureCost(1), 'zcdp');
    expect(c.measure === 'zcdp' && c.rho.toString()).toBe('1/2');
  });
  it('ρ = 0.5, δ = 1e-6: tight ≈ 5.22, simple ≈ 5.76 (DP-REFERENCE worked example), tight < simple', () => {
    const rho = parseAmount('0.5');
    const d = parseAmount('1e-6');
    const tight = toNumber(zcdpToApprox(rho, d));
    const simple = toNumber(zcdpToApproxSimple(rho, d));
    expect(tight).toBeGreaterThan(5.2);
    expect(tight).toBeLessThan(5.23);
    expect(simple).toBeCloseTo(0.5 + 2 * Math.sqrt(0.5 * Math.log(1e6)), 7);
    expect(simple).toBeGreaterThanOrEqual(0.5 + 2 * Math.sqrt(0.5 * Math.log(1e6)));
    expect(tight).toBeLessThan(simple);
  });
  it('tight conversion is never below the exact CKS20 bound at the optimum (brute force over α)', () => {
    for (const [rho, delta] of [
      [0.01, 1e-9],
      [0.5, 1e-6],
      [2, 1e-5],
      [1e-4, 1e-3]
    ]) {
      const f = (a: number) =>
        a * rho + Math.log(1 / delta) / (a - 1) + Math.log(1 - 1 / a) - Math.log(a) / (a - 1);
      let bestA = 2;
      for (let a = 1.0001; a < 2000; a *= 1.0005) if (f(a) < f(bestA)) bestA = a;
      let best = f(bestA);
      for (let a = bestA * 0.999; a < bestA * 1.001; a += bestA * 1e-8) best = Math.min(best, f(a));
      const got = toNumber(zcdpToApprox(parseAmount(rho), parseAmount(delta)));
      expect(got).toBeGreaterThanOrEqual(best);
      expect(got).toBeLessThan(best * (1 + 1e-8));
    }
  });
  it('approxToZcdp inverts the tight conversion conservatively', () => {
    const eps = parseAmount(1);
    const d = parseAmount('1e-6');
    const rho = approxToZcdp(eps, d);
    expect(zcdpToApprox(rho, d).lte(eps)).toBe(true);
    expect(toNumber(zcdpToApprox(rho.mul(Rational.of(1001n, 1000n)), d))).toBeGreaterThan(1 - 0.01);
  });
  it('charges zCDP to an (ε, δ) budget with an explicit conversion δ', () => {
    const c = toMode(zcdpCost('0.5'), 'approx', { conversionDelta: '1e-6' });
    expect(c.measure === 'approx' && toNumber(c.epsilon)).toBeGreaterThan(5.2);
    expect(() => toMode(zcdpCost('0.5'), 'approx')).toThrow(LomasError);
    expect(() => toMode(approxCost(1, '1e-6'), 'pure')).toThrow(LomasError);
    expect(() => toMode(zcdpCost('0.1'), 'pure')).toThrow(LomasError);
  });
  it('fits compares in the dataset mode', () => {
    expect(fits(pureCost(1), zcdpCost('0.5'), 'zcdp')).toBe(true);
    expect(fits(pureCost('1.001'), zcdpCost('0.5'), 'zcdp')).toBe(false);
  });
});

describe('bad input', () => {
  it.each([
    [() => pureCost(-1), 'epsilon'],
    [() => pureCost(NaN), 'epsilon'],
    [() => approxCost(1, 1), 'delta'],
    [() => approxCost(1, -1e-6), 'delta'],
    [() => zcdpCost(Infinity), 'rho'],
    [() => zcdpToApprox(Rational.ONE, Rational.ZERO), 'delta'],
    [() => approxToZcdp(Rational.ZERO, parseAmount('1e-6')), 'epsilon']
  ])('%#: typed error naming the parameter', (f, parameter) => {
    expectParameterError(f, parameter);
  });
});
