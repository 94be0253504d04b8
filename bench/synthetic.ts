/**
 * Synthetic-data benchmark (issue 13), in process, through the service the routes use
 * (domain/synthetic.ts: validate → plan → charge → count on DuckDB → noise → post-process and
 * sample → archive), with the production generator (node:crypto) and an in-memory store:
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.synthetic.json && node bench/dist/bench/synthetic.js
 * (`npx tsc` resolves to tslab's bundled TypeScript 5.0 here; use the workspace's 5.9.)
 *
 *   - penguins (344 rows, 7 columns, ε = 1, 344 synthetic rows): cold (loads the dataset), then
 *     BENCH_SYNTH_PENGUINS_N warm requests, p50/p95                      (target < 1 s)
 *   - flights-3m (3,000,000 rows, 5 columns, ρ = 1, 100,000 synthetic rows): cold (loads the
 *     Parquet file), then BENCH_SYNTH_FLIGHTS_N warm requests, p50/p95, and where the time goes
 *     (marginal counts on DuckDB vs noise + post-processing + sampling)   (target < 10 s)
 */
import { loadavg, cpus } from 'node:os';
import { demoDatasets, type DatasetRegistration } from '../server/src/datasets/demo';
import { cryptoRng, planSynthesis, synthesize } from '../server/src/dp';
import { createSyntheticService } from '../server/src/domain/synthetic';
import { resolveColumns } from '../server/src/domain/syntheticColumns';
import { DatasetCache } from '../server/src/engine/cache';
import { countMarginals } from '../server/src/engine/marginals';
import { createLedger } from '../server/src/ledger';
import { createLogger } from '../server/src/logger';
import { MemoryStore } from '../server/src/store/memory';
import type { DatasetRecord } from '../server/src/store/types';
import { record } from './support/report';

const PENGUINS_N = Number(process.env.BENCH_SYNTH_PENGUINS_N ?? 20);
const FLIGHTS_N = Number(process.env.BENCH_SYNTH_FLIGHTS_N ?? 3);
const who = { user: 'bench', role: 'analyst' as const, credential: 'key:k' };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

function recordOf(r: DatasetRegistration): DatasetRecord {
  const at = new Date().toISOString();
  return {
    name: r.name,
    connector: r.connector as DatasetRecord['connector'],
    metadata: r.metadata,
    accounting: r.accounting,
    delta: r.delta,
    cap: null,
    version: 1,
    createdAt: at,
    updatedAt: at
  };
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} CPUs, load ${loadavg()
      .map(x => x.toFixed(2))
      .join(' ')}`
  );
  const [penguins, , flights] = demoDatasets();
  const store = new MemoryStore();
  for (const r of [penguins, flights]) {
    await store.putDataset(recordOf(r));
    await store.putGrant({
      user: who.user,
      dataset: r.name,
      budget:
        r.accounting === 'zcdp'
          ? { epsilon: '0', delta: '0.5', rho: '100000' }
          : { epsilon: '100000', delta: '0' },
      createdAt: '',
      updatedAt: ''
    });
  }
  const cache = new DatasetCache();
  const service = createSyntheticService({
    store,
    ledger: createLedger(store),
    cache,
    rng: cryptoRng(),
    logger: createLogger('silent')
  });

  const pReq = { version: 1, dataset: 'penguins', rows: 344, budget: { epsilon: '1' } };
  const pCold = await timed(() => service.run(who, pReq, null));
  const pWarm: number[] = [];
  for (let i = 0; i < PENGUINS_N; i++) pWarm.push(await timed(() => service.run(who, pReq, null)));
  record('synthetic', 'penguins ε = 1, 7 columns, warm', 'ms', pWarm);
  console.log(
    `penguins ε = 1, 7 columns, 344 rows: cold ${pCold.toFixed(0)} ms (loads the dataset); warm p50 ${pct(pWarm, 0.5).toFixed(0)} ms, p95 ${pct(pWarm, 0.95).toFixed(0)} ms over ${PENGUINS_N} (target < 1000 ms)`
  );

  const fReq = { version: 1, dataset: 'flights', rows: 100_000, budget: { rho: '1' } };
  const fCold = await timed(() => service.run(who, fReq, null));
  const fWarm: number[] = [];
  for (let i = 0; i < FLIGHTS_N; i++) fWarm.push(await timed(() => service.run(who, fReq, null)));
  record('synthetic', 'flights-3m ρ = 1, 100,000 rows, warm', 'ms', fWarm);
  console.log(
    `flights-3m ρ = 1, 5 columns, 100,000 synthetic rows: cold ${fCold.toFixed(0)} ms (loads 3M rows); warm p50 ${pct(fWarm, 0.5).toFixed(0)} ms, p95 ${pct(fWarm, 0.95).toFixed(0)} ms over ${FLIGHTS_N} (target < 10000 ms)`
  );
  // Where the time goes (warm): exact counts on DuckDB, then noise + post-processing + sampling.
  const { specs } = resolveColumns('flights', flights.metadata, undefined, 100_000);
  const plan = planSynthesis({ columns: specs, bins: 10, budget: { rho: '1' }, measure: 'zcdp' });
  const loaded = await cache.load(recordOf(flights));
  let counts: Awaited<ReturnType<typeof countMarginals>> | undefined;
  const countMs = await timed(async () => (counts = await countMarginals(loaded, plan.domains)));
  const synthMs = await timed(async () => synthesize(plan, counts!, 100_000, cryptoRng()));
  console.log(
    `  flights-3m split: marginal counts ${countMs.toFixed(0)} ms (one DuckDB statement, 15 grouping sets); noise + post-processing + sampling ${synthMs.toFixed(0)} ms`
  );
  console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  cache.close();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
