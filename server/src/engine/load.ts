import { promises as fs } from 'node:fs';
import {
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBInstance
} from '@duckdb/node-api';
import type { DatasetMetadata } from 'lomas-kernel/protocol';
import { ConnectorError, type Format, type LocalSource } from '../datasets/connectors/types';
import { appendRows, createInstance, lockDown, quoteIdent, type RawType } from './duck';
import { engineLimits, type EngineLimits } from './limits';
import { StatementPool } from './statements';

/** Name of the loaded table in every dataset instance. */
export const DATA_TABLE = 'data';

/** How each metadata column is stored in the loaded table. */
export interface StoredColumn {
  name: string;
  type: DatasetMetadata['columns'][string]['type'];
  /** True when the column is a DuckDB ENUM over its public categories. */
  isEnum: boolean;
  /** The ENUM's values in declaration order (enum_code(x) is the index of x here). */
  enumValues?: readonly string[];
}

/** A dataset version loaded into its own locked-down DuckDB instance. */
export interface LoadedDataset {
  instance: DuckDBInstance;
  metadata: DatasetMetadata;
  columns: Record<string, StoredColumn>;
  /** Rows loaded (after truncation). Admin/log information only: never released. */
  rowCount: bigint;
  /** At most this many rows per privacy unit remain (metadata.max_ids). */
  maxRowsPerUnit: number;
  /** The resource limits of this instance (memory and threads are set; the timeout applies per query). */
  limits: EngineLimits;
  /** Connections with their prepared statements, for the queries on this instance. */
  statements: StatementPool;
  loadMs: number;
  close(): void;
}

/** Rows held in memory (dummy data, tests): loaded without any file access. */
export interface RowSource {
  kind: 'rows';
  rows: Record<string, unknown>[];
}

function isRows(s: LocalSource | RowSource): s is RowSource {
  return (s as RowSource).kind === 'rows';
}

const READERS: Record<Exclude<Format, 'arrow'>, string> = {
  csv: 'read_csv',
  json: 'read_json_auto',
  parquet: 'read_parquet'
};

function rawTypeOf(t: StoredColumn['type']): RawType {
  return (
    {
      int: 'BIGINT',
      float: 'DOUBLE',
      string: 'VARCHAR',
      boolean: 'BOOLEAN',
      datetime: 'TIMESTAMP'
    } as const
  )[t];
}

/**
 * Loads a source into a fresh instance:
 *  1. read the file (CSV/JSON/Parquet through DuckDB readers, Arrow through flechette + appender)
 *     or append in-memory rows;
 *  2. project onto the metadata: only metadata columns are kept (renamed from their source names),
 *     each TRY_CAST to its declared type (BIGINT, DOUBLE, VARCHAR, BOOLEAN, TIMESTAMP); NaN and
 *     ±Infinity become NULL; string columns with public categories become an ENUM over exactly
 *     those categories, so a value outside the public list becomes NULL;
 *  3. privacy unit: with metadata.privacy_id, rows whose id is NULL (or does not fit the id
 *     column's type, which makes it NULL) are DROPPED: they belong to no identifiable person, and
 *     counting them all as one unit would let that "unit" hold many people's rows beyond max_ids.
 *     Then keep at most max_ids rows per id, deterministically (the first max_ids rows of each id
 *     in source order). The choice depends only on the unit's own rows, so it is a stable
 *     transformation. A random
 *     reservoir would need per-row keys drawn from node:crypto (or an HMAC of the row under a
 *     secret key) stored in a column: DuckDB's random() is not a CSPRNG;
 *  4. lock the instance down (external access off, configuration locked).
 */
export async function loadDataset(
  source: LocalSource | RowSource,
  metadata: DatasetMetadata,
  limits: Partial<EngineLimits> = {}
): Promise<LoadedDataset> {
  const t0 = performance.now();
  const bounded = engineLimits(limits);
  const instance = await createInstance(bounded);
  const conn = await instance.connect();
  try {
    const staged = await stage(conn, source, metadata);
    // A file's table is stored compressed (see compressedTable); dummy and test rows are small.
    const target = isRows(source) ? quoteIdent(DATA_TABLE) : await compressedTable(conn);
    const columns = await project(
      conn,
      metadata,
      staged,
      target,
      isRows(source) ? {} : source.columns
    );
    if (!isRows(source)) await compress(conn);
    const count = await conn.runAndReadAll(`SELECT count(*) FROM ${quoteIdent(DATA_TABLE)}`);
    const rowCount = count.getRows()[0][0] as bigint;
    await conn.run(`SET threads = ${threadsFor(rowCount, bounded.threads)}`);
    await lockDown(conn);
    const loadMs = performance.now() - t0;
    const statements = new StatementPool(instance);
    return {
      instance,
      metadata,
      columns,
      rowCount,
      maxRowsPerUnit: metadata.max_ids,
      limits: bounded,
      statements,
      loadMs,
      close: () => {
        statements.close();
        instance.closeSync();
      }
    };
  } catch (e) {
    conn.closeSync();
    instance.closeSync();
    throw e;
  } finally {
    try {
      conn.closeSync();
    } catch {
      /* already closed */
    }
  }
}

/** Rows in one DuckDB row group: the unit a scan is split into between threads. */
const ROW_GROUP_ROWS = 122_880n;

/**
 * The worker threads a table can use: one per row group, at most the instance's limit. DuckDB
 * splits a scan by row group, so a table of one row group (penguins: 344 rows) gains nothing
 * from a second thread and pays its hand-offs on every query (penguins over HTTP, p50 of 400
 * sequential requests: 8.5 → 6.4 ms). A function of the row count only, itself part of a load's timing already.
 */
export function threadsFor(rowCount: bigint, limit: number): number {
  const groups = (rowCount + ROW_GROUP_ROWS - 1n) / ROW_GROUP_ROWS;
  return Math.max(1, Math.min(limit, Number(groups)));
}

/** The in-memory database that holds a file dataset's table compressed. */
const COMPRESSED_DB = 'lomas_data';

/**
 * Where a file dataset's table is created: an in-memory database attached with COMPRESS. DuckDB
 * keeps the default in-memory database's tables uncompressed; this one stores them in compressed
 * column segments once checkpointed (flights-3m: 167 MB → 18 MB, and its scans about 3× faster).
 * Lossless: the same rows and values, so the same exact statistics.
 */
async function compressedTable(conn: DuckDBConnection): Promise<string> {
  await conn.run(`ATTACH ':memory:' AS ${quoteIdent(COMPRESSED_DB)} (COMPRESS)`);
  return `${quoteIdent(COMPRESSED_DB)}.main.${quoteIdent(DATA_TABLE)}`;
}

/**
 * Compresses the loaded table (a checkpoint of its database) and puts a view of the same name in
 * the default database, so every statement reads `data` as before.
 */
async function compress(conn: DuckDBConnection): Promise<void> {
  const table = quoteIdent(DATA_TABLE);
  await conn.run(`CHECKPOINT ${quoteIdent(COMPRESSED_DB)}`);
  await conn.run(
    `CREATE VIEW memory.main.${table} AS FROM ${quoteIdent(COMPRESSED_DB)}.main.${table}`
  );
}

const STAGE = '__lomas_src';

/**
 * Where project() reads the source rows from: the staging table, or (a file read by a DuckDB
 * reader, no privacy unit) the reader itself, so the file's rows are never held twice in memory
 * (a staging copy of flights-3m costs about 150 MB of RSS that the allocator does not give back).
 */
interface Staged {
  columns: Set<string>;
  from: string;
  params: string[];
  /** Set when project()'s CREATE TABLE reads the file itself (its errors are read errors). */
  format?: Format;
}

function readError(format: Format, e: unknown): ConnectorError {
  if (e instanceof ConnectorError) return e;
  return new ConnectorError(
    `cannot read ${format} file: ${(e as Error).message.split('\n')[0]}`,
    'load',
    { cause: e }
  );
}

/** Reads the source into the staging table (or describes the file); returns where to project from. */
async function stage(
  conn: DuckDBConnection,
  source: LocalSource | RowSource,
  metadata: DatasetMetadata
): Promise<Staged> {
  const staged = (columns: Set<string>): Staged => ({
    columns,
    from: quoteIdent(STAGE),
    params: []
  });
  if (isRows(source)) {
    const names = Object.keys(metadata.columns);
    const cols = names.map(n => ({ name: n, type: rawTypeOf(metadata.columns[n].type) }));
    await appendRows(conn, STAGE, cols, source.rows.length, (r, c) => source.rows[r][names[c]]);
    return staged(new Set(names));
  }
  const src = source as LocalSource;
  try {
    if (src.format === 'arrow') {
      await stageArrow(conn, src.path);
    } else if (metadata.privacy_id === undefined) {
      // The path is bound as a parameter, never spliced into the SQL text.
      const from = `${READERS[src.format]}($1)`;
      const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`, [src.path]);
      const columns = new Set(d.getRowObjectsJson().map(r => String(r.column_name)));
      return { columns, from, params: [src.path], format: src.format };
    } else {
      // The privacy-unit truncation numbers rows in source order (rowid): staged as a table.
      await conn.run(
        `CREATE TABLE ${quoteIdent(STAGE)} AS SELECT * FROM ${READERS[src.format]}($1)`,
        [src.path]
      );
    }
  } catch (e) {
    throw readError(src.format, e);
  }
  const d = await conn.runAndReadAll(`DESCRIBE ${quoteIdent(STAGE)}`);
  return staged(new Set(d.getRowObjectsJson().map(r => String(r.column_name))));
}

/** The part of @uwdata/flechette (ESM-only, loaded through Node's require(esm)) used here. */
interface FlechetteModule {
  tableFromIPC(bytes: Uint8Array): {
    numRows: number;
    schema: { fields: { name: string; type: unknown }[] };
    getChild(name: string): { toArray(): unknown } | null;
  };
}

async function stageArrow(conn: DuckDBConnection, path: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fl = require('@uwdata/flechette') as FlechetteModule;
  const table = fl.tableFromIPC(await fs.readFile(path));
  const fields = table.schema.fields;
  const cols = fields.map(f => ({
    name: f.name,
    type: arrowRawType(f.type as { typeId: number })
  }));
  const data = fields.map(f => table.getChild(f.name)!.toArray() as ArrayLike<unknown>);
  await appendRows(conn, STAGE, cols, table.numRows, (r, c) => data[c][r]);
}

function arrowRawType(t: { typeId: number }): RawType {
  switch (t.typeId) {
    case 2:
      return 'BIGINT';
    case 3:
    case 7:
      return 'DOUBLE';
    case 6:
      return 'BOOLEAN';
    case 8:
    case 10:
      return 'TIMESTAMP';
    default:
      return 'VARCHAR';
  }
}

async function project(
  conn: DuckDBConnection,
  metadata: DatasetMetadata,
  staged: Staged,
  target: string,
  rename: Record<string, string>
): Promise<Record<string, StoredColumn>> {
  const srcCols = staged.columns;
  const out: Record<string, StoredColumn> = {};
  const selects: string[] = [];
  let enumIndex = 0;
  for (const [name, col] of Object.entries(metadata.columns)) {
    const srcName = rename[name] ?? name;
    if (!srcCols.has(srcName))
      throw new ConnectorError(
        `column "${srcName}" (for metadata column "${name}") is not in the source; it has: ${[...srcCols].join(', ')}`,
        'load'
      );
    const s = quoteIdent(srcName);
    let expr: string;
    let enumValues: string[] | undefined;
    switch (col.type) {
      case 'int':
        expr = `TRY_CAST(${s} AS BIGINT)`;
        break;
      case 'float':
        expr = `(CASE WHEN isfinite(TRY_CAST(${s} AS DOUBLE)) THEN TRY_CAST(${s} AS DOUBLE) END)`;
        break;
      case 'boolean':
        expr = `TRY_CAST(${s} AS BOOLEAN)`;
        break;
      case 'datetime':
        expr = `TRY_CAST(${s} AS TIMESTAMP)`;
        break;
      case 'string':
        if (col.categories && col.categories.length > 0) {
          const typeName = quoteIdent(`__lomas_enum_${enumIndex++}`);
          const cats = [...new Set(col.categories)];
          await conn.run(
            `CREATE TYPE ${typeName} AS ENUM (SELECT unnest($1))`,
            [listValue(cats)],
            [LIST(VARCHAR)]
          );
          expr = `TRY_CAST(TRY_CAST(${s} AS VARCHAR) AS ${typeName})`;
          enumValues = cats;
        } else expr = `TRY_CAST(${s} AS VARCHAR)`;
        break;
    }
    selects.push(`${expr} AS ${quoteIdent(name)}`);
    out[name] = { name, type: col.type, isEnum: enumValues !== undefined, enumValues };
  }
  let sql = `CREATE TABLE ${target} AS SELECT ${selects.join(', ')} FROM ${staged.from}`;
  if (metadata.privacy_id !== undefined) {
    // Units are the PROJECTED ids (after the cast to the declared type), so two source spellings
    // of one id ("1", "01") are one unit. (QUALIFY … ORDER BY rowid directly on the table drops
    // rows in DuckDB 1.5: number in a subquery.)
    const pid = quoteIdent(metadata.privacy_id);
    const names = Object.keys(out).map(quoteIdent).join(', ');
    sql =
      `CREATE TABLE ${target} AS SELECT ${names} FROM ` +
      `(SELECT *, row_number() OVER (PARTITION BY ${pid} ORDER BY "__lomas_rowid") AS "__lomas_k" FROM ` +
      `(SELECT ${selects.join(', ')}, rowid AS "__lomas_rowid" FROM ${quoteIdent(STAGE)}) AS s ` +
      `WHERE ${pid} IS NOT NULL) AS s ` +
      `WHERE "__lomas_k" <= ${Number(metadata.max_ids)} ORDER BY "__lomas_rowid"`;
  }
  if (staged.format === undefined) {
    await conn.run(sql);
    await conn.run(`DROP TABLE ${quoteIdent(STAGE)}`);
    return out;
  }
  try {
    await conn.run(sql, staged.params);
  } catch (e) {
    throw readError(staged.format, e);
  }
  return out;
}
