import type {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBPreparedStatement,
  DuckDBType,
  DuckDBValue
} from '@duckdb/node-api';

/** Idle connections kept per dataset instance, and prepared statements kept per connection. */
const MAX_IDLE = 4;
const MAX_PREPARED = 32;

interface Pooled {
  conn: DuckDBConnection;
  /** By SQL text, least recently used first (a Map keeps insertion order). */
  prepared: Map<string, DuckDBPreparedStatement>;
}

/**
 * The connections of one dataset instance, each keeping its statements prepared by SQL text: a
 * plan asked again (a notebook cell run twice, another ε) binds its values to the statement
 * prepared the first time instead of parsing, planning and opening a connection again (penguins:
 * about 0.6 ms of a 7 ms answer). Each connection runs one statement at a time, so interrupting
 * it stops that statement only. A connection whose statement failed or was interrupted is closed,
 * never reused.
 */
export class StatementPool {
  private idle: Pooled[] = [];
  private closed = false;

  constructor(private readonly instance: DuckDBInstance) {}

  /** Takes a connection for one statement; give it back with `release`, or `discard` it. */
  async take(): Promise<Pooled> {
    return this.idle.pop() ?? { conn: await this.instance.connect(), prepared: new Map() };
  }

  release(p: Pooled): void {
    if (this.closed || this.idle.length >= MAX_IDLE) return this.discard(p);
    this.idle.push(p);
  }

  /** Closes the connection, which frees its prepared statements too. */
  discard(p: Pooled): void {
    p.prepared.clear();
    p.conn.closeSync();
  }

  /** Closes every idle connection; connections still running close when given back. */
  close(): void {
    this.closed = true;
    for (const p of this.idle.splice(0)) this.discard(p);
  }
}

/** The statement of `sql` on this connection, prepared once, with `params` bound. */
export async function bound(
  p: Pooled,
  sql: string,
  params: DuckDBValue[] | Record<string, DuckDBValue> | undefined,
  types: DuckDBType[] | Record<string, DuckDBType | undefined> | undefined
): Promise<DuckDBPreparedStatement> {
  let s = p.prepared.get(sql);
  if (s) {
    p.prepared.delete(sql); // most recently used goes last
  } else {
    s = await p.conn.prepare(sql);
    if (p.prepared.size >= MAX_PREPARED) {
      const [oldest, stmt] = p.prepared.entries().next().value!;
      p.prepared.delete(oldest);
      stmt.destroySync();
    }
  }
  p.prepared.set(sql, s);
  s.clearBindings();
  if (params !== undefined) s.bind(params, types);
  return s;
}
