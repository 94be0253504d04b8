/**
 * The Trino that the test run starts (.ci/trino.sh) answers through the npm `trino-client`:
 * a Parquet file written by DuckDB read as an external hive table, with exact values, and a
 * coordinator plus worker that both do work. Later suites (issue 17) build on these helpers.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Trino } from 'trino-client';
import { describeWith } from '../helpers/services';
import {
  type TrinoTestEnv,
  trinoClient,
  trinoQuery,
  trinoTestEnv,
  uniqueTableName,
  writeParquetWithDuckDb
} from '../helpers/trino';

const single = trinoTestEnv('TRINO_TEST');
const cluster = trinoTestEnv('TRINO_CLUSTER_TEST');
// 2^53 + 1: the first integer a JavaScript number cannot hold.
const BIG = '9007199254740993';

describeWith(single)('Trino, single node: a Parquet table written by DuckDB', () => {
  // Set in beforeAll: a skipped describe still runs its body, without the environment.
  let env: TrinoTestEnv;
  let trino: Trino;
  const table = uniqueTableName('duckdb_parquet');
  let qualified: string;

  beforeAll(async () => {
    env = single!;
    trino = trinoClient(env);
    qualified = `${env.catalog}.${env.schema}.${table}`;
    const location = await writeParquetWithDuckDb(
      env,
      table,
      `SELECT * FROM (VALUES
         (1, 'adelie', ${BIG}::BIGINT, 12.50::DECIMAL(18,2)),
         (2, 'gentoo', -7::BIGINT, 0.25::DECIMAL(18,2)),
         (3, 'adelie', 40::BIGINT, NULL)
       ) AS t(id, species, big, mass)`
    );
    await trinoQuery(
      trino,
      `CREATE TABLE ${qualified} (id INTEGER, species VARCHAR, big BIGINT, mass DECIMAL(18,2))
       WITH (external_location = '${location}', format = 'PARQUET')`
    );
  }, 60_000);

  afterAll(async () => {
    await trinoQuery(trino, `DROP TABLE IF EXISTS ${qualified}`);
    rmSync(join(env.dataDir, table), { recursive: true, force: true });
  }, 60_000);

  test('rows come back exactly; BIGINT beyond 2^53 is exact only as VARCHAR', async () => {
    const r = await trinoQuery(
      trino,
      `SELECT id, species, CAST(big AS VARCHAR) AS big_text, big, mass
       FROM ${qualified} ORDER BY id`
    );
    expect(r.columns.map(c => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['species', 'varchar'],
      ['big_text', 'varchar'],
      ['big', 'bigint'],
      ['mass', 'decimal(18, 2)']
    ]);
    expect(r.rows.map(([id, species, bigText, , mass]) => [id, species, bigText, mass])).toEqual([
      [1, 'adelie', BIG, '12.50'],
      [2, 'gentoo', '-7', '0.25'],
      [3, 'adelie', '40', null]
    ]);
    // The trap the cast avoids: the JSON protocol sends BIGINT as a number, rounded to 2^53.
    expect(r.rows[0][3]).toBe(9007199254740992);
  }, 60_000);

  test('grouped exact sums: DECIMAL(38,0) arrives as an exact string', async () => {
    const r = await trinoQuery(
      trino,
      `SELECT species, count(*), CAST(sum(CAST(big AS DECIMAL(38,0))) AS VARCHAR), sum(mass)
       FROM ${qualified} GROUP BY species ORDER BY species`
    );
    expect(r.rows).toEqual([
      ['adelie', 2, '9007199254741033', '12.50'],
      ['gentoo', 1, '-7', '0.25']
    ]);
  }, 60_000);

  test('a Trino error is reported with its name', async () => {
    await expect(trinoQuery(trino, `SELECT no_such_column FROM ${qualified}`)).rejects.toThrow(
      /COLUMN_NOT_FOUND/
    );
  }, 60_000);
});

describeWith(cluster)('Trino, coordinator plus one worker', () => {
  let trino: Trino;
  beforeAll(() => (trino = trinoClient(cluster!)));

  test('both nodes are active and both run tasks of one query', async () => {
    const nodes = await trinoQuery(
      trino,
      `SELECT coordinator, state FROM system.runtime.nodes ORDER BY coordinator`
    );
    expect(nodes.rows).toEqual([
      [false, 'active'],
      [true, 'active']
    ]);
    // tpch splits are spread over every node, and the GROUP BY stage is hash-partitioned.
    const r = await trinoQuery(
      trino,
      `SELECT returnflag, count(*) FROM tpch.tiny.lineitem GROUP BY returnflag ORDER BY returnflag`
    );
    expect(r.rows).toEqual([
      ['A', 14876],
      ['N', 30397],
      ['R', 14902]
    ]);
    const tasks = await trinoQuery(
      trino,
      `SELECT count(DISTINCT node_id) FROM system.runtime.tasks WHERE query_id = '${r.queryId}'`
    );
    expect(tasks.rows).toEqual([[2]]);
  }, 120_000);
});
