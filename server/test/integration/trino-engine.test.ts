/**
 * Same answers on both engines (issue 17): every valid plan of the shared corpus, and plans over a
 * table with privacy units, big integer keys and datetimes, give IDENTICAL exact statistics
 * (before noise) on DuckDB (the Parquet file loaded) and on Trino (the same Parquet file as an
 * external hive table, compiled by the Trino dialect). Needs the Trino that `npm test` starts
 * (.ci/trino.sh); skipped with a message locally without it, a failure in CI.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkPlan,
  parsePlan,
  type DatasetMetadata,
  type TrinoSettings
} from 'lomas-kernel/protocol';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Trino } from 'trino-client';
import { validPlanFixtures } from '../../../kernel-lib/src/protocol/fixtures';
import { openSource, vegaFile } from '../../src/datasets/connectors';
import { demoDatasets } from '../../src/datasets/demo';
import {
  ENGINE_DEFAULTS,
  execute,
  loadDataset,
  type ExactResult,
  type LoadedDataset
} from '../../src/engine';
import { keyId } from '../../src/query/keys';
import {
  compileForTrino,
  executeTrino,
  runTrino,
  type TrinoConnection
} from '../../src/engine/trino';
import type { DatasetRecord } from '../../src/store/types';
import { describeWith } from '../helpers/services';
import {
  trinoClient,
  trinoQuery,
  trinoTestEnv,
  uniqueTableName,
  writeParquetWithDuckDb,
  type TrinoTestEnv
} from '../helpers/trino';

const single = trinoTestEnv('TRINO_TEST');

const SQL_TYPES = {
  int: ['BIGINT', 'bigint'],
  float: ['DOUBLE', 'double'],
  string: ['VARCHAR', 'varchar'],
  boolean: ['BOOLEAN', 'boolean'],
  datetime: ['TIMESTAMP', 'timestamp(3)']
} as const;

/** One Parquet file, read by both engines: DuckDB loads it, Trino reads it where it lies. */
async function twinTables(
  env: TrinoTestEnv,
  trino: Trino,
  label: string,
  metadata: DatasetMetadata,
  select: (casts: string) => string
): Promise<{ duck: LoadedDataset; connector: TrinoSettings; cleanup: () => Promise<void> }> {
  const table = uniqueTableName(label);
  const cols = Object.entries(metadata.columns);
  const casts = cols
    .map(([n, c]) => `CAST("${n}" AS ${SQL_TYPES[c.type][0]}) AS "${n}"`)
    .join(', ');
  const location = await writeParquetWithDuckDb(env, table, select(casts));
  const ddl = cols.map(([n, c]) => `"${n}" ${SQL_TYPES[c.type][1]}`).join(', ');
  await trinoQuery(
    trino,
    `CREATE TABLE ${env.catalog}.${env.schema}.${table} (${ddl}) WITH (external_location = '${location}', format = 'PARQUET')`
  );
  const src = await openSource({
    kind: 'file',
    path: join(env.dataDir, table, 'part-0.parquet'),
    format: 'parquet'
  });
  const duck = await loadDataset(src, metadata);
  await src.release();
  return {
    duck,
    connector: { kind: 'trino', catalog: env.catalog, schema: env.schema, table },
    cleanup: async () => {
      duck.close();
      await trinoQuery(trino, `DROP TABLE IF EXISTS ${env.catalog}.${env.schema}.${table}`);
      rmSync(join(env.dataDir, table), { recursive: true, force: true });
    }
  };
}

const penguinsReg = demoDatasets().find(d => d.name === 'penguins')!;
const penguins: DatasetRecord = {
  ...penguinsReg,
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z'
};
const zcdpPenguins: DatasetRecord = { ...penguins, accounting: 'zcdp', delta: '0.000001' };

/** Privacy units with up to 5 rows each (max_ids 3), keys beyond 2^53, datetimes. */
const UNITS: DatasetMetadata = {
  max_ids: 3,
  row_privacy: false,
  privacy_id: 'uid',
  columns: {
    uid: { type: 'int', lower: 0, upper: 1000, nullable: true },
    big: { type: 'int', nullable: false },
    x: { type: 'float', lower: 0, upper: 10, nullable: true },
    n: { type: 'int', lower: -50, upper: 50, nullable: false },
    k: { type: 'string', categories: ['a', 'b', 'c'], nullable: true },
    t: { type: 'datetime', lower: '2026-01-01', upper: '2026-12-31', nullable: false }
  }
} as DatasetMetadata;
const unitsRecord: DatasetRecord = {
  ...penguins,
  name: 'units',
  metadata: UNITS,
  accounting: 'zcdp',
  delta: '0.000001'
};

// Rows of a unit share x, n, k, big and t (only `r` differs), so which max_ids rows a unit keeps
// (source order in DuckDB, column order in Trino) does not change any statistic.
const UNITS_SELECT = (casts: string) => `SELECT ${casts} FROM (
  SELECT CASE WHEN u % 97 = 0 THEN NULL ELSE u END AS uid,
         9007199254740993 + (u % 3) AS big,
         CASE WHEN u % 11 = 0 THEN NULL WHEN u % 13 = 0 THEN 'nan'::DOUBLE ELSE (u % 23) * 0.5 - 0.75 END AS x,
         (u % 150) - 75 AS n,
         CASE u % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'b' WHEN 2 THEN 'c' ELSE 'zzz' END AS k,
         TIMESTAMP '2026-03-01 00:00:00' + to_hours(u % 48) + to_milliseconds(u) AS t
  FROM range(400) AS a(u), range(5) AS b(r) WHERE r <= u % 5)`;

const p = (groupby: unknown, aggregations: unknown[], steps: unknown[] = []) => ({
  version: 1,
  dataset: 'units',
  steps,
  ...(groupby ? { groupby } : {}),
  aggregations: aggregations.map(a => ({ ...(a as object), budget: { rho: '0.01' } }))
});
const col = (name: string) => ({ kind: 'col', name });
const UNIT_PLANS: Record<string, unknown> = {
  'count per big integer key (discovered)': p({ keys: ['big'], discover: { delta: '0.00001' } }, [
    { op: 'count' }
  ]),
  'mean and sum per public integer key': p({ keys: ['n'], values: { n: [-75, 0, 3, 74, 99] } }, [
    { op: 'mean', column: 'x' },
    { op: 'sum', column: 'n' }
  ]),
  'variance and quantiles per public category': p(
    { keys: ['k'], values: { k: ['a', 'b', 'c', null] } },
    [
      { op: 'variance', column: 'x' },
      { op: 'quantile', column: 'x', q: 0.25 },
      { op: 'median', column: 'x' }
    ]
  ),
  'numeric histogram': p(null, [{ op: 'histogram', column: 'n', bins: [-50, -10, 0, 10, 50] }]),
  'categorical histogram': p(null, [{ op: 'histogram', column: 'k' }]),
  'group by hour and weekday of a datetime': p(
    { keys: ['h', 'w'], discover: { delta: '0.00001' } },
    [{ op: 'count' }],
    [
      {
        op: 'derive',
        columns: {
          h: { expr: { kind: 'call', fn: 'hour', args: [col('t')] } },
          w: { expr: { kind: 'call', fn: 'weekday', args: [col('t')] } }
        }
      }
    ]
  ),
  'string functions and integer arithmetic': p(
    null,
    [{ op: 'count' }, { op: 'sum', column: 'm' }],
    [
      {
        op: 'filter',
        predicate: {
          kind: 'logical',
          op: '||',
          left: { kind: 'call', fn: 'endsWith', args: [col('k'), { kind: 'lit', value: 'b' }] },
          right: { kind: 'call', fn: 'includes', args: [col('k'), { kind: 'lit', value: 'c' }] }
        }
      },
      {
        op: 'derive',
        columns: {
          m: {
            expr: { kind: 'binary', op: '%', left: col('n'), right: { kind: 'lit', value: 7 } },
            lower: -10,
            upper: 10
          }
        }
      }
    ]
  )
};

describeWith(single)('DuckDB and Trino give identical exact statistics', () => {
  let env: TrinoTestEnv;
  let trino: Trino;
  let connection: TrinoConnection;
  const twins: Record<string, Awaited<ReturnType<typeof twinTables>>> = {};

  beforeAll(async () => {
    env = single!;
    trino = trinoClient(env);
    connection = { url: env.url, user: 'lomas-test' };
    const names =
      penguinsReg.connector.kind === 'vega-datasets' ? penguinsReg.connector.columns! : {};
    const renamed = Object.entries(names)
      .map(([to, from]) => `"${from}" AS "${to}"`)
      .join(', ');
    twins.penguins = await twinTables(
      env,
      trino,
      'penguins',
      penguins.metadata,
      casts =>
        `SELECT ${casts} FROM (SELECT ${renamed} FROM read_json_auto('${vegaFile('penguins').path}'))`
    );
    twins.units = await twinTables(env, trino, 'units', UNITS, UNITS_SELECT);
  }, 120_000);

  afterAll(async () => {
    for (const t of Object.values(twins)) await t.cleanup();
  }, 60_000);

  async function both(plan: unknown, record: DatasetRecord, twin: string) {
    const checked = checkPlan(parsePlan(plan), record);
    const t = twins[twin];
    const duck = await execute(checked, t.duck);
    const trinoResult = await executeTrino(
      checked,
      { metadata: record.metadata, connector: t.connector },
      connection,
      ENGINE_DEFAULTS
    );
    // Discovered groups come in the engine's order: compare them as sets.
    const norm = (x: ExactResult) => ({
      ...x,
      elapsedMs: 0,
      groups: [...x.groups].sort((a, b) => (keyId(a.key) < keyId(b.key) ? -1 : 1))
    });
    return { duck: norm(duck), trino: norm(trinoResult) };
  }

  test.each(validPlanFixtures().map(f => [f.name, f.plan] as const))(
    'plan fixture %s',
    async (_name, plan) => {
      const parsed = parsePlan(plan);
      const needsZcdp =
        parsed.groupby?.discover !== undefined ||
        parsed.budget?.rho !== undefined ||
        Number(parsed.budget?.delta ?? 0) > 0 ||
        parsed.aggregations.some(
          a =>
            a.mechanism === 'gaussian' ||
            a.budget?.rho !== undefined ||
            Number(a.budget?.delta ?? 0) > 0
        );
      const r = await both(plan, needsZcdp ? zcdpPenguins : penguins, 'penguins');
      expect(r.trino).toEqual(r.duck);
      expect(r.duck.groups.some(g => g.rows > 0n)).toBe(true);
    },
    60_000
  );

  test.each(Object.entries(UNIT_PLANS))(
    '%s',
    async (_name, plan) => {
      const r = await both(plan, unitsRecord, 'units');
      expect(r.trino).toEqual(r.duck);
      expect(r.duck.groups.some(g => g.rows > 0n)).toBe(true);
    },
    60_000
  );

  test('truncation to max_ids per privacy unit: at most 3 rows of each unit, NULL ids dropped', async () => {
    const plan = p({ keys: ['uid'], discover: { delta: '0.00001' } }, [{ op: 'count' }]);
    const r = await both(plan, unitsRecord, 'units');
    expect(r.trino).toEqual(r.duck);
    const counts = r.trino.groups.map(g => g.rows);
    expect(counts.every(c => c >= 1n && c <= 3n)).toBe(true);
    expect(counts.some(c => c === 3n)).toBe(true);
    expect(r.trino.groups.some(g => g.key[0].type === 'null')).toBe(false);
  }, 60_000);

  test('big integer keys come back exactly (beyond 2^53)', async () => {
    const plan = UNIT_PLANS['count per big integer key (discovered)'];
    const r = await both(plan, unitsRecord, 'units');
    const keys = r.trino.groups
      .map(g => g.key[0])
      .sort((a, b) => String(a).localeCompare(String(b)));
    expect(keys).toEqual(
      expect.arrayContaining([
        { type: 'int', value: 9007199254740993n },
        { type: 'int', value: 9007199254740994n },
        { type: 'int', value: 9007199254740995n }
      ])
    );
  }, 60_000);

  test('the Trino statement binds every plan value after USING, none in its text', () => {
    const plan = p(
      null,
      [{ op: 'count' }],
      [
        {
          op: 'filter',
          predicate: {
            kind: 'binary',
            op: '==',
            left: col('k'),
            right: { kind: 'lit', value: "x'); DROP TABLE t; --" }
          }
        }
      ]
    );
    const checked = checkPlan(parsePlan(plan), unitsRecord);
    const { sql } = compileForTrino(checked, UNITS, twins.units.connector);
    const [text, using] = sql.split("' USING ");
    expect(text.startsWith("EXECUTE IMMEDIATE 'SELECT")).toBe(true);
    expect(text).not.toContain('DROP');
    expect(using).toContain(`'x''); DROP TABLE t; --'`);
  });
});

const cluster = trinoTestEnv('TRINO_CLUSTER_TEST');

describeWith(cluster)('a compiled plan on the coordinator plus one worker', () => {
  test('both nodes run tasks of the query, and the answer is the one DuckDB gives', async () => {
    const env = cluster!;
    const trino = trinoClient(env);
    const name = uniqueTableName('spread');
    // Four Parquet files: four splits the scheduler spreads over the nodes.
    const dir = join(env.dataDir, name);
    mkdirSync(dir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (let f = 0; f < 4; f++)
        await conn.run(
          `COPY (SELECT CAST(u AS BIGINT) AS uid, CAST(9007199254740993 + (u % 3) AS BIGINT) AS big,
             CAST((u % 23) * 0.5 AS DOUBLE) AS x, CAST((u % 150) - 75 AS BIGINT) AS n,
             CASE u % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS k,
             TIMESTAMP '2026-03-01' AS t
           FROM range(${f * 25_000}, ${(f + 1) * 25_000}) AS r(u)) TO '${join(dir, `part-${f}.parquet`)}' (FORMAT parquet)`
        );
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    await trinoQuery(
      trino,
      `CREATE TABLE ${env.catalog}.${env.schema}.${name} (uid bigint, big bigint, x double, n bigint,
         k varchar, t timestamp(3)) WITH (external_location = 'local:///${name}', format = 'PARQUET')`
    );
    try {
      const plan = p({ keys: ['k'], values: { k: ['a', 'b', 'c'] } }, [
        { op: 'mean', column: 'x' }
      ]);
      const checked = checkPlan(parsePlan(plan), unitsRecord);
      const connector: TrinoSettings = {
        kind: 'trino',
        catalog: env.catalog,
        schema: env.schema,
        table: name
      };
      const q = compileForTrino(checked, UNITS, connector);
      const run = await runTrino({ url: env.url, user: 'lomas-test' }, q.sql, 60_000);
      const tasks = await trinoQuery(
        trino,
        `SELECT count(DISTINCT node_id) FROM system.runtime.tasks WHERE query_id = '${run.queryId}'`
      );
      expect(tasks.rows).toEqual([[2]]);
      const viaCluster = await executeTrino(
        checked,
        { metadata: UNITS, connector },
        { url: env.url, user: 'lomas-test' },
        ENGINE_DEFAULTS
      );
      // DuckDB reads the same four files (a glob; the file connector takes one file).
      const files = {
        path: join(dir, 'part-*.parquet'),
        format: 'parquet' as const,
        columns: {},
        bytes: 0,
        release: async () => undefined
      };
      const duck = await loadDataset(files, UNITS);
      try {
        const local = await execute(checked, duck);
        expect({ ...viaCluster, elapsedMs: 0 }).toEqual({ ...local, elapsedMs: 0 });
        expect(local.groups.map(g => g.rows)).toEqual([33334n, 33333n, 33333n]);
      } finally {
        duck.close();
      }
    } finally {
      await trinoQuery(trino, `DROP TABLE IF EXISTS ${env.catalog}.${env.schema}.${name}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
