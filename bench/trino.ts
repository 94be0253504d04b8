/**
 * DuckDB beside Trino (one node, and a coordinator plus one worker) on the same Parquet data,
 * exact statistics only (no HTTP, no noise), through the ONE compiler's two dialects:
 *   - flights-3m grouped mean (origin, 3376 public keys);
 *   - a generated 30-million-row table (8 Parquet files), grouped mean over 100 public keys.
 * For DuckDB the load of a dataset version (once per server process and version) is reported
 * apart from the warm query; Trino loads nothing. The break-even "n queries per load" is where
 * DuckDB's load + n warm queries costs as much as n Trino queries.
 *
 * Trino is started here with the full JIT (TRINO_FAST_START=0; .ci/trino.sh) unless
 * TRINO_BENCH_URL / TRINO_BENCH_CLUSTER_URL (+ _DATA_DIR) name running ones; it is stopped at the
 * end. `BENCH_ONLY=trino npm run bench`; TRINO_BENCH_ROWS changes the generated size.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { checkPlan, parsePlan, type DatasetMetadata } from 'lomas-kernel/protocol';
import { vegaFile } from '../server/src/datasets/connectors/vega';
import { demoDatasets } from '../server/src/datasets/demo';
import { ENGINE_DEFAULTS, execute, loadDataset } from '../server/src/engine';
import { executeTrino, runTrino, type TrinoConnection } from '../server/src/engine/trino';

const ROOT = resolve(__dirname, '../../..');
const ROWS = Number(process.env.TRINO_BENCH_ROWS ?? 30_000_000);
const RUNS = 5;

interface Cluster {
  url: string;
  dataDir: string;
}

/** Starts (or reads) the two Trino set-ups; `stop` ends what was started here. */
async function trinos(): Promise<{ one: Cluster; two: Cluster; stop: () => Promise<void> }> {
  const e = process.env;
  if (e.TRINO_BENCH_URL && e.TRINO_BENCH_CLUSTER_URL)
    return {
      one: { url: e.TRINO_BENCH_URL, dataDir: e.TRINO_BENCH_DATA_DIR ?? '' },
      two: { url: e.TRINO_BENCH_CLUSTER_URL, dataDir: e.TRINO_BENCH_CLUSTER_DATA_DIR ?? '' },
      stop: async () => undefined
    };
  const script = `source .ci/trino.sh
trap trino_stop EXIT
trino_launch && trino_cluster_launch && trino_wait_ready >&2 && trino_cluster_wait_ready >&2 || exit 1
echo "READY $TRINO_TEST_URL $TRINO_TEST_DATA_DIR $TRINO_CLUSTER_TEST_URL $TRINO_CLUSTER_TEST_DATA_DIR"
read -r _`;
  const child = spawn('bash', ['-c', script], {
    cwd: ROOT,
    env: { ...e, TRINO_FAST_START: '0', TRINO_HEAP: e.TRINO_HEAP ?? '3G' },
    stdio: ['pipe', 'pipe', 'inherit']
  });
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout }).on('line', l => l.startsWith('READY ') && ok(l));
    child.on('exit', code => fail(new Error(`Trino did not start (exit ${code})`)));
  });
  const [, u1, d1, u2, d2] = line.split(' ');
  return {
    one: { url: u1, dataDir: d1 },
    two: { url: u2, dataDir: d2 },
    stop: () =>
      new Promise(ok => {
        child.on('exit', () => ok());
        child.stdin.end('\n');
      })
  };
}

async function duck(sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(sql);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const sql = (c: TrinoConnection, text: string) => runTrino(c, text, 600_000);

/** One table, written once (Parquet under `dir`), registered in both Trino set-ups. */
async function table(
  label: string,
  ddl: string,
  write: (dir: string) => Promise<void>,
  sets: Cluster[]
): Promise<void> {
  const [first, ...rest] = sets;
  const dir = join(first.dataDir, label);
  mkdirSync(dir, { recursive: true });
  await write(dir);
  // Each set-up has its own hive root: the same files are copied there.
  for (const s of rest) {
    mkdirSync(join(s.dataDir, label), { recursive: true });
    for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(s.dataDir, label, f));
  }
  for (const s of sets)
    await sql(
      { url: s.url, user: 'bench' },
      `CREATE TABLE hive.lomas_test.${label} (${ddl}) WITH (external_location = 'local:///${label}', format = 'PARQUET')`
    );
}

async function compare(
  title: string,
  metadata: DatasetMetadata,
  files: string,
  tableName: string,
  planBody: object,
  sets: { label: string; c: Cluster }[]
): Promise<void> {
  const plan = checkPlan(
    parsePlan({ version: 1, dataset: 'd', steps: [], budget: { epsilon: 1 }, ...planBody }),
    { metadata }
  );
  const t0 = performance.now();
  const src = {
    path: files,
    format: 'parquet' as const,
    columns: {},
    bytes: 0,
    release: async () => undefined
  };
  const loaded = await loadDataset(src, metadata, { memoryLimit: '6GB' });
  const loadMs = performance.now() - t0;
  const duckMs = await timed(() => execute(plan, loaded));
  loaded.close();
  console.log(`${title}`);
  console.log(
    `  DuckDB: load ${loadMs.toFixed(0)} ms (once per version), warm query ${duckMs.toFixed(0)} ms`
  );
  for (const { label, c } of sets) {
    const connector = {
      kind: 'trino' as const,
      catalog: 'hive',
      schema: 'lomas_test',
      table: tableName
    };
    const ms = await timed(() =>
      executeTrino(
        plan,
        { metadata, connector },
        { url: c.url, user: 'bench' },
        { ...ENGINE_DEFAULTS, queryTimeoutMs: 600_000 }
      )
    );
    const breakEven = ms > duckMs ? Math.ceil(loadMs / (ms - duckMs)) : 0;
    console.log(
      `  Trino ${label}: query ${ms.toFixed(0)} ms` +
        (breakEven > 0
          ? `; DuckDB (load + n queries) is faster from n = ${breakEven} queries per load`
          : '; faster than a warm DuckDB query')
    );
  }
}

/** Trino comes from .ci/trino.sh's cache; without it the bench is skipped (no 821 MB download). */
function trinoInstalled(): boolean {
  const cache = process.env.LOMAS_CACHE ?? join(homedir(), '.cache', 'lomas');
  return existsSync(join(cache, 'trino', 'trino-server-476', '.installed'));
}

async function main(): Promise<void> {
  if (!process.env.TRINO_BENCH_URL && !trinoInstalled()) {
    console.log('trino: skipped (Trino is not installed: source .ci/trino.sh && trino_install)');
    return;
  }
  console.log(
    `trino (exact statistics, ${RUNS} runs after a warm-up, medians; ${ROWS.toLocaleString('en')} generated rows)`
  );
  const { one, two, stop } = await trinos();
  try {
    const sets = [
      { label: 'one node', c: one },
      { label: 'coordinator + worker', c: two }
    ];
    // flights-3m, rewritten with plain types both engines read alike.
    const flights = demoDatasets()[2];
    await table(
      'flights',
      'date timestamp(3), delay bigint, distance bigint, origin varchar, destination varchar',
      dir =>
        duck(
          `COPY (SELECT CAST(date AS TIMESTAMP) AS date, CAST(delay AS BIGINT) AS delay, CAST(distance AS BIGINT) AS distance,
             CAST(origin AS VARCHAR) AS origin, CAST(destination AS VARCHAR) AS destination
           FROM read_parquet('${vegaFile('flights-3m').path}')) TO '${join(dir, 'part-0.parquet')}' (FORMAT parquet)`
        ),
      [one, two]
    );
    await compare(
      'flights-3m grouped mean (origin, 3376 public keys)',
      flights.metadata,
      join(one.dataDir, 'flights', '*.parquet'),
      'flights',
      { groupby: { keys: ['origin'] }, aggregations: [{ op: 'mean', column: 'delay' }] },
      sets
    );

    const generated: DatasetMetadata = {
      max_ids: 1,
      row_privacy: true,
      columns: {
        g: { type: 'int', lower: 0, upper: 99, nullable: false },
        x: { type: 'float', lower: 0, upper: 100, nullable: false }
      }
    } as DatasetMetadata;
    const FILES = 8;
    await table(
      'generated',
      'g bigint, x double',
      async dir => {
        for (let f = 0; f < FILES; f++) {
          const [a, b] = [Math.floor((ROWS * f) / FILES), Math.floor((ROWS * (f + 1)) / FILES)];
          await duck(
            `COPY (SELECT CAST(i % 100 AS BIGINT) AS g, CAST((i * 7919) % 10007 AS DOUBLE) / 100.07 AS x
             FROM range(${a}, ${b}) AS r(i)) TO '${join(dir, `part-${f}.parquet`)}' (FORMAT parquet)`
          );
        }
      },
      [one, two]
    );
    await compare(
      `generated ${ROWS.toLocaleString('en')} rows: grouped mean (g, 100 public keys)`,
      generated,
      join(one.dataDir, 'generated', '*.parquet'),
      'generated',
      {
        groupby: { keys: ['g'], values: { g: Array.from({ length: 100 }, (_, i) => i) } },
        aggregations: [{ op: 'mean', column: 'x' }]
      },
      sets
    );
  } finally {
    await stop();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
