/**
 * Goodness of fit of every exact sampler against its exact PMF, with a power check.
 * Each assertion of a correct implementation fails with probability ~1e-6 (χ² at the exact 1e-6
 * quantile, KS at 1e-6, Wilson at z = 4.89); seeds are fixed (seededRng) so runs are reproducible,
 * and one block uses cryptoRng. POWER: the same statistic, computed against the PMF at a scale 30%
 * too large or too small, must reject.
 */
import { fromFloatExact, Rational, toNumber } from './rational';
import { cryptoRng, Rng, seededRng } from './rng';
import {
  bernoulliExp,
  bernoulliRational,
  geometric,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  uniformBelow
} from './samplers';
import {
  chiSquareGof,
  discreteGaussianCdf,
  discreteLaplaceCdf,
  geometricCdf,
  ksCritical,
  ksStatistic,
  laplaceCdf,
  normalCdf,
  wilson
} from './testing/stats';
import { LomasError } from 'lomas-kernel/protocol';
import { expectParameterError } from './testing/errors';

const N = 60_000;

function draw(n: number, f: () => bigint): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Number(f());
  return out;
}

function expectFits(samples: number[], cdf: (z: number) => number): void {
  const r = chiSquareGof(samples, cdf);
  expect(r.df).toBeGreaterThan(0);
  expect(r.stat).toBeLessThan(r.critical);
}

function expectRejects(samples: number[], cdf: (z: number) => number): void {
  const r = chiSquareGof(samples, cdf);
  expect(r.df).toBeGreaterThan(0);
  expect(r.stat).toBeGreaterThan(r.critical);
}

describe('Bernoulli samplers (Wilson interval at 1e-6)', () => {
  const rng = seededRng('bernoulli');
  it.each([
    [1n, 3n],
    [999n, 1000n],
    [1n, 1000n],
    [0n, 1n],
    [1n, 1n]
  ])('bernoulliRational(%s/%s)', (num, den) => {
    const p = Rational.of(num, den);
    let k = 0;
    for (let i = 0; i < N; i++) if (bernoulliRational(p, rng)) k++;
    const truth = Number(num) / Number(den);
    if (truth === 0 || truth === 1) expect(k).toBe(truth * N);
    else {
      const [lo, hi] = wilson(k, N);
      expect(lo).toBeLessThan(truth);
      expect(hi).toBeGreaterThan(truth);
    }
  });

  it.each([0, 0.5, 1, 2.7, 10])('bernoulliExp(%s) against e^-x, and not e^-1.3x', x => {
    const r = fromFloatExact(x);
    let k = 0;
    for (let i = 0; i < N; i++) if (bernoulliExp(r, rng)) k++;
    const [lo, hi] = wilson(k, N);
    const truth = Math.exp(-x);
    if (x === 0) return expect(k).toBe(N);
    expect(lo).toBeLessThanOrEqual(truth);
    expect(hi).toBeGreaterThanOrEqual(truth);
    if (x >= 0.5 && x <= 2.7) {
      // power: 30% off in x is detected
      const wrong = Math.exp(-1.3 * x);
      expect(wrong < lo || wrong > hi).toBe(true);
    }
  });
});

describe('uniformBelow (no modulo bias)', () => {
  it('is uniform below 3, 100 and a 200-bit bound (χ² at 1e-6), on cryptoRng', () => {
    const rng = cryptoRng();
    for (const n of [3n, 100n]) {
      const s = draw(N, () => uniformBelow(n, rng));
      expectFits(s, z => (z < 0 ? 0 : z >= Number(n) - 1 ? 1 : (Math.floor(z) + 1) / Number(n)));
    }
    const big = (1n << 200n) / 3n; // bytes-range not a multiple: rejection matters
    const s = draw(20_000, () => (uniformBelow(big, rng) * 100n) / big);
    expectFits(s, z => (z < 0 ? 0 : z >= 99 ? 1 : (Math.floor(z) + 1) / 100));
  });
  it('rejects bounds below 1', () => {
    expect(() => uniformBelow(0n, seededRng('u'))).toThrow(LomasError);
  });
});

describe('geometric', () => {
  const rng = seededRng('geometric');
  it.each([
    [1n, 10n],
    [1n, 1n],
    [5n, 3n]
  ])('x = %s/%s fits, and ±30%% does not', (num, den) => {
    const x = Rational.of(num, den);
    const s = draw(N, () => geometric(x, rng));
    const xf = toNumber(x);
    expectFits(s, geometricCdf(xf));
    expectRejects(s, geometricCdf(xf * 1.3));
    expectRejects(s, geometricCdf(xf * 0.7));
  });
});

describe('discrete Laplace: χ² against the exact PMF, power at ±30%', () => {
  const cases: Array<[string, Rational, boolean]> = [
    ['1/10 (tiny)', Rational.of(1n, 10n), false],
    ['1', Rational.of(1n), true],
    ['3', Rational.of(3n), true],
    ['10', Rational.of(10n), true],
    ['7/3', Rational.of(7n, 3n), true],
    ['1000', Rational.of(1000n), true],
    ['10^6 (huge)', Rational.of(1_000_000n), true]
  ];
  it.each(cases)('scale %s', (_name, scale, both) => {
    const rng = seededRng(`laplace-${_name}`);
    const s = draw(both ? N : 200_000, () => sampleDiscreteLaplace(scale, rng));
    const sf = toNumber(scale);
    expectFits(s, discreteLaplaceCdf(sf));
    expectRejects(s, discreteLaplaceCdf(sf * 1.3));
    if (both) expectRejects(s, discreteLaplaceCdf(sf * 0.7)); // at 1/10, 0.07 leaves no bin but 0
  });

  it('symmetry and zero mass (catches "zero counted twice")', () => {
    const rng = seededRng('laplace-sym');
    const s = draw(N, () => sampleDiscreteLaplace(Rational.of(2n), rng));
    const pos = s.filter(v => v > 0).length;
    const neg = s.filter(v => v < 0).length;
    const [lo, hi] = wilson(pos, pos + neg);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    const p = Math.exp(-0.5);
    const [zl, zh] = wilson(s.filter(v => v === 0).length, N);
    expect(zl).toBeLessThan((1 - p) / (1 + p));
    expect(zh).toBeGreaterThan((1 - p) / (1 + p));
  });

  it('on the 2^-1074 grid (scale 1 real = 2^1074 grid units): KS against Laplace(1), power at ±30%', () => {
    const rng = seededRng('laplace-1074');
    const scale = Rational.pow2(1074);
    const n = 20_000;
    const xs: number[] = [];
    for (let i = 0; i < n; i++)
      xs.push(toNumber(Rational.of(sampleDiscreteLaplace(scale, rng)).mul(Rational.pow2(-1074))));
    expect(ksStatistic(xs, laplaceCdf(1))).toBeLessThan(ksCritical(n));
    expect(ksStatistic(xs, laplaceCdf(1.3))).toBeGreaterThan(ksCritical(n));
    expect(ksStatistic(xs, laplaceCdf(0.7))).toBeGreaterThan(ksCritical(n));
  });

  it('on a default-style grid (scale 3·2^40 grid units, 7/5 non-dyadic numerator): KS', () => {
    const rng = cryptoRng();
    const scale = Rational.of(3n << 40n, 1n).mul(Rational.of(7n, 5n));
    const n = 20_000;
    const xs = draw(n, () => sampleDiscreteLaplace(scale, rng)).map(v => v / 2 ** 40);
    expect(ksStatistic(xs, laplaceCdf(4.2))).toBeLessThan(ksCritical(n));
    expect(ksStatistic(xs, laplaceCdf(4.2 * 1.3))).toBeGreaterThan(ksCritical(n));
  });
});

describe('discrete Gaussian: χ² against the exact PMF, power at ±30%', () => {
  const cases: Array<[string, Rational]> = [
    ['1/2 (tiny)', Rational.of(1n, 2n)],
    ['1', Rational.of(1n)],
    ['3', Rational.of(3n)],
    ['10/3', Rational.of(10n, 3n)],
    ['1000', Rational.of(1000n)]
  ];
  it.each(cases)('sigma %s', (name, sigma) => {
    const rng: Rng = seededRng(`gauss-${name}`);
    const s = draw(N, () => sampleDiscreteGaussian(sigma, rng));
    const sf = toNumber(sigma);
    expectFits(s, discreteGaussianCdf(sf));
    expectRejects(s, discreteGaussianCdf(sf * 1.3));
    expectRejects(s, discreteGaussianCdf(sf * 0.7));
  });

  it('huge sigma 10^6 and the 2^-1074 grid: KS against N(0, σ²), power at ±30%', () => {
    const rng = seededRng('gauss-huge');
    const n = 10_000;
    const a = draw(n, () => sampleDiscreteGaussian(Rational.of(1_000_000n), rng)).map(v => v / 1e6);
    expect(ksStatistic(a, normalCdf(1))).toBeLessThan(ksCritical(n));
    expect(ksStatistic(a, normalCdf(1.3))).toBeGreaterThan(ksCritical(n));
    expect(ksStatistic(a, normalCdf(0.7))).toBeGreaterThan(ksCritical(n));
    const sigma = Rational.pow2(1074);
    const b: number[] = [];
    for (let i = 0; i < n; i++)
      b.push(toNumber(Rational.of(sampleDiscreteGaussian(sigma, rng)).mul(Rational.pow2(-1074))));
    expect(ksStatistic(b, normalCdf(1))).toBeLessThan(ksCritical(n));
    expect(ksStatistic(b, normalCdf(1.3))).toBeGreaterThan(ksCritical(n));
  });
});

describe('sampler input validation', () => {
  it('rejects negative scales and probabilities outside [0, 1] with INVALID_PARAMETER', () => {
    const rng = seededRng('bad');
    const bad: Array<[() => unknown, string]> = [
      [() => sampleDiscreteLaplace(Rational.of(-1n), rng), 'scale'],
      [() => sampleDiscreteGaussian(Rational.of(-1n, 2n), rng), 'sigma'],
      [() => bernoulliRational(Rational.of(3n, 2n), rng), 'p'],
      [() => bernoulliExp(Rational.of(-1n), rng), 'x'],
      [() => geometric(Rational.ZERO, rng), 'x']
    ];
    for (const [f, parameter] of bad) {
      expect(expectParameterError(f, parameter).code).toBe('INVALID_PARAMETER');
    }
  });
  it('scale 0 means no noise', () => {
    expect(sampleDiscreteLaplace(Rational.ZERO, seededRng('z'))).toBe(0n);
    expect(sampleDiscreteGaussian(Rational.ZERO, seededRng('z'))).toBe(0n);
  });
});
