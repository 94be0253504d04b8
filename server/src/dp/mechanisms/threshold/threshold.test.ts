import { parseAmount, Rational } from '../../rational';
import { seededRng } from '../../rng';
import { wilson } from '../../testing/stats';
import { releaseAboveThreshold, thresholdDelta, thresholdFor } from './index';
import { expectParameterError } from '../../testing/errors';

describe('noisy threshold for private keys', () => {
  it('thresholdFor is the smallest T meeting δ (Laplace and Gaussian)', () => {
    for (const noise of ['laplace', 'gaussian'] as const) {
      for (const [scale, delta, l0, linf] of [
        [2, '1e-6', 1n, 1n],
        [10, '1e-9', 3n, 2n],
        [0.5, '1e-3', 1n, 1n]
      ] as const) {
        const T = thresholdFor(noise, scale, delta, l0, linf);
        expect(thresholdDelta(noise, scale, T, l0, linf)).toBeLessThanOrEqual(Number(delta));
        expect(thresholdDelta(noise, scale, T - 2n, l0, linf)).toBeGreaterThan(Number(delta));
      }
    }
  });

  it('a group holding only the differing person (count = L∞) is released with probability <= δ', () => {
    const scale = Rational.of(2n);
    const delta = 0.02; // large, so the rate is measurable
    const T = thresholdFor('laplace', scale, parseAmount(delta), 1n, 1n);
    const rng = seededRng('thr');
    const n = 50_000;
    let released = 0;
    for (let i = 0; i < n; i++)
      released += releaseAboveThreshold([{ key: 'g', count: 1n }], 'laplace', scale, T, rng).length;
    const [lo] = wilson(released, n);
    expect(lo).toBeLessThanOrEqual(delta);
    // and big groups are released
    expect(
      releaseAboveThreshold([{ key: 'big', count: 1000n }], 'laplace', scale, T, rng)
    ).toHaveLength(1);
    // absent groups (count 0) are never released
    expect(
      releaseAboveThreshold([{ key: 'zero', count: 0n }], 'laplace', scale, -100n, rng)
    ).toHaveLength(0);
  });

  it.each([
    [() => thresholdFor('laplace', 1, 0, 1n, 1n), 'delta'],
    [() => thresholdFor('laplace', 1, 1, 1n, 1n), 'delta'],
    [() => thresholdFor('laplace', 0, '1e-6', 1n, 1n), 'scale'],
    [() => thresholdFor('laplace', 1, '1e-6', 0n, 1n), 'maxGroups']
  ])('bad input %# → typed error', (f, parameter) => {
    expectParameterError(f, parameter);
  });
});
