/**
 * The end of `npm run bench`: reads the figures the benchmarks appended to $BENCH_RESULTS (one
 * JSON line each), prints them as one table with the machine described, and writes them with the
 * machine to $BENCH_OUT (bench/results/latest.json). Arguments: the benchmarks that failed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeMachine, machine, table, type Figure } from './report';

const input = process.env.BENCH_RESULTS;
const out = process.env.BENCH_OUT;
if (!input || !out)
  throw new Error('BENCH_RESULTS and BENCH_OUT must be set (bench/run.sh sets them)');
const figures: Figure[] = existsSync(input)
  ? readFileSync(input, 'utf8')
      .split('\n')
      .filter(l => l.trim())
      .map(l => JSON.parse(l) as Figure)
  : [];
const m = machine();
const failed = process.argv.slice(2);
console.log(`\n== all figures (median, p10–p90 over n samples; n = 1: one measurement)`);
console.log(`machine: ${describeMachine(m)}`);
console.log(
  'timing protection: every HTTP benchmark sets LOMAS_MIN_LATENCY_MS=0 LOMAS_LATENCY_JITTER_MS=0, except the "timing: ON" rows'
);
if (process.env.BENCH_QUICK === '1') console.log('quick mode (BENCH_QUICK=1): fewer samples');
console.log(table(figures));
if (failed.length) console.log(`failed: ${failed.join(' ')}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify({ machine: m, quick: process.env.BENCH_QUICK === '1', failed, figures }, null, 2) +
    '\n'
);
console.log(`written: ${out}`);
