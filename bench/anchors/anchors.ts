/**
 * `npm run bench:anchors` (issue 16): this server beside the systems people would pick instead,
 * the same questions on the same data in one run (bench/anchors/run.sh builds and starts this).
 *
 *   1. DP grouped count of penguins by species over HTTP, ε per query, sequential requests on one
 *      keep-alive connection: the Python Lomas server 0.4.1 (SmartNoise-SQL path, timing-attack
 *      stall 0) vs this server (LOMAS_MIN_LATENCY_MS=0, LOMAS_LATENCY_JITTER_MS=0).
 *   2. DP grouped mean of delay by origin on flights-3m (3 M rows, zCDP ρ per query): OpenDP 0.16
 *      + Polars vs this server over HTTP; the same query without DP in DuckDB (in this process,
 *      the server's thread count; the data in the default in-memory table, and in a compressed
 *      in-memory database as this server stores it: the ratio is against the faster) and in
 *      Polars: the floor. Also the CPU time (every thread) per answer of this server and of the
 *      compressed floor: on a machine the floor already keeps busy, it bounds what 1.25× allows.
 *   3. Memory: this server's RSS with flights-3m loaded (the largest of: idle a second after the
 *      load, and the peak sampled every 10 ms while it answers 10 means; also shown: right after
 *      the answer that loaded the file, the load's transient, and a second after the last answer)
 *      vs the size of the loaded table as DuckDB reports it (duckdb_memory() after the floor's
 *      CREATE TABLE, default storage).
 * Each system runs alone (one after the other). Prints one table and the ratios; writes JSON to
 * BENCH_ANCHORS_OUT (bench/results/anchors.json).
 * Environment: BENCH_PENGUINS_N (200), BENCH_FLIGHTS_N (20), BENCH_DP_N (8: OpenDP releases),
 * BENCH_WARMUP (500: penguins requests before the timed ones, the same for both servers: a
 * long-running server is warm, and Node's JIT needs several hundred requests to settle),
 * BENCH_SETTLE_MS (10,000: the pause before each system after the first),
 * BENCH_QUICK=1 (40 / 5 / 3, warm-up 50, pause 2 s).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { startBenchServer } from '../support/server';
import {
  describeMachine,
  machine,
  summarize,
  table,
  type Figure,
  type Machine
} from '../support/report';

const REPO = resolve(__dirname, '../../../..'); // bench/dist/bench/anchors → repo root
const VEGA = join(REPO, 'node_modules/vega-datasets/data');
const QUICK = process.env.BENCH_QUICK === '1';
const num = (name: string, full: number, quick: number) =>
  Number(process.env[name] ?? (QUICK ? quick : full));
const PENGUINS_N = num('BENCH_PENGUINS_N', 200, 40);
const FLIGHTS_N = num('BENCH_FLIGHTS_N', 20, 5);
const DP_N = num('BENCH_DP_N', 8, 3);
const WARMUP = num('BENCH_WARMUP', 500, 50);
/**
 * A pause before each system after the first: the previous one's process has just given back
 * gigabytes (OpenDP + Polars on 3 M rows), which the kernel reclaims for a few seconds.
 */
const SETTLE_MS = num('BENCH_SETTLE_MS', 10_000, 2_000);
const EPSILON = 0.01;
const RHO = 0.001;
const OUT = process.env.BENCH_ANCHORS_OUT ?? join(REPO, 'bench/results/anchors.json');

function python(variable: string, script: string, args: string[]): unknown {
  const py = process.env[variable];
  if (!py) throw new Error(`${variable} is not set: run through npm run bench:anchors`);
  const outFile = join(mkdtempSync(join(tmpdir(), 'lomas-anchor-')), 'out.json');
  const r = spawnSync(
    py,
    ['-W', 'ignore', join(REPO, 'bench/anchors', script), ...args, '--out', outFile],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 30 * 60_000
    }
  );
  if (r.status !== 0) throw new Error(`${script} failed (status ${r.status})`);
  const out = JSON.parse(readFileSync(outFile, 'utf8')) as unknown;
  rmSync(dirname(outFile), { recursive: true, force: true });
  return out;
}

function memoryOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
}

/** CPU time (user + system, every thread) a process has used so far, in ms (/proc, 10 ms ticks). */
function cpuOf(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14, 15)
}

async function timed(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

interface Ours {
  penguins: number[];
  flights: number[];
  flightsCold: number;
  flightsGroups: number;
  /** CPU time of the server process per timed flights-3m answer (every thread), ms. */
  flightsCpuMs: number;
  /**
   * The server with flights-3m loaded: the largest of its RSS a second after the answer that
   * loaded the file, and its peak (sampled every 10 ms) while it answered 10 more means.
   */
  rssLoaded: number;
  /** Right after the answer that loaded the file: the load's transient, freed within a second. */
  rssAfterLoad: number;
  /** A second after the last answer. */
  rssSettled: number;
  rssStart: number;
}

/** The largest RSS of `pid` sampled every 10 ms while `work` runs. */
async function peakDuring(pid: number, work: () => Promise<unknown>): Promise<number> {
  let peak = memoryOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, memoryOf(pid))), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, memoryOf(pid));
}

const pause = (ms: number) => new Promise(r => setTimeout(r, ms));

async function ours(): Promise<Ours> {
  const server = await startBenchServer({
    LOMAS_DEMO: 'true',
    LOMAS_MIN_LATENCY_MS: '0',
    LOMAS_LATENCY_JITTER_MS: '0'
  });
  try {
    const rssStart = memoryOf(server.pid);
    await server.admin('PATCH', '/admin/datasets/penguins', { cap: null });
    await server.admin('PUT', '/admin/grants/penguins/analyst', { epsilon: '1000000', delta: '0' });
    await server.admin('PATCH', '/admin/datasets/flights', { cap: null });
    await server.admin('PUT', '/admin/grants/flights/analyst', {
      epsilon: '0',
      delta: '0.000001',
      rho: '1000000'
    });
    const count = {
      version: 1,
      dataset: 'penguins',
      steps: [],
      groupby: { keys: ['species'] },
      aggregations: [{ op: 'count' }],
      budget: { epsilon: String(EPSILON) }
    };
    const mean = {
      version: 1,
      dataset: 'flights',
      steps: [],
      groupby: { keys: ['origin'] },
      aggregations: [{ op: 'mean', column: 'delay' }],
      budget: { rho: String(RHO) }
    };
    await timed(WARMUP, () => server.run(count));
    const penguins = await timed(PENGUINS_N, () => server.run(count));
    const t = performance.now();
    const first = (await server.run(mean)) as { rows: unknown[] };
    const flightsCold = performance.now() - t;
    const rssAfterLoad = memoryOf(server.pid);
    // Allocators give freed memory back lazily (DuckDB's jemalloc within 100 ms, allocator.ts).
    await pause(1000);
    const rssIdle = memoryOf(server.pid);
    await server.run(mean);
    const cpuBefore = cpuOf(server.pid);
    const flights = await timed(FLIGHTS_N, () => server.run(mean));
    const flightsCpuMs = (cpuOf(server.pid) - cpuBefore) / FLIGHTS_N;
    // Sampled apart from the timed answers, so the sampling does not slow them.
    const rssAnswering = await peakDuring(server.pid, () => timed(10, () => server.run(mean)));
    await pause(1000);
    return {
      penguins,
      flights,
      flightsCold,
      flightsGroups: first.rows.length,
      flightsCpuMs,
      rssLoaded: Math.max(rssIdle, rssAnswering),
      rssAfterLoad,
      rssSettled: memoryOf(server.pid),
      rssStart
    };
  } finally {
    await server.stop();
  }
}

interface Floor {
  /** The default in-memory table (uncompressed). */
  duckdb: number[];
  tableMemory: number;
  /** An in-memory database attached with COMPRESS, as this server stores a file dataset. */
  duckdbCompressed: number[];
  /** CPU time of this process per timed query on the compressed table (DuckDB's threads), ms. */
  duckdbCompressedCpuMs: number;
  tableMemoryCompressed: number;
  tableRows: number;
  groups: number;
}

/** The floor's query timed on a table, and the table's memory as DuckDB reports it. */
async function floorOn(conn: DuckDBConnection, table: string) {
  const mem = await conn.runAndReadAll('SELECT sum(memory_usage_bytes) FROM duckdb_memory()');
  const q = `SELECT origin, avg(delay) FROM ${table} GROUP BY origin`;
  const groups = (await conn.runAndReadAll(q)).getRows().length;
  await conn.run(q);
  const n = Math.max(FLIGHTS_N, 10);
  const cpu = process.cpuUsage();
  const times = await timed(n, () => conn.run(q));
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / n;
  return { times, memory: Number(mem.getRows()[0][0]), groups, cpuMs };
}

async function duckdbFloor(): Promise<Floor> {
  const parquet = join(VEGA, 'flights-3m.parquet');
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await db.connect();
  await conn.run(`CREATE TABLE flights AS SELECT * FROM read_parquet('${parquet}')`);
  const rows = await conn.runAndReadAll('SELECT count(*) FROM flights');
  const plain = await floorOn(conn, 'flights');
  conn.closeSync();
  db.closeSync();
  const zdb = await DuckDBInstance.create(':memory:', { threads: '2' });
  const zconn = await zdb.connect();
  await zconn.run(`ATTACH ':memory:' AS z (COMPRESS)`);
  await zconn.run(`CREATE TABLE z.flights AS SELECT * FROM read_parquet('${parquet}')`);
  await zconn.run('CHECKPOINT z');
  const compressed = await floorOn(zconn, 'z.flights');
  zconn.closeSync();
  zdb.closeSync();
  return {
    duckdb: plain.times,
    tableMemory: plain.memory,
    duckdbCompressed: compressed.times,
    duckdbCompressedCpuMs: compressed.cpuMs,
    tableMemoryCompressed: compressed.memory,
    tableRows: Number(rows.getRows()[0][0]),
    groups: plain.groups
  };
}

/** Public airport codes (vega-datasets' airports.csv): the server's public origin keys. */
function airportCount(): number {
  const codes = new Set<string>();
  for (const line of readFileSync(join(VEGA, 'airports.csv'), 'utf8').split(/\r?\n/).slice(1)) {
    const code = line.split(',')[0]?.replace(/^"|"$/g, '').trim();
    if (code && /^[A-Z0-9]{2,4}$/.test(code)) codes.add(code);
  }
  return codes.size;
}

interface LomasOut {
  system: string;
  settings: string;
  samples_ms: number[];
  rss_bytes: number;
}
interface OpenDPOut {
  system: string;
  settings: string;
  groups_released: number;
  polars_ms: number[];
  opendp_release_ms: number[];
  opendp_prepared_ms: number[];
}

async function main(): Promise<void> {
  const before: Machine = machine();
  console.log(`bench:anchors on ${describeMachine(before)}`);
  console.log('== Lomas 0.4.1 (Python): penguins grouped count');
  const work = mkdtempSync(join(tmpdir(), 'lomas-anchor-work-'));
  const lomas = python('LOMAS_ANCHOR_PYTHON', 'lomas_anchor.py', [
    '--work',
    work,
    '--penguins-json',
    join(VEGA, 'penguins.json'),
    '--n',
    String(PENGUINS_N),
    '--warmup',
    String(WARMUP),
    '--epsilon',
    String(EPSILON)
  ]) as LomasOut;
  rmSync(work, { recursive: true, force: true });
  await pause(SETTLE_MS);
  console.log('== OpenDP 0.16 + Polars: flights-3m grouped mean (and Polars without DP)');
  const opendp = python('OPENDP_ANCHOR_PYTHON', 'opendp_anchor.py', [
    '--parquet',
    join(VEGA, 'flights-3m.parquet'),
    '--n',
    String(Math.max(FLIGHTS_N, 10)),
    '--n-dp',
    String(DP_N),
    '--rho',
    String(RHO),
    '--max-groups',
    String(airportCount())
  ]) as OpenDPOut;
  await pause(SETTLE_MS);
  console.log('== this server (HTTP, timing protection off): penguins, flights-3m');
  const us = await ours();
  await pause(SETTLE_MS);
  console.log('== DuckDB without DP (in-process, 2 threads): flights-3m grouped mean');
  const floor = await duckdbFloor();
  const after = machine();

  const figures: Figure[] = [
    summarize('penguins DP grouped count (HTTP)', 'Lomas 0.4.1', 'ms', lomas.samples_ms),
    summarize('penguins DP grouped count (HTTP)', 'this server', 'ms', us.penguins),
    summarize('flights-3m grouped mean', 'OpenDP+Polars release()', 'ms', opendp.opendp_release_ms),
    summarize(
      'flights-3m grouped mean',
      'OpenDP+Polars prepared measurement',
      'ms',
      opendp.opendp_prepared_ms
    ),
    summarize('flights-3m grouped mean', 'this server (DP, HTTP)', 'ms', us.flights),
    summarize('flights-3m grouped mean', 'DuckDB, no DP (floor)', 'ms', floor.duckdb),
    summarize('flights-3m grouped mean', 'Polars, no DP (floor)', 'ms', opendp.polars_ms),
    summarize(
      'flights-3m grouped mean',
      'DuckDB, no DP, compressed table (floor)',
      'ms',
      floor.duckdbCompressed
    )
  ];
  const med = (i: number) => figures[i].median;
  const ratios = {
    penguinsLomasOverUs: med(0) / med(1),
    flightsOpenDPReleaseOverUs: med(2) / med(4),
    flightsOpenDPPreparedOverUs: med(3) / med(4),
    // Against the faster of DuckDB's two storages: the floor this server's own storage gives.
    flightsUsOverDuckDB: med(4) / Math.min(med(5), med(7)),
    flightsUsOverPolars: med(4) / med(6),
    memoryRssOverTable: us.rssLoaded / floor.tableMemory,
    memorySettledOverTable: us.rssSettled / floor.tableMemory
  };
  const targets = {
    penguins: { text: 'Lomas/this server ≥ 30×', met: ratios.penguinsLomasOverUs >= 30 },
    flights: { text: 'this server/DuckDB ≤ 1.25×', met: ratios.flightsUsOverDuckDB <= 1.25 },
    memory: { text: 'server RSS/table ≤ 2×', met: ratios.memoryRssOverTable <= 2 }
  };
  const x = (r: number) => `${r.toFixed(2)}×`;
  const mb = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MB`;
  const verdict = (t: { text: string; met: boolean }) =>
    `(target ${t.text}: ${t.met ? 'met' : 'MISSED'})`;
  console.log(`\n${table(figures)}\n`);
  console.log(
    [
      `penguins: Lomas 0.4.1 / this server = ${x(ratios.penguinsLomasOverUs)} ${verdict(targets.penguins)}`,
      `flights-3m: OpenDP release / this server = ${x(ratios.flightsOpenDPReleaseOverUs)}; OpenDP prepared / this server = ${x(ratios.flightsOpenDPPreparedOverUs)}`,
      `flights-3m: this server / DuckDB = ${x(ratios.flightsUsOverDuckDB)} ${verdict(targets.flights)}; this server / Polars = ${x(ratios.flightsUsOverPolars)}`,
      `flights-3m floor: DuckDB default table ${med(5).toFixed(1)} ms, compressed table ${med(7).toFixed(1)} ms; the ratio above is against the faster`,
      `flights-3m CPU per answer (every thread): DuckDB compressed floor ${floor.duckdbCompressedCpuMs.toFixed(1)} ms in ${med(7).toFixed(1)} ms (${(floor.duckdbCompressedCpuMs / med(7)).toFixed(2)} cores busy); this server ${us.flightsCpuMs.toFixed(0)} ms in ${med(4).toFixed(0)} ms; 1.25× the floor on ${before.cores} cores allows at most ${(1.25 * med(7) * before.cores).toFixed(1)} ms of CPU`,
      `memory: this server's RSS with flights-3m loaded ${mb(us.rssLoaded)} at its largest (idle a second after the load, or its peak sampled every 10 ms while answering 10 means), ${mb(us.rssSettled)} a second after the last answer (at start ${mb(us.rssStart)}; right after the answer that loaded the file ${mb(us.rssAfterLoad)}, the load's transient); the table in DuckDB ${mb(floor.tableMemory)} (duckdb_memory(), default in-memory table, ${floor.tableRows} rows; ${mb(floor.tableMemoryCompressed)} compressed, as this server stores it): largest ${x(ratios.memoryRssOverTable)} ${verdict(targets.memory)}, settled ${x(ratios.memorySettledOverTable)}`,
      `groups: this server ${us.flightsGroups} (every public origin code), OpenDP ${opendp.groups_released} (keys present in the data), DuckDB ${floor.groups}`,
      `this server's first flights-3m query (loads the Parquet file): ${us.flightsCold.toFixed(0)} ms`,
      'settings:',
      `  this server: LOMAS_MIN_LATENCY_MS=0 LOMAS_LATENCY_JITTER_MS=0 (timing protection off; default is 250 ms + 0–50 ms), embedded SQLite store, demo datasets, rate limit out of the way; ε=${EPSILON} (penguins), ρ=${RHO} (flights) per query; client node:http, kept-alive connection`,
      `  penguins: ${WARMUP} requests of warm-up on each server, then ${PENGUINS_N} timed, one at a time; each system starts ${SETTLE_MS / 1000} s after the previous one ended`,
      `  ${lomas.system}: ${lomas.settings}; ε=${EPSILON}, δ=0 per query`,
      `  ${opendp.system}: ${opendp.settings}`,
      `  DuckDB: @duckdb/node-api, the Parquet file in the default in-memory table and, compressed, in an in-memory database attached with COMPRESS (checkpointed), threads=2`,
      `machine after the run: load average ${after.loadAverage.join(' ')}`
    ].join('\n')
  );
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify(
      {
        machine: { ...before, loadAverageAfter: after.loadAverage },
        quick: QUICK,
        figures,
        ratios,
        targets,
        memory: {
          serverRssLoaded: us.rssLoaded,
          serverRssSettled: us.rssSettled,
          serverRssAfterLoad: us.rssAfterLoad,
          serverRssStart: us.rssStart,
          duckdbTableMemory: floor.tableMemory,
          duckdbTableMemoryCompressed: floor.tableMemoryCompressed,
          duckdbTableRows: floor.tableRows
        },
        flightsColdMs: us.flightsCold,
        flightsCpuMs: { ours: us.flightsCpuMs, duckdbCompressed: floor.duckdbCompressedCpuMs },
        groups: { ours: us.flightsGroups, opendp: opendp.groups_released, duckdb: floor.groups },
        settings: {
          ours: `LOMAS_MIN_LATENCY_MS=0 LOMAS_LATENCY_JITTER_MS=0; embedded SQLite store; epsilon=${EPSILON} (penguins), rho=${RHO} (flights); client node:http, kept-alive connection`,
          penguinsWarmup: WARMUP,
          lomas: lomas.settings,
          opendp: opendp.settings,
          duckdb:
            'default in-memory table and compressed in-memory table (ATTACH :memory: (COMPRESS), CHECKPOINT), threads=2'
        }
      },
      null,
      2
    ) + '\n'
  );
  console.log(`written: ${OUT}`);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
