import { fromFloatExact, parseAmount, Rational } from '../../rational';
import { seededRng } from '../../rng';
import { chiSquareGof, discreteGaussianCdf } from '../../testing/stats';
import {
  gaussianFloatRho,
  gaussianFloatVector,
  gaussianIntegerVector,
  gaussianRho,
  gaussianSigma
} from './index';
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
