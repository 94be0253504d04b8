/**
 * Engine benchmark (exact statistics only; no HTTP, no noise):
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.query.json && node bench/dist/bench/query-engine.js
 * (`npx tsc` resolves to tslab's bundled TypeScript 5.0 here; use the workspace's 5.9.)
 * Reports flights-3m load time and RSS, warm grouped mean p50/p95 on flights-3m, penguins count.
 */
import { checkPlan, parsePlan } from 'lomas-kernel/protocol';
import { demoDatasets } from '../server/src/datasets/demo';
import { DatasetCache } from '../server/src/engine/cache';
import { execute } from '../server/src/engine/execute';
import { record } from './support/report';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function timeIt(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const [penguins, , flights] = demoDatasets();
  console.log(
    'query-engine (engine only, no HTTP: timing protection does not apply; default engine limits)'
  );
  const cache = new DatasetCache();
  const rss0 = process.memoryUsage().rss;
  const fref = {
    name: 'flights',
    version: 1,
    connector: flights.connector,
    metadata: flights.metadata
  };
  const t0 = performance.now();
  await cache.load(fref);
  const loadMs = performance.now() - t0;
  record('query-engine', 'flights-3m load', 'ms', [loadMs]);
  const rss1 = process.memoryUsage().rss;
  console.log(
    `flights-3m load: ${loadMs.toFixed(0)} ms; RSS ${(rss0 / 2 ** 20).toFixed(0)} → ${(rss1 / 2 ** 20).toFixed(0)} MiB`
  );

  const plans: [string, unknown][] = [
    [
      'grouped mean (origin, 3376 public keys)',
      { groupby: { keys: ['origin'] }, aggregations: [{ op: 'mean', column: 'delay' }] }
    ],
    [
      'mean, filter distance > 1000',
      {
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
      }
    ],
    [
      'grouped median (month)',
      {
        steps: [
          {
            op: 'derive',
            columns: {
              month: { expr: { kind: 'call', fn: 'month', args: [{ kind: 'col', name: 'date' }] } }
            }
          }
        ],
        groupby: { keys: ['month'] },
        aggregations: [{ op: 'median', column: 'delay' }]
      }
    ]
  ];
  for (const [label, p] of plans) {
    const plan = checkPlan(
      parsePlan({
        version: 1,
        dataset: 'flights',
        steps: [],
        budget: { epsilon: 1 },
        ...(p as object)
      }),
      { metadata: flights.metadata }
    );
    const run = () => cache.use(fref, d => execute(plan, d));
    await run();
    const ts = await timeIt(20, run);
    record('query-engine', `flights-3m ${label}`, 'ms', ts);
    console.log(
      `flights-3m ${label}: p50 ${pct(ts, 0.5).toFixed(1)} ms, p95 ${pct(ts, 0.95).toFixed(1)} ms (validate+compile+execute, warm)`
    );
  }
  console.log(`RSS after queries: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);

  const pref = {
    name: 'penguins',
    version: 1,
    connector: penguins.connector,
    metadata: penguins.metadata
  };
  const pt0 = performance.now();
  await cache.load(pref);
  console.log(`penguins load: ${(performance.now() - pt0).toFixed(0)} ms`);
  const count = checkPlan(
    parsePlan({
      version: 1,
      dataset: 'penguins',
      steps: [],
      aggregations: [{ op: 'count' }],
      budget: { epsilon: 1 }
    }),
    { metadata: penguins.metadata }
  );
  const ts = await timeIt(200, () => cache.use(pref, d => execute(count, d)));
  record('query-engine', 'penguins count', 'ms', ts);
  console.log(
    `penguins count: p50 ${pct(ts, 0.5).toFixed(2)} ms, p95 ${pct(ts, 0.95).toFixed(2)} ms`
  );
  cache.close();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
