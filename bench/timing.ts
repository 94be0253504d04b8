/**
 * Timing benchmark: how long private queries take, to choose the timing-protection floor
 * (docs/SECURITY.md, "Timing side channels"), and what an analyst can still see with it on.
 *   node node_modules/typescript/bin/tsc -b kernel-lib server
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.timing.json && node bench/dist/bench/timing.js
 *
 * Two real server processes (server/dist/main.js, demo datasets, embedded store):
 *   1. timing protection OFF (LOMAS_MIN_LATENCY_MS=0, LOMAS_LATENCY_JITTER_MS=0): warm latencies
 *      p50/p99/max of typical queries on penguins and flights-3m, and of a key-discovery count on
 *      a 10,000-row dataset holding 1 private key and on one holding 1,000 private keys;
 *   2. timing protection ON with the server's defaults (the variables are unset): the same two
 *      discovery queries.
 * Environment: BENCH_TIMING_N (200 requests per small query), BENCH_TIMING_FLIGHTS_N (40).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineLine, startBenchServer, type BenchServer } from './support/server';
import { record } from './support/report';

const N = Number(process.env.BENCH_TIMING_N ?? 200);
const FLIGHTS_N = Number(process.env.BENCH_TIMING_FLIGHTS_N ?? 40);
const DISCOVERY_ROWS = 10_000;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

interface Figures {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

async function latencies(
  s: BenchServer,
  plan: unknown,
  n: number,
  figure: string,
  warm = 5
): Promise<Figures> {
  for (let i = 0; i < warm; i++) await s.run(plan);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await s.run(plan);
    xs.push(performance.now() - t);
  }
  record('timing', figure, 'ms', xs);
  return {
    p50: pct(xs, 0.5),
    p99: pct(xs, 0.99),
    max: Math.max(...xs),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length
  };
}

const line = (label: string, f: Figures) =>
  `  ${label.padEnd(58)} p50 ${ms(f.p50).padStart(9)}  p99 ${ms(f.p99).padStart(9)}  max ${ms(f.max).padStart(9)}  mean ${ms(f.mean).padStart(9)}`;

/** Two (ε, δ) datasets of 10,000 rows: one private key, or 1,000 keys of 10 rows (unreleased). */
async function registerDiscovery(s: BenchServer): Promise<void> {
  for (const keys of [1, 1000]) {
    const path = join(s.dataDir, `keys-${keys}.csv`);
    const lines = ['k,v'];
    for (let i = 0; i < DISCOVERY_ROWS; i++) lines.push(`${(i % keys) * 7919},${i % 100}`);
    writeFileSync(path, lines.join('\n') + '\n');
    await s.admin('POST', '/admin/datasets', {
      name: `keys${keys}`,
      connector: { kind: 'file', path, format: 'csv' },
      metadata: {
        max_ids: 1,
        row_privacy: true,
        columns: {
          k: { type: 'int', nullable: false },
          v: { type: 'int', lower: 0, upper: 99, nullable: false }
        }
      },
      accounting: 'approx',
      cap: null
    });
    await s.admin('PUT', `/admin/grants/keys${keys}/analyst`, {
      epsilon: '100000000',
      delta: '0.5'
    });
  }
}

const discovery = (keys: number) => ({
  version: 1,
  dataset: `keys${keys}`,
  steps: [],
  groupby: { keys: ['k'], discover: { delta: '0.000000001' } },
  aggregations: [{ op: 'count' }],
  budget: { epsilon: '0.1' }
});

async function unlimitedDemoBudgets(s: BenchServer): Promise<void> {
  await s.admin('PATCH', '/admin/datasets/penguins', { cap: null });
  await s.admin('PUT', '/admin/grants/penguins/analyst', { epsilon: '100000000', delta: '0' });
  await s.admin('PATCH', '/admin/datasets/flights', { cap: null });
  await s.admin('PUT', '/admin/grants/flights/analyst', {
    epsilon: '0',
    delta: '0.000001',
    rho: '100000000'
  });
}

const penguins = (parts: Record<string, unknown>) => ({
  version: 1,
  dataset: 'penguins',
  steps: [],
  budget: { epsilon: '0.01' },
  ...parts
});
const flights = (parts: Record<string, unknown>) => ({
  version: 1,
  dataset: 'flights',
  steps: [],
  budget: { rho: '0.001' },
  ...parts
});

async function protectionOff(): Promise<string[]> {
  const s = await startBenchServer({
    LOMAS_DEMO: 'true',
    LOMAS_MIN_LATENCY_MS: '0',
    LOMAS_LATENCY_JITTER_MS: '0'
  });
  try {
    await unlimitedDemoBudgets(s);
    await registerDiscovery(s);
    const out = [
      `timing protection OFF (LOMAS_MIN_LATENCY_MS=0, LOMAS_LATENCY_JITTER_MS=0), warm, ${N} sequential requests (flights: ${FLIGHTS_N})`
    ];
    const cases: [string, unknown, number][] = [
      ['penguins: count', penguins({ aggregations: [{ op: 'count' }] }), N],
      [
        'penguins: mean body_mass_g by species',
        penguins({
          groupby: { keys: ['species'] },
          aggregations: [{ op: 'mean', column: 'body_mass_g' }]
        }),
        N
      ],
      [
        'penguins: median body_mass_g',
        penguins({ aggregations: [{ op: 'median', column: 'body_mass_g' }] }),
        N
      ],
      ['flights-3m: count', flights({ aggregations: [{ op: 'count' }] }), FLIGHTS_N],
      [
        'flights-3m: mean delay by origin (3,376 public keys)',
        flights({
          groupby: { keys: ['origin'] },
          aggregations: [{ op: 'mean', column: 'delay' }]
        }),
        FLIGHTS_N
      ],
      [
        'flights-3m: mean delay, filter distance > 1000',
        flights({
          steps: [
            {
              op: 'filter',
              predicate: {
                kind: 'binary',
                op: '>',
                left: { kind: 'col', name: 'distance' },
                right: { kind: 'lit', value: 1000 }
              }
            }
          ],
          aggregations: [{ op: 'mean', column: 'delay' }]
        }),
        FLIGHTS_N
      ],
      [
        'flights-3m: median delay',
        flights({ aggregations: [{ op: 'median', column: 'delay' }] }),
        FLIGHTS_N
      ],
      [
        'flights-3m: histogram of distance (10 bins)',
        flights({
          aggregations: [
            {
              op: 'histogram',
              column: 'distance',
              bins: [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5100]
            }
          ]
        }),
        FLIGHTS_N
      ]
    ];
    const t0 = performance.now();
    await s.run(cases[3][1]); // loads flights-3m
    out.push(`  (flights-3m cold load with the first query: ${ms(performance.now() - t0)})`);
    for (const [label, plan, n] of cases)
      out.push(line(label, await latencies(s, plan, n, `off: ${label}`)));
    for (const keys of [1, 1000])
      out.push(
        line(
          `key discovery, count, ${keys} private key${keys > 1 ? 's' : ''} (10,000 rows)`,
          await latencies(s, discovery(keys), N, `off: key discovery, ${keys} keys`)
        )
      );
    return out;
  } finally {
    await s.stop();
  }
}

async function protectionOn(): Promise<string[]> {
  // The server's own defaults: the timing variables are NOT set.
  const s = await startBenchServer({ LOMAS_DEMO: 'false' }, [
    'LOMAS_MIN_LATENCY_MS',
    'LOMAS_LATENCY_JITTER_MS'
  ]);
  try {
    await registerDiscovery(s);
    const out = [
      'timing protection ON (server defaults: LOMAS_MIN_LATENCY_MS, LOMAS_LATENCY_JITTER_MS unset)'
    ];
    for (const keys of [1, 1000])
      out.push(
        line(
          `key discovery, count, ${keys} private key${keys > 1 ? 's' : ''} (10,000 rows)`,
          await latencies(s, discovery(keys), N, `ON (defaults): key discovery, ${keys} keys`)
        )
      );
    return out;
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  console.log(`timing (real server child processes, loopback, keep-alive)\n  ${machineLine()}`);
  console.log((await protectionOff()).join('\n'));
  console.log((await protectionOn()).join('\n'));
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
