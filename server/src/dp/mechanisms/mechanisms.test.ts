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
