/**
 * Where this server's milliseconds go per request (issue 16): a real server process run with
 * Node's CPU profiler (--cpu-prof, in the server's process only), timing protection off
 * (LOMAS_MIN_LATENCY_MS=0 LOMAS_LATENCY_JITTER_MS=0), sent sequential penguins grouped counts,
 * then flights-3m grouped means. The profile's self time is grouped by where the code lives
 * (SQLite store, DuckDB, exact DP noise, zod validation, JSON, HTTP, …) and printed per request.
 *   bash bench/anchors/profile.sh      (builds, then runs this)
 * Environment: BENCH_PROFILE_PENGUINS_N (300), BENCH_PROFILE_FLIGHTS_N (10), BENCH_PROFILE_WARMUP
 * (500 penguins requests first; the flights phase warms with 5, the first of which loads the file).
 * Samples of the server's main thread taken while the timed requests ran (not start-up or
 * load). A synchronous fsync counts as the SQLite call's own time; DuckDB's worker threads and
 * the client's share of the CPU show as idle.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchServer } from '../support/server';
import { describeMachine, machine } from '../support/report';

const PENGUINS_N = Number(process.env.BENCH_PROFILE_PENGUINS_N ?? 300);
const FLIGHTS_N = Number(process.env.BENCH_PROFILE_FLIGHTS_N ?? 10);
/** Penguins requests before the profiled ones, as bench:anchors warms both servers (its BENCH_WARMUP). */
const PENGUINS_WARMUP = Number(process.env.BENCH_PROFILE_WARMUP ?? 500);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives, from its URL and name (the first rule that matches). */
const CATEGORIES: [string, RegExp][] = [
  ['idle / waiting', /^\((idle|program)\)$/],
  ['garbage collection', /^\(garbage collector\)$/],
  ['SQLite store (better-sqlite3, store/sqlite)', /better-sqlite3|\/store\/sqlite/],
  ['ledger (charge, hash chain)', /\/ledger\//],
  ['DuckDB (node-api calls)', /@duckdb|\/engine\//],
  ['query compile (SQL templates)', /\/query\//],
  ['exact DP (rationals, samplers, release)', /\/dp\/|domain\/release/],
  ['zod validation (plans, answers)', /node_modules\/zod|\/protocol\//],
  [
    'HTTP (express, body parsing, node http)',
    /express|body-parser|router|raw-body|node:_http|node:http|node:net|node:stream|iconv|finalhandler|send/
  ],
  ['logging (pino)', /pino|sonic-boom|thread-stream/],
  ['metrics (prom-client)', /prom-client/],
  ['crypto (keys, hashes, rng)', /node:crypto|node:internal\/crypto|auth\//],
  ['other server code', /server\/dist/],
  ['other node internals', /^node:|^$/]
];

function categoryOf(n: ProfileNode): string {
  const { functionName, url } = n.callFrame;
  if (functionName === 'stringify' || functionName === 'parse') {
    if (url === '') return 'JSON (stringify, parse)';
  }
  for (const [name, re] of CATEGORIES) if (re.test(url) || re.test(functionName)) return name;
  return 'other dependencies';
}

/**
 * Self time (ms) per category and per function, of the samples taken inside [from, to] (µs of
 * the monotonic clock V8's profiler and process.hrtime share on Linux).
 */
function selfTimes(
  p: Profile,
  from: number,
  to: number
): { categories: Map<string, number>; functions: Map<string, number> } {
  const byId = new Map(p.nodes.map(n => [n.id, n]));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    const delta = p.timeDeltas[i] ?? 0;
    t += delta;
    const n = byId.get(id);
    if (!n || t < from || t > to) return;
    const c = categoryOf(n);
    categories.set(c, (categories.get(c) ?? 0) + delta / 1000);
    const f = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules\/|server\/dist\/)/, '$1')}:${n.callFrame.lineNumber + 1}`;
    functions.set(f, (functions.get(f) ?? 0) + delta / 1000);
  });
  return { categories, functions };
}

const micros = () => Number(process.hrtime.bigint() / 1000n);

async function phase(
  label: string,
  n: number,
  plan: unknown,
  setup: (s: Awaited<ReturnType<typeof startBenchServer>>) => Promise<void>,
  warmup: number
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lomas-profile-'));
  const s = await startBenchServer(
    { LOMAS_DEMO: 'true', LOMAS_MIN_LATENCY_MS: '0', LOMAS_LATENCY_JITTER_MS: '0' },
    [],
    ['--cpu-prof', `--cpu-prof-dir=${dir}`]
  );
  let from = 0;
  let to = 0;
  try {
    await setup(s);
    for (let i = 0; i < warmup; i++) await s.run(plan); // loads the dataset, warms the JIT
    from = micros();
    for (let i = 0; i < n; i++) await s.run(plan);
    to = micros();
  } finally {
    await s.stop();
  }
  const file = readdirSync(dir).find(f => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile written in ${dir}`);
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  rmSync(dir, { recursive: true, force: true });
  const { categories, functions } = selfTimes(prof, from, to);
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  console.log(
    `\n${label}: ${n} sequential requests, client wall time ${((to - from) / 1000 / n).toFixed(2)} ms per request`
  );
  console.log(
    '  server main thread during those requests, self time in ms per request, by where the code lives:'
  );
  for (const [c, ms] of sorted(categories))
    console.log(`  ${c.padEnd(46)} ${(ms / n).toFixed(2).padStart(8)}`);
  console.log('  top functions (self time, ms per request):');
  for (const [f, ms] of sorted(functions).slice(0, 12))
    console.log(`  ${(ms / n).toFixed(2).padStart(8)}  ${f}`);
}

async function main(): Promise<void> {
  console.log(`profile on ${describeMachine(machine())}`);
  console.log('timing protection off: LOMAS_MIN_LATENCY_MS=0 LOMAS_LATENCY_JITTER_MS=0');
  await phase(
    'penguins DP grouped count (species, ε = 0.01)',
    PENGUINS_N,
    {
      version: 1,
      dataset: 'penguins',
      steps: [],
      groupby: { keys: ['species'] },
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '0.01' }
    },
    async s => {
      await s.admin('PATCH', '/admin/datasets/penguins', { cap: null });
      await s.admin('PUT', '/admin/grants/penguins/analyst', { epsilon: '1000000', delta: '0' });
    },
    PENGUINS_WARMUP
  );
  await phase(
    'flights-3m DP grouped mean (delay by origin, ρ = 0.001)',
    FLIGHTS_N,
    {
      version: 1,
      dataset: 'flights',
      steps: [],
      groupby: { keys: ['origin'] },
      aggregations: [{ op: 'mean', column: 'delay' }],
      budget: { rho: '0.001' }
    },
    async s => {
      await s.admin('PATCH', '/admin/datasets/flights', { cap: null });
      await s.admin('PUT', '/admin/grants/flights/analyst', {
        epsilon: '0',
        delta: '0.000001',
        rho: '1000000'
      });
    },
    5
  );
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
