import { fromFloatExact, parseAmount, Rational } from '../../rational';
import { seededRng } from '../../rng';
import { chiSquareGof, discreteGaussianCdf } from '../../testing/stats';
import { LomasError } from 'lomas-kernel/protocol';
import type { Rng } from '../../rng';
import {
  gaussianFloatRho,
  gaussianRho,
  gaussianSigma,
  makeGaussian,
  makeGaussianFloat
} from './index';

const gaussianIntegerVector = (values: bigint[], sigma: number, rng: Rng) =>
  makeGaussian({ sensitivitySquared: 1, sigma, measure: 'zcdp' }).invoke(values, rng);
const gaussianFloatVector = (values: number[], o: { sigma: number; k: number }, rng: Rng) =>
  makeGaussianFloat({ ...o, sensitivity: 1, length: values.length, measure: 'zcdp' }).invoke(
    values,
    rng
  );
import { expectParameterError } from '../../testing/errors';

describe('Gaussian mechanism', () => {
  it('privacy map ρ = Δ₂²/(2σ²) exactly; calibration never exceeds the requested ρ', () => {
    expect(gaussianRho(1, 1).toString()).toBe('1/2');
    expect(gaussianRho(4, 2).toString()).toBe('1/2');
    for (const rho of ['0.5', '0.01', '0.000123', '3']) {
      const sigma = gaussianSigma(2, rho);
      const got = gaussianRho(2, sigma);
      expect(got.lte(parseAmount(rho))).toBe(true);
      expect(got.gt(parseAmount(rho).mul(Rational.of(999999n, 1000000n)))).toBe(true);
    }
    expect(gaussianFloatRho(1, 1, 4, -1074).toString()).toBe('1/2');
    const r0 = gaussianFloatRho(1, 1, 4, 0); // (1 + (1 − 2^-1074)·√4)²/2, just below 9/2
    expect(r0.lt(Rational.of(9n, 2n)) && r0.gt(Rational.of(449n, 100n))).toBe(true);
  });

  it('a measurement charges ρ = Δ₂²/(2σ²) of the σ it draws with, in every measure', () => {
    const m = makeGaussian({ sensitivitySquared: 4, sigma: 2, measure: 'zcdp' });
    expect(m.loss).toEqual({ measure: 'zcdp', rho: Rational.of(1n, 2n), delta: Rational.ZERO });
    expect(m.scale.toString()).toBe('2');
    const approx = makeGaussian({
      sensitivitySquared: 4,
      sigma: 2,
      measure: 'approx',
      cast: { conversionDelta: '1e-6' }
    }).loss;
    // ρ = 0.5 at δ' = 1e-6: ε ≈ 5.22 (CKS20), δ = δ'
    expect(
      approx.measure === 'approx' && Number(approx.epsilon.toString().split('/')[0])
    ).toBeTruthy();
    expect(approx.measure === 'approx' && approx.delta.eq(parseAmount('1e-6'))).toBe(true);
    // a pure-ε dataset cannot honour Gaussian noise: PRIVACY_RULE, naming the rule
    let err: unknown;
    try {
      makeGaussian({ sensitivitySquared: 1, sigma: 1, measure: 'pure' });
    } catch (e) {
      err = e;
    }
    expect(err instanceof LomasError && err.code).toBe('PRIVACY_RULE');
    expect((err as LomasError).details.rule).toBe('pure-dp-dataset');
  });

  it.each([
    [() => gaussianRho(1, 0), 'sigma'],
    [() => gaussianSigma(1, 0), 'rho'],
    [() => gaussianSigma(1, -0.5), 'rho'],
    [() => gaussianSigma(1, Infinity), 'rho'],
    [() => gaussianIntegerVector([1n], -1, seededRng('x')), 'sigma']
  ])('bad input %# → typed error', (f, parameter) => {
    expectParameterError(f, parameter);
  });

  it('integer noise fits the discrete Gaussian σ = 4 (χ² at 1e-6) and not ±30%', () => {
    const out = gaussianIntegerVector(new Array(60_000).fill(-3n), 4, seededRng('g-int')).map(
      v => Number(v) + 3
    );
    const ok = chiSquareGof(out, discreteGaussianCdf(4));
    expect(ok.stat).toBeLessThan(ok.critical);
    const bad = chiSquareGof(out, discreteGaussianCdf(4 * 0.7));
    expect(bad.stat).toBeGreaterThan(bad.critical);
  });

  it('red team: float releases lie on the grid 2^k', () => {
    const k = -12;
    const r = gaussianFloatVector([Math.PI, -1e-200, 5], { sigma: 0.5, k }, seededRng('g-grid'));
    for (const v of r.values)
      expect(fromFloatExact(v).mul(Rational.pow2(-k)).isInteger()).toBe(true);
  });
});
