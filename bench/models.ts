/**
 * DP model benchmark (plan + exact statistics + noise + post-processing, on warm datasets):
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.models.json && node bench/dist/bench/models.js
 * Targets (issue 14): linear regression with 4 features on flights-3m under 2 s; logistic
 * regression on penguins under 1 s. Reports p50/p95 of 10 fits each, and the cold load.
 */
import { parseModelRequest, type ModelRequest } from 'lomas-kernel/protocol';
import { demoDatasets } from '../server/src/datasets/demo';
import { cryptoRng } from '../server/src/dp';
import { DatasetCache } from '../server/src/engine/cache';
import { fitModel } from '../server/src/models/engine';
import { planModel } from '../server/src/models/plan';
import type { DatasetRecord } from '../server/src/store/types';
import { record as recordFigure } from './support/report';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const at = '2026-12-01T00:00:00Z';
function record(i: number): DatasetRecord {
  const d = demoDatasets()[i];
  return {
    name: d.name,
    connector: d.connector,
    metadata: d.metadata,
    accounting: d.accounting,
    delta: d.delta,
    cap: null,
    version: 1,
    createdAt: at,
    updatedAt: at
  };
}

const date = { kind: 'col', name: 'date' };
const FLIGHTS_LINEAR = {
  version: 1,
  dataset: 'flights',
  model: 'linear',
  steps: [
    {
      op: 'derive',
      columns: {
        hour: { expr: { kind: 'call', fn: 'hour', args: [date] } },
        month: { expr: { kind: 'call', fn: 'month', args: [date] } },
        weekday: { expr: { kind: 'call', fn: 'weekday', args: [date] } }
      }
    }
  ],
  features: ['distance', 'hour', 'month', 'weekday'],
  target: 'delay',
  budget: { rho: '0.1' }
};
const PENGUINS_LOGISTIC = {
  version: 1,
  dataset: 'penguins',
  model: 'logistic',
  features: ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm'],
  target: 'species',
  budget: { epsilon: 1 }
};

async function bench(cache: DatasetCache, dataset: DatasetRecord, body: unknown, label: string) {
  const request: ModelRequest = parseModelRequest(body);
  const rng = cryptoRng();
  const t0 = performance.now();
  await cache.load(dataset);
  console.log(`${dataset.name} load: ${(performance.now() - t0).toFixed(0)} ms (cold, once)`);
  const times: number[] = [];
  let last: unknown;
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    const planned = planModel(request, dataset);
    last = await cache.use(dataset, d => fitModel(planned, d, rng));
    if (i > 0) times.push(performance.now() - t);
  }
  recordFigure('models', label, 'ms', times);
  console.log(
    `${label}: p50 ${pct(times, 0.5).toFixed(0)} ms, p95 ${pct(times, 0.95).toFixed(0)} ms (plan + SQL + noise + fit, warm)`
  );
  console.log(`  last fit: ${JSON.stringify((last as { parameters: unknown }).parameters)}`);
}

async function main(): Promise<void> {
  const cache = new DatasetCache();
  await bench(
    cache,
    record(2),
    FLIGHTS_LINEAR,
    'flights-3m linear regression, 4 features (ρ = 0.1)'
  );
  await bench(
    cache,
    record(0),
    PENGUINS_LOGISTIC,
    'penguins logistic regression, 3 features, 3 classes (ε = 1, 5 steps)'
  );
  const tenSteps = { ...PENGUINS_LOGISTIC, budget: { rho: '0.5' } };
  await bench(
    cache,
    { ...record(0), accounting: 'zcdp', delta: '0.000001' },
    tenSteps,
    'penguins logistic regression (ρ = 0.5, 10 steps)'
  );
  cache.close();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
