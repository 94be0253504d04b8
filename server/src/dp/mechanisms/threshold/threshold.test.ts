import { parseAmount, Rational } from '../../rational';
import { seededRng } from '../../rng';
import { wilson } from '../../testing/stats';
import { LomasError } from 'lomas-kernel/protocol';
import type { Rng } from '../../rng';
import { makeThreshold, thresholdDelta, thresholdFor } from './index';

const releaseAboveThreshold = (
  groups: Array<{ key: string; count: bigint }>,
  noise: 'laplace',
  scale: Rational,
  threshold: bigint,
  rng: Rng
) =>
  makeThreshold<string>({
    noise,
    sensitivity: 1,
    scale,
    threshold,
    l0: 1n,
    linf: 1n,
    delta: Math.min(0.999, thresholdDelta(noise, scale, threshold, 1n, 1n) * 1.0001).toPrecision(6),
    measure: 'approx'
  }).invoke(groups, rng);
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
      releaseAboveThreshold([{ key: 'zero', count: 0n }], 'laplace', scale, 8n, rng)
    ).toHaveLength(0);
  });

  it('the measurement charges the noise and the δ of its threshold, in the dataset measure', () => {
    const scale = Rational.of(2n);
    const T = thresholdFor('laplace', scale, '1e-6', 2n, 1n);
    const base = {
      noise: 'laplace' as const,
      sensitivity: 2,
      scale,
      threshold: T,
      l0: 2n,
      linf: 1n,
      delta: '1e-6'
    };
    expect(makeThreshold({ ...base, measure: 'approx' }).loss).toEqual({
      measure: 'approx',
      epsilon: Rational.ONE,
      delta: parseAmount('1e-6')
    });
    // zCDP dataset: δ-approximate ε²/2-zCDP, δ is charged too
    expect(makeThreshold({ ...base, measure: 'zcdp' }).loss).toEqual({
      measure: 'zcdp',
      rho: Rational.of(1n, 2n),
      delta: parseAmount('1e-6')
    });
    // a threshold below what δ needs is refused (engine error, never a silent under-charge)
    expect(() => makeThreshold({ ...base, threshold: T - 3n, measure: 'approx' })).toThrow(
      LomasError
    );
    // a pure dataset cannot honour a δ
    expect(() => makeThreshold({ ...base, measure: 'pure' })).toThrow(LomasError);
  });

  it('draws noise for the public cap of groups whatever the data holds (timing), releases only real ones', () => {
    const m = makeThreshold<string>({
      noise: 'laplace',
      sensitivity: 1,
      scale: 1,
      threshold: 5n,
      l0: 1n,
      linf: 1n,
      delta: '0.05',
      measure: 'approx',
      padTo: 100
    });
    const out = m.invoke([{ key: 'a', count: 1000n }], seededRng('pad'));
    expect(out.map(o => o.key)).toEqual(['a']);
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
