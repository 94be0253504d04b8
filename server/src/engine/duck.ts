import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBInstance,
  TIMESTAMP,
  VARCHAR,
  timestampValue,
  type DuckDBConnection,
  type DuckDBType
} from '@duckdb/node-api';
import type { EngineLimits } from './limits';

/** Quotes an identifier for DuckDB: wrapped in double quotes, inner quotes doubled. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains NUL');
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A fresh in-memory DuckDB instance for ONE dataset version, bounded by the engine limits (memory,
 * threads). Spilling to disk is off (no temp directory): private rows never land in a temp file,
 * and memory stays bounded: a query that needs more fails instead. External access stays ON until
 * `lockDown` is called after loading; nothing analyst-controlled runs before that.
 */
export async function createInstance(limits: EngineLimits): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    threads: String(limits.threads),
    memory_limit: limits.memoryLimit,
    temp_directory: '',
    // Give memory freed in bulk (a load's intermediate copies) back to the system at once rather
    // than keeping it in the allocator's caches (flights-3m: 130 MB of RSS otherwise kept).
    allocator_bulk_deallocation_flush_threshold: '8MB',
    allocator_flush_threshold: '8MB',
    allocator_background_threads: 'true'
  });
}

/**
 * Switches off every file and network access of the instance (read_csv('/etc/passwd'), COPY,
 * ATTACH, INSTALL, ...) and locks the configuration so no later statement can switch it back.
 * The settings are instance-wide: every connection opened afterwards inherits them.
 */
export async function lockDown(conn: DuckDBConnection): Promise<void> {
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
}

/** DuckDB storage types used for metadata column types. */
export function sqlTypeOf(t: 'int' | 'float' | 'string' | 'boolean' | 'datetime'): DuckDBType {
  switch (t) {
    case 'int':
      return BIGINT;
    case 'float':
      return DOUBLE;
    case 'string':
      return VARCHAR;
    case 'boolean':
      return BOOLEAN;
    case 'datetime':
      return TIMESTAMP;
  }
}

export type RawType = 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'BOOLEAN' | 'TIMESTAMP';

/**
 * Creates `table` with the given raw column types and appends the rows through DuckDB's appender
 * (no file access needed). Values that do not fit a column's type become NULL.
 * TIMESTAMP values are epoch milliseconds (number), Date objects or ISO strings.
 */
export async function appendRows(
  conn: DuckDBConnection,
  table: string,
  columns: { name: string; type: RawType }[],
  rowCount: number,
  valueAt: (row: number, col: number) => unknown
): Promise<void> {
  await conn.run(
    `CREATE TABLE ${quoteIdent(table)} (${columns.map(c => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`
  );
  const app = await conn.createAppender(table);
  try {
    for (let r = 0; r < rowCount; r++) {
      for (let c = 0; c < columns.length; c++) appendOne(app, columns[c].type, valueAt(r, c));
      app.endRow();
    }
    app.flushSync();
  } finally {
    app.closeSync();
  }
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function appendOne(app: Appender, type: RawType, v: unknown): void {
  if (v === null || v === undefined) return app.appendNull();
  switch (type) {
    case 'BIGINT': {
      if (typeof v === 'bigint') return app.appendBigInt(v);
      if (typeof v === 'number' && Number.isSafeInteger(v)) return app.appendBigInt(BigInt(v));
      return app.appendNull();
    }
    case 'DOUBLE':
      if (typeof v === 'number') return app.appendDouble(v);
      if (typeof v === 'bigint') return app.appendDouble(Number(v));
      return app.appendNull();
    case 'BOOLEAN':
      return typeof v === 'boolean' ? app.appendBoolean(v) : app.appendNull();
    case 'VARCHAR':
      return app.appendVarchar(typeof v === 'string' ? v : String(v));
    case 'TIMESTAMP': {
      const ms =
        v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number(v);
      if (!Number.isFinite(ms)) return app.appendNull();
      return app.appendTimestamp(timestampValue(BigInt(Math.round(ms)) * 1000n));
    }
  }
}
