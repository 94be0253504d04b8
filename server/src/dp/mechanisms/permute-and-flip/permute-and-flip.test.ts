import { LomasError } from 'lomas-kernel/protocol';
import { Rational } from '../../rational';
import { seededRng } from '../../rng';
import { chiSquareGof } from '../../testing/stats';
import { exponentialMechanism, permuteAndFlip, selectionEpsilon, selectionRho } from './index';

/** Exact P&F selection probabilities by enumerating permutations (small m). */
function pfProbabilities(gaps: number[], scale: number): number[] {
  const m = gaps.length;
  const a = gaps.map(g => Math.exp(-g / scale));
  const p = new Array(m).fill(0);
  const perms: number[][] = [];
  const permute = (rest: number[], acc: number[]) => {
    if (rest.length === 0) perms.push(acc);
    rest.forEach((x, i) => permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, x]));
  };
  permute([...Array(m).keys()], []);
  for (const order of perms) {
    let reach = 1 / perms.length;
    for (const i of order) {
      p[i] += reach * a[i];
      reach *= 1 - a[i];
    }
  }
  return p;
}

function categoricalCdf(p: number[]): (z: number) => number {
  return z => {
    if (z < 0) return 0;
    let s = 0;
    for (let i = 0; i <= Math.min(Math.floor(z), p.length - 1); i++) s += p[i];
    return Math.min(1, s);
  };
}

describe('selection mechanisms', () => {
  const scores = [5n, 3n, 4n, 9n]; // best (min) is index 1
  const gaps = [2, 0, 1, 6];
  const N = 60_000;

  it('permute-and-flip matches its exact distribution (χ² at 1e-6) and not a 30% larger scale', () => {
    const rng = seededRng('pf');
    const s: number[] = [];
    for (let i = 0; i < N; i++) s.push(permuteAndFlip(scores, Rational.ONE, rng));
    const ok = chiSquareGof(s, categoricalCdf(pfProbabilities(gaps, 1)));
    expect(ok.stat).toBeLessThan(ok.critical);
    const bad = chiSquareGof(s, categoricalCdf(pfProbabilities(gaps, 1.3)));
    expect(bad.stat).toBeGreaterThan(bad.critical);
  });

  it('exponential mechanism matches P(i) ∝ exp(−gap/scale) and not a 30% larger scale', () => {
    const rng = seededRng('em');
    const s: number[] = [];
    for (let i = 0; i < N; i++) s.push(exponentialMechanism(scores, Rational.of(3n, 2n), rng));
    const w = (sc: number) => {
      const x = gaps.map(g => Math.exp(-g / sc));
      const t = x.reduce((a, b) => a + b);
      return x.map(v => v / t);
    };
    const ok = chiSquareGof(s, categoricalCdf(w(1.5)));
    expect(ok.stat).toBeLessThan(ok.critical);
    const bad = chiSquareGof(s, categoricalCdf(w(1.5 * 1.3)));
    expect(bad.stat).toBeGreaterThan(bad.critical);
  });

  it('goal max selects the largest score', () => {
    const rng = seededRng('max');
    let hits = 0;
    for (let i = 0; i < 1000; i++)
      if (permuteAndFlip([0n, 100n, 1n], Rational.ONE, rng, 'max') === 1) hits++;
    expect(hits).toBeGreaterThan(990);
  });

  it('privacy maps: ε = 2Δ/scale, ρ = ε²/8', () => {
    expect(selectionEpsilon(1, 2).toString()).toBe('1');
    expect(selectionRho(1, 2).toString()).toBe('1/8');
  });

  it('rejects empty candidate lists and bad scales', () => {
    expect(() => permuteAndFlip([], Rational.ONE, seededRng('x'))).toThrow(LomasError);
    expect(() => exponentialMechanism([1n], Rational.ZERO, seededRng('x'))).toThrow(LomasError);
  });
});
