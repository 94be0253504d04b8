import * as fs from 'node:fs';
import * as path from 'node:path';

describe('every mechanism folder carries its proof', () => {
  const dirs = fs
    .readdirSync(__dirname, { withFileTypes: true })
    .filter(d => d.isDirectory())
    .map(d => d.name);
  it('finds the mechanisms', () => {
    expect(dirs.sort()).toEqual(
      expect.arrayContaining(['gaussian', 'laplace', 'permute-and-flip', 'quantile', 'threshold'])
    );
  });
  it.each(dirs)(
    '%s has index.ts, a test and a PROOF.md stating assumptions, privacy loss and reference',
    dir => {
      const files = fs.readdirSync(path.join(__dirname, dir));
      expect(files).toContain('index.ts');
      expect(files).toContain('PROOF.md');
      expect(files.some(f => f.endsWith('.test.ts'))).toBe(true);
      const proof = fs.readFileSync(path.join(__dirname, dir, 'PROOF.md'), 'utf8');
      expect(proof).toMatch(/## Assumptions/);
      expect(proof).toMatch(/## Privacy loss/);
      expect(proof).toMatch(/\*\*Reference:\*\*/);
    }
  );
});

describe('noise reaches a release only through a measurement', () => {
  const SRC = path.join(__dirname, '..', '..');
  const files = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap(d =>
        d.isDirectory()
          ? files(path.join(dir, d.name))
          : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') && !dir.includes('testing')
            ? [path.join(dir, d.name)]
            : []
      );
  // Who may call a sampler: noise.ts (vectors and thresholds) and the selection mechanisms.
  const ALLOWED = new Set(
    ['dp/samplers.ts', 'dp/noise.ts', 'dp/mechanisms/permute-and-flip/index.ts'].map(f =>
      path.join(SRC, f)
    )
  );
  it.each(
    files(SRC)
      .filter(f => !ALLOWED.has(f))
      .map(f => [path.relative(SRC, f), f])
  )('%s calls no sampler directly', (_rel, file) => {
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toMatch(
      /\b(discreteLaplaceRaw|discreteGaussianRaw|sampleDiscreteLaplace|sampleDiscreteGaussian|bernoulliExpRaw|geometricRaw)\s*\(/
    );
  });
});
