import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BasicAuth, Trino, type Columns, type QueryData, type QueryStats } from 'trino-client';
import { serviceEnv } from './services';

/**
 * The Trino that .ci/test.sh starts (.ci/trino.sh): a single node (prefix TRINO_TEST) and a
 * coordinator plus one worker (prefix TRINO_CLUSTER_TEST). dataDir is the hive catalog's local
 * file system root: a directory written at join(dataDir, 'x') is `local:///x` in Trino.
 */
export interface TrinoTestEnv {
  url: string;
  catalog: string;
  schema: string;
  dataDir: string;
}

export function trinoTestEnv(
  prefix: 'TRINO_TEST' | 'TRINO_CLUSTER_TEST'
): TrinoTestEnv | undefined {
  const names = ['URL', 'CATALOG', 'SCHEMA', 'DATA_DIR'].map(n => `${prefix}_${n}`);
  const start = prefix === 'TRINO_TEST' ? 'trino_start' : 'trino_cluster_start';
  const env = serviceEnv(
    prefix === 'TRINO_TEST' ? 'Trino' : 'Trino cluster',
    names,
    `Run \`npm test\`, or \`source .ci/trino.sh && ${start}\` in the shell that runs jest.`
  );
  if (!env) return undefined;
  const [url, catalog, schema, dataDir] = names.map(n => env[n]);
  return { url, catalog, schema, dataDir };
}

export function trinoClient(env: TrinoTestEnv): Trino {
  return Trino.create({
    server: env.url,
    catalog: env.catalog,
    schema: env.schema,
    auth: new BasicAuth('lomas-test')
  });
}

export interface TrinoResult {
  queryId: string;
  columns: Columns;
  rows: QueryData[];
  stats?: QueryStats;
}

/** Runs one statement to the end; a Trino error becomes a thrown Error with Trino's message. */
export async function trinoQuery(trino: Trino, sql: string): Promise<TrinoResult> {
  const result: TrinoResult = { queryId: '', columns: [], rows: [] };
  for await (const page of await trino.query(sql)) {
    if (page.error) throw new Error(`${page.error.errorName}: ${page.error.message}`);
    result.queryId = page.id;
    result.columns = page.columns ?? result.columns;
    result.rows.push(...(page.data ?? []));
    result.stats = page.stats ?? result.stats;
  }
  return result;
}

/** A table name no other test (or run sharing this Trino) uses. */
export function uniqueTableName(label: string): string {
  return `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
}

/**
 * Writes the rows of a DuckDB SELECT as one Parquet file in a fresh directory <dataDir>/<name>/
 * and returns that directory's Trino location (`local:///<name>`), for
 * `CREATE TABLE … WITH (external_location = …, format = 'PARQUET')`.
 */
export async function writeParquetWithDuckDb(
  env: TrinoTestEnv,
  name: string,
  selectSql: string
): Promise<string> {
  const dir = join(env.dataDir, name);
  mkdirSync(dir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (${selectSql}) TO '${join(dir, 'part-0.parquet')}' (FORMAT parquet)`
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return `local:///${name}`;
}
