/**
 * Every model folder carries its code, its statistical tests and its proof; the fixed-point
 * encodings keep every value within [−ONE, ONE] and round as the engine contract says.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { encode, fixed, fixedInteger, integerBounds, normalise, ONE } from './common';

describe('every model folder carries its proof', () => {
  const dirs = fs
    .readdirSync(__dirname, { withFileTypes: true })
    .filter(d => d.isDirectory() && d.name !== 'testing')
    .map(d => d.name);
  it('finds the four models', () => {
    expect(dirs.sort()).toEqual(['kmeans', 'linear', 'logistic', 'naive-bayes']);
  });
  it.each(dirs)(
    '%s has index.ts, a test and a PROOF.md with assumptions, loss and reference',
    dir => {
      const files = fs.readdirSync(path.join(__dirname, dir));
      expect(files).toContain('index.ts');
      expect(files.some(f => f.endsWith('.test.ts'))).toBe(true);
      const proof = fs.readFileSync(path.join(__dirname, dir, 'PROOF.md'), 'utf8');
      expect(proof).toMatch(/## Assumptions/);
      expect(proof).toMatch(/## Privacy loss/);
      expect(proof).toMatch(/\*\*Reference:\*\*/);
    }
  );
});

describe('fixed-point encoding (seeded properties)', () => {
  const params = { seed: 20261202, numRuns: 2000 };

  it('doubles: |q| ≤ ONE for any value, bounds and non-finite input', () => {
    fc.assert(
      fc.property(
        fc.double(),
        fc.double({ noNaN: true, min: -1e300, max: 1e300 }),
        fc.double({ min: 1e-300, max: 1e300, noNaN: true }),
        (x, lo, w) => {
          const b = { lower: lo, upper: lo + w };
          if (!(b.upper > b.lower) || !Number.isFinite(b.upper)) return;
          const q = fixed(normalise(x, b));
          expect(q <= ONE && q >= -ONE).toBe(true);
        }
      ),
      params
    );
    expect(fixed(NaN)).toBe(0n);
    expect(fixed(Infinity)).toBe(0n); // as the SQL: TRY_CAST of ±inf is NULL, then 0
  });

  it('integers: the exact rounding (half away from zero) of (2x − L − U)·2^30/(U − L), within one unit of the double path', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: 1, max: 2e6 }),
        (x, lo, w) => {
          const b = { lower: lo, upper: lo + w, integer: true };
          expect(integerBounds(b.lower, b.upper)).toBe(true);
          const q = encode(x, b);
          const c = BigInt(Math.min(Math.max(x, b.lower), b.upper));
          const num = (2n * c - BigInt(b.lower + b.upper)) * ONE;
          const den = BigInt(w);
          // |num/den − q| ≤ 1/2, and exactly 1/2 only away from zero
          const twice = 2n * num - 2n * q * den;
          expect(twice <= den && twice >= -den).toBe(true);
          if (twice === den || twice === -den) expect(q === 0n || q > 0n === num > 0n).toBe(true);
          expect(q <= ONE && q >= -ONE).toBe(true);
          const d = q - fixed(normalise(x, b));
          expect(d <= 1n && d >= -1n).toBe(true);
        }
      ),
      params
    );
    expect(fixedInteger(5, { lower: 0, upper: 10 })).toBe(0n);
    expect(fixedInteger(10, { lower: 0, upper: 10 })).toBe(ONE);
    expect(fixedInteger(-3, { lower: 0, upper: 10 })).toBe(-ONE);
  });
});
