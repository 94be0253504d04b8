import type { DatasetMetadata, TrinoSettings } from 'lomas-kernel/protocol';
import { compile, type CompiledQuery, type StorageInfo } from '../query/compile';
import { TRINO, type Binder } from '../query/dialect';
import { trinoKeyDecoder } from '../query/keys';
import type { ResolvedPlan } from '../query/types';
import { quoteIdent } from './duck';
import { decodeResult } from './execute';
import { EngineFailure } from './failure';
import type { EngineLimits } from './limits';
import type { ExactResult } from './types';

/**
 * Datasets that live in a Trino cluster. Nothing is loaded: every plan is compiled by the ONE
 * compiler in the Trino dialect (query/dialect.ts) and sent over Trino's HTTP protocol
 * (POST /v1/statement, then follow nextUri), as `EXECUTE IMMEDIATE '…?…' USING <literals>` so no
 * plan value is part of the statement text. The connection settings are the server's
 * (LOMAS_TRINO_*); no route returns them.
 */
export interface TrinoConnection {
  url: string;
  user: string;
  /** Sent as HTTP Basic authentication; the configuration allows it over https only. */
  password?: string;
}

/**
 * The dataset's rows as Trino sees them, the same as a DuckDB load (engine/load.ts) makes them:
 *  - only metadata columns (renamed from their source names), each TRY_CAST to its declared type;
 *    NaN and ±Infinity become NULL; a string outside the column's public categories becomes NULL;
 *  - with a privacy id: rows whose id is NULL are dropped, and at most max_ids rows per id are
 *    kept. Trino tables have no row order, so the rows kept are the first max_ids in the order of
 *    all their columns: a choice made from the unit's own rows only (a stable transformation, as
 *    in DuckDB), deterministic up to rows that are identical in every column (interchangeable).
 */
export function trinoStorage(
  metadata: DatasetMetadata,
  connector: TrinoSettings,
  used?: ReadonlySet<string>
): StorageInfo {
  // Only the columns the plan names (and the privacy id): Trino reads and checks no other.
  const names = Object.keys(metadata.columns).filter(
    n => !used || used.has(n) || n === metadata.privacy_id
  );
  const source = [connector.catalog, connector.schema, connector.table].map(quoteIdent).join('.');
  const relation = (p: Binder): string => {
    const projections = names.map(name => {
      const s = quoteIdent(connector.columns?.[name] ?? name);
      const col = metadata.columns[name];
      let expr: string;
      switch (col.type) {
        case 'int':
          expr = `TRY_CAST(${s} AS BIGINT)`;
          break;
        case 'float':
          expr = `(CASE WHEN is_finite(TRY_CAST(${s} AS DOUBLE)) THEN TRY_CAST(${s} AS DOUBLE) END)`;
          break;
        case 'boolean':
          expr = `TRY_CAST(${s} AS BOOLEAN)`;
          break;
        case 'datetime':
          expr = `TRY_CAST(${s} AS ${TRINO.timestampType})`;
          break;
        case 'string': {
          const text = `TRY_CAST(${s} AS VARCHAR)`;
          const cats =
            col.categories && col.categories.length > 0 ? [...new Set(col.categories)] : null;
          expr = cats
            ? `(CASE WHEN contains(${p.add(cats, { list: 'varchar' })}, ${text}) THEN ${text} END)`
            : text;
          break;
        }
      }
      return `${expr} AS ${quoteIdent(name)}`;
    });
    const list = projections.length ? projections.join(', ') : '1 AS "__lomas_one"';
    const projected = `(SELECT ${list} FROM ${source})`;
    if (metadata.privacy_id === undefined) return projected;
    const pid = quoteIdent(metadata.privacy_id);
    const all = names.map(quoteIdent).join(', ');
    return (
      `(SELECT ${all} FROM (SELECT *, row_number() OVER (PARTITION BY ${pid} ORDER BY ${all}) AS "__lomas_k" ` +
      `FROM ${projected} AS s WHERE ${pid} IS NOT NULL) AS s WHERE "__lomas_k" <= ${p.add(BigInt(metadata.max_ids), 'bigint')})`
    );
  };
  // A category column holds public categories or NULL only (as a DuckDB ENUM does): a public key
  // filter over all of its categories is then a NULL test (compile.ts, keyCondition).
  const categories: Record<string, readonly string[]> = {};
  for (const n of names) {
    const c = metadata.columns[n];
    if (c.type === 'string' && c.categories && c.categories.length > 0)
      categories[n] = [...new Set(c.categories)];
  }
  return { table: connector.table, columns: names, relation, categories };
}

/**
 * Every name a plan refers to (columns of steps, keys, aggregations). Rows are the same whatever
 * columns a statement carries; rows identical in these columns are interchangeable for the plan,
 * so truncation ordered by them alone keeps its statistics deterministic.
 */
export function referencedColumns(plan: ResolvedPlan): Set<string> {
  const out = new Set<string>();
  const walk = (e: unknown): void => {
    if (Array.isArray(e)) return e.forEach(walk);
    if (e === null || typeof e !== 'object') return;
    const node = e as Record<string, unknown>;
    if (node.k === 'col' && typeof node.name === 'string') out.add(node.name);
    for (const v of Object.values(node)) walk(v);
  };
  for (const s of plan.steps) {
    if (s.kind === 'filter') walk(s.predicate);
    else if (s.kind === 'select') s.columns.forEach(c => out.add(c));
    else s.columns.forEach(c => walk(c.expr));
  }
  for (const k of plan.groupBy?.keys ?? []) out.add(k.name);
  for (const a of plan.aggregations) if (a.column !== undefined) out.add(a.column);
  return out;
}

/** Is this dataset's table in Trino (rather than loaded into DuckDB)? */
export function livesInTrino(connector: unknown): boolean {
  return (connector as { kind?: unknown } | null)?.kind === 'trino';
}

/** Compiles the plan for a Trino dataset (exposed for tests and logs). */
export function compileForTrino(
  plan: ResolvedPlan,
  metadata: DatasetMetadata,
  connector: TrinoSettings
): CompiledQuery {
  return compile(plan, trinoStorage(metadata, connector, referencedColumns(plan)), TRINO);
}

/** Runs a checked plan on a Trino table: EXACT statistics, decoded like DuckDB's (execute.ts). */
export async function executeTrino(
  plan: ResolvedPlan,
  ref: { metadata: DatasetMetadata; connector: TrinoSettings },
  connection: TrinoConnection | undefined,
  limits: EngineLimits
): Promise<ExactResult> {
  if (!connection)
    throw new EngineFailure('engine', 'a Trino dataset, but LOMAS_TRINO_URL is not set');
  const q = compileForTrino(plan, ref.metadata, ref.connector);
  const t0 = performance.now();
  const result = await runTrino(connection, q.sql, limits.queryTimeoutMs);
  const decoders = (plan.groupBy?.keys ?? []).map(k => trinoKeyDecoder(k.type));
  return decodeResult(plan, q, result, decoders, {
    binsByIndex: true,
    maxRowsPerUnit: ref.metadata.max_ids,
    elapsedMs: performance.now() - t0
  });
}

export interface TrinoResult {
  queryId: string;
  names: string[];
  rows: unknown[][];
}

interface TrinoPage {
  id?: string;
  nextUri?: string;
  columns?: { name: string }[];
  data?: unknown[][];
  error?: { errorName?: string; errorType?: string; message?: string };
}

/** Trino's answer to "come back later" on a nextUri. */
const RETRY_STATUS = new Set([502, 503, 504]);

/**
 * One statement over Trino's HTTP protocol, to its last page. The instance's query timeout bounds
 * it twice: Trino's own query_max_execution_time, and here, where a statement past its deadline
 * is cancelled (DELETE on its nextUri) and fails as a timeout.
 */
export async function runTrino(
  c: TrinoConnection,
  sql: string,
  timeoutMs: number
): Promise<TrinoResult> {
  const deadline = Date.now() + timeoutMs;
  const headers: Record<string, string> = {
    'X-Trino-User': c.user,
    'X-Trino-Source': 'lomas',
    'X-Trino-Session': `query_max_execution_time=${Math.max(1, Math.ceil(timeoutMs / 1000))}s`
  };
  if (c.password)
    headers.Authorization = `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
  const out: TrinoResult = { queryId: '', names: [], rows: [] };
  const call = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, {
        ...init,
        headers,
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now()))
      });
    } catch (e) {
      if (Date.now() >= deadline)
        throw new EngineFailure('timeout', `over ${timeoutMs} ms`, { cause: e });
      throw new EngineFailure('engine', `Trino unreachable: ${(e as Error).message}`, { cause: e });
    }
  };
  let next: string | undefined = `${c.url.replace(/\/+$/, '')}/v1/statement`;
  let response = await call(next, { method: 'POST', body: sql });
  for (;;) {
    if (RETRY_STATUS.has(response.status) && next && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 50));
      response = await call(next, { method: 'GET' });
      continue;
    }
    if (!response.ok) throw new EngineFailure('engine', `Trino answered HTTP ${response.status}`);
    const page = (await response.json()) as TrinoPage;
    out.queryId = page.id ?? out.queryId;
    if (page.error) throw trinoFailure(page.error);
    if (page.columns && out.names.length === 0) out.names = page.columns.map(col => col.name);
    if (page.data) out.rows.push(...page.data);
    next = page.nextUri;
    if (!next) return out;
    if (Date.now() >= deadline) {
      await call(next, { method: 'DELETE' }).catch(() => undefined);
      throw new EngineFailure('timeout', `over ${timeoutMs} ms`);
    }
    response = await call(next, { method: 'GET' });
  }
}

/** Classifies a Trino error (for the log and metrics; the analyst only ever sees QUERY_FAILED). */
function trinoFailure(e: NonNullable<TrinoPage['error']>): EngineFailure {
  const name = e.errorName ?? 'UNKNOWN';
  const message = `${name}: ${(e.message ?? '').split('\n')[0]}`;
  if (
    name === 'EXCEEDED_TIME_LIMIT' ||
    (name === 'ADMINISTRATIVELY_KILLED' && /time/i.test(message))
  )
    return new EngineFailure('timeout', message);
  if (/MEMORY/.test(name) || e.errorType === 'INSUFFICIENT_RESOURCES')
    return new EngineFailure('memory', message);
  return new EngineFailure('engine', message);
}
