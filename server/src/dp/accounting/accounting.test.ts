import { LomasError } from 'lomas-kernel/protocol';
import { parseAmount, Rational, toDecimal, toNumber } from '../rational';
import {
  addCost,
  approxCost,
  approxToZcdp,
  castLoss,
  costToBudget,
  pureCost,
  pureToZcdp,
  roundCostUp,
  roundRemainingDown,
  zcdpCost,
  zcdpToApprox,
  zcdpToApproxSimple,
  Cost
} from './index';

const sum = (costs: Cost[]): Cost => costs.reduce((a, b) => addCost(a, b));
import { expectParameterError } from '../testing/errors';

describe('budget arithmetic never drifts', () => {
  it('1,000 charges of 0.001 add up to exactly 1.0; the 1,001st goes beyond', () => {
    const charges = Array.from({ length: 1000 }, () => pureCost(0.001));
    const total = sum(charges);
    expect(total.measure === 'pure' && total.epsilon.eq(Rational.ONE)).toBe(true);
    const more = addCost(total, pureCost(0.001));
    expect(more.measure === 'pure' && more.epsilon.gt(Rational.ONE)).toBe(true);
  });
  it('also through composition and decimal storage, in every mode', () => {
    const charges = Array.from({ length: 1000 }, () => approxCost(0.001, '0.000000001'));
    const total = sum(charges);
    expect(
      total.measure === 'approx' &&
        total.epsilon.eq(Rational.ONE) &&
        total.delta.eq(parseAmount('1e-6'))
    ).toBe(true);
    expect(costToBudget(roundCostUp(total))).toEqual({ epsilon: '1', delta: '0.000001' });
    const z = sum(Array.from({ length: 1000 }, () => zcdpCost('0.001')));
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
    const c = castLoss({ kind: 'pure', epsilon: Rational.ONE }, 'zcdp');
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
  it('casts zCDP to (ε, δ) with an explicit conversion δ, adding the threshold δ', () => {
    const zc = (rho: string, delta = '0') =>
      ({ kind: 'zcdp', rho: parseAmount(rho), delta: parseAmount(delta) }) as const;
    const c = castLoss(zc('0.5'), 'approx', { conversionDelta: '1e-6' });
    expect(c.measure === 'approx' && toNumber(c.epsilon)).toBeGreaterThan(5.2);
    expect(c.measure === 'approx' && c.delta.eq(parseAmount('1e-6'))).toBe(true);
    const t = castLoss(zc('0.5', '1e-7'), 'approx', { conversionDelta: '1e-6' });
    expect(t.measure === 'approx' && t.delta.eq(parseAmount('0.0000011'))).toBe(true);
    expect(() => castLoss(zc('0.5'), 'approx')).toThrow(LomasError);
  });
  it('a pure dataset refuses every loss with a δ or in zCDP, with PRIVACY_RULE', () => {
    for (const natural of [
      { kind: 'zcdp', rho: Rational.ONE, delta: Rational.ZERO },
      { kind: 'pure-thresholded', epsilon: Rational.ONE, delta: parseAmount('1e-6') }
    ] as const) {
      let err: unknown;
      try {
        castLoss(natural, 'pure');
      } catch (e) {
        err = e;
      }
      expect(err instanceof LomasError && err.code).toBe('PRIVACY_RULE');
    }
  });
  it('thresholded ε-DP on a zCDP dataset: δ-approximate ε²/2-zCDP, δ kept', () => {
    const c = castLoss(
      { kind: 'pure-thresholded', epsilon: Rational.ONE, delta: parseAmount('1e-6') },
      'zcdp'
    );
    expect(c).toEqual({ measure: 'zcdp', rho: Rational.of(1n, 2n), delta: parseAmount('1e-6') });
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
