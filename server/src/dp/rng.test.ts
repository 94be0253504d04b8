import * as fs from 'node:fs';
import * as path from 'node:path';
import { bitLength, cryptoRng, entropy, seededRng } from './rng';
import { chiSquareGof } from './testing/stats';

describe('Rng', () => {
  it('seededRng is deterministic per seed and differs across seeds', () => {
    const a = new Uint8Array(100);
    const b = new Uint8Array(100);
    const c = new Uint8Array(100);
    seededRng('s').fill(a);
    seededRng('s').fill(b);
    seededRng('t').fill(c);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('cryptoRng bytes pass a χ² uniformity test (100 categories × 100k draws, FPR 1e-6)', () => {
    const e = entropy(cryptoRng());
    const s: number[] = [];
    for (let i = 0; i < 100_000; i++) s.push(e.uniformSmall(100));
    const r = chiSquareGof(s, z => (z < 0 ? 0 : z >= 99 ? 1 : (Math.floor(z) + 1) / 100), 100);
    expect(r.df).toBe(99);
    expect(r.stat).toBeLessThan(r.critical);
  });

  it('cryptoRng serves large and small fills', () => {
    const rng = cryptoRng();
    const big = new Uint8Array(70_000);
    rng.fill(big);
    expect(big.some(x => x !== 0)).toBe(true);
    const small = new Uint8Array(3);
    for (let i = 0; i < 30_000; i++) rng.fill(small); // crosses the 64 KiB pool boundary
  });

  it('bitLength is exact', () => {
    expect(bitLength(0n)).toBe(0);
    expect(bitLength(1n)).toBe(1);
    expect(bitLength((1n << 52n) - 1n)).toBe(52);
    expect(bitLength(1n << 52n)).toBe(53);
    expect(bitLength((1n << 53n) - 1n)).toBe(53);
    expect(bitLength(1n << 1074n)).toBe(1075);
  });
});

describe('no non-cryptographic randomness in the DP engine', () => {
  it('no source file under server/src/dp mentions it', () => {
    const banned = ['Math', 'random'].join('.');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (
          /\.(ts|js|mjs|cjs)$/.test(entry.name) &&
          fs.readFileSync(p, 'utf8').includes(banned)
        )
          offenders.push(p);
      }
    };
    walk(__dirname);
    expect(offenders).toEqual([]);
  });
});
