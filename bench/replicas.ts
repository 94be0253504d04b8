/**
 * Charges per second through several server replicas on one MongoDB store (the scale-out shape of
 * docs/DEPLOYMENT.md), over HTTP, checking exactness every time:
 *   node node_modules/typescript/bin/tsc -b kernel-lib server
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.replicas.json && node bench/dist/bench/replicas.js
 *   (or: BENCH_ONLY=replicas bash bench/run.sh)
 *
 * Each run: a fresh database, R real server processes (server/dist/main.js), one dataset whose cap
 * admits exactly ADMIT charges of ε = 0.01, CLIENTS concurrent clients sending DP counts round
 * robin over the replicas, each with an Idempotency-Key. Phase 1 sends ADMIT requests (all must
 * pass); phase 2 sends REFUSE more (all must be refused by the cap). Afterwards the ledger must
 * hold exactly ADMIT charges, spent must equal the cap, and the hash chain must verify.
 * Timing protection is OFF (LOMAS_MIN_LATENCY_MS=0, LOMAS_LATENCY_JITTER_MS=0); the rate limit is
 * shared through the store (the default) unless the run says "per-process rate limit".
 * MongoDB: MONGODB_URI if set, else FerretDB spawned like the tests do. FerretDB 1.24's SQLite
 * backend scans a collection for lookups that MongoDB answers from an index (the ledger's
 * idempotency key, even _id), so its figures fall as the ledger grows and say little about a
 * MongoDB replica set; what they do show is what the replicas add or take away on one store.
 * Environment: BENCH_REPLICAS_ADMIT (200), BENCH_REPLICAS_REFUSE (100), BENCH_REPLICAS_CLIENTS (24).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { startMongoForTests, uniqueDbName } from '../server/test/helpers/ferretdb';
import { machineLine, startBenchServer, type BenchServer } from './support/server';
import { record } from './support/report';

const ADMIT = Number(process.env.BENCH_REPLICAS_ADMIT ?? 200);
const REFUSE = Number(process.env.BENCH_REPLICAS_REFUSE ?? 100);
const CLIENTS = Number(process.env.BENCH_REPLICAS_CLIENTS ?? 24);
const DATASET = 'bench';

interface Run {
  label: string;
  replicas: number;
  env?: Record<string, string>;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

async function post(url: string, key: string, idem: string): Promise<number> {
  const res = await fetch(`${url}/v1/queries`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'idempotency-key': idem
    },
    body: JSON.stringify({
      version: 1,
      dataset: DATASET,
      steps: [],
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '0.01' }
    })
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends n requests from CLIENTS concurrent loops, round robin over the replicas. */
async function fire(servers: BenchServer[], keys: string[], n: number, tag: string) {
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        const status = await post(servers[i % servers.length].url, keys[c], `bench-${tag}-${i}`);
        latencies.push(performance.now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    })
  );
  return { seconds: (performance.now() - t0) / 1000, latencies, statuses };
}

async function oneRun(run: Run, mongoUri: string, dir: string): Promise<void> {
  const uri = `${mongoUri.replace(/\/?$/, '/')}${uniqueDbName('bench_replicas')}`;
  const env = {
    MONGODB_URI: uri,
    LOMAS_DEMO: 'false',
    LOMAS_MIN_LATENCY_MS: '0',
    LOMAS_LATENCY_JITTER_MS: '0',
    ...run.env
  };
  // The first server creates the collections and indexes; the others join it.
  const servers = [await startBenchServer(env)];
  try {
    servers.push(
      ...(await Promise.all(Array.from({ length: run.replicas - 1 }, () => startBenchServer(env))))
    );
    const admin = servers[0].admin;
    const csv = join(dir, 'penguins.csv');
    writeFileSync(
      csv,
      [
        'species,bill_length_mm',
        ...Array.from({ length: 300 }, (_, i) => `Adelie,${35 + (i % 20)}`)
      ].join('\n') + '\n'
    );
    await admin('POST', '/admin/datasets', {
      name: DATASET,
      connector: { kind: 'file', path: csv, format: 'csv' },
      metadata: {
        max_ids: 1,
        row_privacy: true,
        rows: 300,
        columns: {
          species: { type: 'string', categories: ['Adelie'], nullable: false },
          bill_length_mm: { type: 'float', lower: 30, upper: 60, nullable: false }
        }
      },
      accounting: 'pure',
      cap: { epsilon: (ADMIT / 100).toFixed(2), delta: '0' }
    });
    await admin('POST', '/admin/users', { name: 'bench', role: 'analyst' });
    const keys: string[] = [];
    for (let c = 0; c < CLIENTS; c++)
      keys.push(((await admin('POST', '/admin/users/bench/keys', {})) as { key: string }).key);
    await admin('PUT', `/admin/grants/${DATASET}/bench`, { epsilon: '1000000', delta: '0' });
    // Warm every replica (dataset load, JIT) with requests that cost nothing.
    for (const s of servers)
      for (let w = 0; w < 5; w++)
        await fetch(`${s.url}/v1/queries/estimate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${keys[0]}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            version: 1,
            dataset: DATASET,
            steps: [],
            aggregations: [{ op: 'count' }],
            budget: { epsilon: '0.01' }
          })
        });

    const admitted = await fire(servers, keys, ADMIT, 'a');
    const refused = await fire(servers, keys, REFUSE, 'r');
    const ledger = (await admin('GET', `/admin/ledger?dataset=${DATASET}&limit=10000`)) as {
      kind: string;
      datasetSpent: { epsilon: string };
    }[];
    const audit = (await admin('GET', `/admin/audit?dataset=${DATASET}`)) as { ok: boolean };
    const charges = ledger.filter(e => e.kind === 'charge').length;
    const spent = ledger[ledger.length - 1].datasetSpent.epsilon;
    const exact =
      admitted.statuses[200] === ADMIT &&
      refused.statuses[403] === REFUSE &&
      charges === ADMIT &&
      spent === `${ADMIT / gcd(ADMIT, 100)}/${100 / gcd(ADMIT, 100)}` &&
      audit.ok;
    record('replicas', `${run.label}: charge latency`, 'ms', admitted.latencies);
    record('replicas', `${run.label}: charges/s`, 'charges/s', [ADMIT / admitted.seconds]);
    console.log(
      `${run.label.padEnd(44)} ${(ADMIT / admitted.seconds).toFixed(1).padStart(6)} charges/s ` +
        `(p50 ${pct(admitted.latencies, 0.5).toFixed(0)} ms, p95 ${pct(admitted.latencies, 0.95).toFixed(0)} ms)  ` +
        `${(REFUSE / refused.seconds).toFixed(1).padStart(6)} refusals/s  ` +
        (exact
          ? `exact (${charges} charges, spent ε = ${spent} = cap, chain ok)`
          : `NOT EXACT: ${JSON.stringify({ admitted: admitted.statuses, refused: refused.statuses, charges, spent, chain: audit.ok })}`)
    );
    if (!exact) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map(s => s.stop()));
  }
}

/** What answers on the URI: FerretDB says so in buildInfo. */
async function storeName(uri: string): Promise<string> {
  const client = new MongoClient(uri);
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return info.ferretdbVersion ? `FerretDB ${info.ferretdbVersion}` : `MongoDB ${info.version}`;
  } finally {
    await client.close();
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

async function main(): Promise<void> {
  console.log(
    `replicas: ${CLIENTS} clients, ${ADMIT} admitted + ${REFUSE} refused charges of ε = 0.01 per run, ` +
      `timing protection OFF; ${cpus().length} CPUs, node ${process.version}`
  );
  console.log(machineLine());
  const mongo = process.env.MONGODB_URI
    ? { uri: process.env.MONGODB_URI, origin: 'external', stop: async () => undefined }
    : await startMongoForTests();
  const store = await storeName(mongo.uri);
  const dir = mkdtempSync(join(tmpdir(), 'lomas-bench-replicas-'));
  const runs: Run[] = [
    { label: `1 replica on ${store}`, replicas: 1 },
    { label: `3 replicas on ${store}`, replicas: 3 },
    {
      label: `3 replicas, per-process rate limit`,
      replicas: 3,
      env: { LOMAS_RATE_LIMIT_SCOPE: 'process' }
    }
  ];
  try {
    for (const run of runs) await oneRun(run, mongo.uri, dir);
  } finally {
    await mongo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
