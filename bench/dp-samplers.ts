/**
 * Sampler benchmark of the DP engine (exact CKS20 samplers on bigint, pooled node:crypto entropy).
 *
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.dp.json && node bench/dist/bench/dp-samplers.js
 *
 * (`npx tsc` resolves to tslab's bundled TypeScript 5.0 here; use the workspace's 5.9.)
 * Reports samples/s of discrete Laplace and discrete Gaussian at integer scales 1, 10, 1000, at the
 * default float grid (k = ⌈log2 scale⌉ − 40) and at the finest grid k = −1074, plus the complete
 * float release path (clamp, exact rounding to the grid, noise, back to double).
 * Targets (issue 3): >= 250,000 discrete Laplace samples/s at integer scale 10, >= 10,000/s at
 * k = −1074.
 */
import { defaultGrid, MIN_GRID } from '../server/src/dp/float';
import { makeLaplaceFloat } from '../server/src/dp/mechanisms/laplace';
import { makeGaussianFloat } from '../server/src/dp/mechanisms/gaussian';
import { parseAmount, Rational } from '../server/src/dp/rational';
import { cryptoRng } from '../server/src/dp/rng';
import { sampleDiscreteGaussian, sampleDiscreteLaplace } from '../server/src/dp/samplers';
import { record } from './support/report';

const rng = cryptoRng();
const SECONDS = Number(process.env.BENCH_SECONDS ?? '1');

function rate(f: () => unknown): number {
  for (let i = 0; i < 2000; i++) f(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 500; i++) f();
    n += 500;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

interface Row {
  case: string;
  laplace: number;
  gaussian: number;
}

function gridScale(real: Rational, k: number): Rational {
  return real.mul(Rational.pow2(-k));
}

const rows: Row[] = [];
for (const s of [1n, 10n, 1000n]) {
  const r = Rational.of(s);
  rows.push({
    case: `integer scale ${s}`,
    laplace: rate(() => sampleDiscreteLaplace(r, rng)),
    gaussian: rate(() => sampleDiscreteGaussian(r, rng))
  });
}
for (const real of ['1', '3.7']) {
  const r = parseAmount(real);
  const k = defaultGrid(r);
  const g = gridScale(r, k);
  rows.push({
    case: `default grid k=${k}, scale ${real}`,
    laplace: rate(() => sampleDiscreteLaplace(g, rng)),
    gaussian: rate(() => sampleDiscreteGaussian(g, rng))
  });
}
for (const real of ['1', '0.1']) {
  const g = gridScale(parseAmount(real), MIN_GRID);
  rows.push({
    case: `k=-1074, scale ${real}`,
    laplace: rate(() => sampleDiscreteLaplace(g, rng)),
    gaussian: rate(() => sampleDiscreteGaussian(g, rng))
  });
}
// Complete float release of one value (clamp, round to grid exactly, noise, back to double).
// (through the measurements, as releases use them)
for (const k of [defaultGrid(Rational.ONE), MIN_GRID]) {
  const common = { k, bounds: [0, 1] as [number, number], sensitivity: 1, length: 1 };
  const lap = makeLaplaceFloat({ ...common, scale: Rational.ONE, measure: 'pure' });
  const gau = makeGaussianFloat({ ...common, sigma: Rational.ONE, measure: 'zcdp' });
  rows.push({
    case: `float release path, k=${k}, scale 1`,
    laplace: rate(() => lap.invoke([0.123456789], rng)),
    gaussian: rate(() => gau.invoke([0.123456789], rng))
  });
}

for (const r of rows) {
  record('dp-samplers', `discrete Laplace, ${r.case}`, 'samples/s', [r.laplace]);
  record('dp-samplers', `discrete Gaussian, ${r.case}`, 'samples/s', [r.gaussian]);
}
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(12);
console.log(`node ${process.version}, ${SECONDS}s per case, samples/s (cryptoRng)`);
console.log(`${'case'.padEnd(42)}${'disc. Laplace'.padStart(14)}${'disc. Gaussian'.padStart(15)}`);
for (const r of rows) console.log(`${r.case.padEnd(42)}  ${fmt(r.laplace)}   ${fmt(r.gaussian)}`);
const l10 = rows.find(r => r.case === 'integer scale 10')!.laplace;
const l1074 = rows.find(r => r.case === 'k=-1074, scale 1')!.laplace;
console.log(
  `target: Laplace scale 10 >= 250,000/s: ${l10 >= 250_000 ? 'met' : 'NOT met'}; k=-1074 >= 10,000/s: ${l1074 >= 10_000 ? 'met' : 'NOT met'}`
);
