/**
 * The README's profiling command (`bash bench/anchors/profile.sh`: where a real server process
 * spends its time per penguins and flights-3m request) keeps working: run here verbatim with a
 * handful of requests. Its figures are not asserted (they are benchmark figures), only that it
 * runs to the end and prints both breakdowns.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '../../..');

test('bash bench/anchors/profile.sh profiles a real server on penguins and flights-3m', () => {
  // As the README shows it; it builds kernel-lib and server first (up to date here: a no-op).
  const out = execFileSync('bash', ['bench/anchors/profile.sh'], {
    cwd: REPO,
    env: {
      ...process.env,
      BENCH_PROFILE_PENGUINS_N: '3',
      BENCH_PROFILE_FLIGHTS_N: '1',
      BENCH_PROFILE_WARMUP: '5'
    },
    encoding: 'utf8',
    stdio: 'pipe',
    timeout: 150_000
  });
  for (const phase of [
    /penguins DP grouped count .*: 3 sequential requests, client wall time [\d.]+ ms per request/,
    /flights-3m DP grouped mean .*: 1 sequential requests, client wall time [\d.]+ ms per request/
  ])
    expect(out).toMatch(phase);
  expect(out.match(/top functions \(self time, ms per request\):/g)).toHaveLength(2);
  expect(out).toMatch(/exact DP \(rationals, samplers, release\) +[\d.]+/);
}, 180_000);
