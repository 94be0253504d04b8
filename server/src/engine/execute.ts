import { DuckDBMapValue, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { compile, type AggLayout, type CompiledQuery } from '../query/compile';
import { engineKeyDecoder, keyId, keyProduct, publicKeyLists, type Key } from '../query/keys';
import { needsSumSquares } from 'lomas-kernel/protocol';
import { LIMITS, type RAggregation, type ResolvedPlan } from '../query/types';
import { EngineFailure, fromDuckDB } from './failure';
import { DATA_TABLE, type LoadedDataset } from './load';
import { bound } from './statements';
import type { ExactResult, ExactStats, GroupStats } from './types';

/** Compiles the plan for a loaded dataset (exposed for tests and logs). */
export function compileFor(plan: ResolvedPlan, d: LoadedDataset): CompiledQuery {
  const enums: Record<string, readonly string[]> = {};
  for (const c of Object.values(d.columns)) if (c.enumValues) enums[c.name] = c.enumValues;
  return compile(plan, { table: DATA_TABLE, columns: Object.keys(d.columns), enums });
}

/**
 * Runs a resolved plan on a loaded (locked-down) dataset and returns EXACT sufficient statistics
 * per group. Public group-bys return every public key, in the order of the key product, with
 * zero statistics for keys absent from the data (the SQL only groups rows with public keys).
 * Discovery returns the observed keys only (to be thresholded by the DP engine), at most
 * LIMITS.maxDiscoveredGroups of them.
 *
 * Fails closed with an EngineFailure when the statement runs past the instance's timeout or out
 * of memory, when discovery finds more keys than the cap, or when two result rows carry the same
 * key (two groups must never merge into one released row).
 */
export async function execute(plan: ResolvedPlan, d: LoadedDataset): Promise<ExactResult> {
  const q = compileFor(plan, d);
  const t0 = performance.now();
  const result = await runBounded(d, q);
  const elapsedMs = performance.now() - t0;
  const col = new Map(result.names.map((n, i) => [n, i]));
  return decodeResult(plan, q, result, keyDecoders(q.keyCount, result, col), {
    binsByIndex: false,
    maxRowsPerUnit: d.maxRowsPerUnit,
    elapsedMs
  });
}

/**
 * Turns a statement's rows (DuckDB values, or Trino's JSON values) into exact statistics per group:
 * one path for every engine, so the group identity, the public key product and the fail-closed
 * checks (group cap, duplicate keys, keys outside the public lists) are the same everywhere.
 */
export function decodeResult(
  plan: ResolvedPlan,
  q: Pick<CompiledQuery, 'layout' | 'keyCount'>,
  result: { names: string[]; rows: unknown[][] },
  decoders: ((v: unknown) => Key[number])[],
  opts: { binsByIndex: boolean; maxRowsPerUnit: number; elapsedMs: number }
): ExactResult {
  const col = new Map(result.names.map((n, i) => [n, i]));
  const at = (row: unknown[], name: string) => row[col.get(name)!];
  const failed = (e: unknown) =>
    e instanceof EngineFailure
      ? e
      : new EngineFailure('key-encoding', (e as Error).message, { cause: e });

  const observed = new Map<string, GroupStats>();
  const g = plan.groupBy;
  if (g?.mode === 'discover' && result.rows.length > LIMITS.maxDiscoveredGroups)
    throw new EngineFailure(
      'group-cap',
      `key discovery found more than ${LIMITS.maxDiscoveredGroups} keys`
    );
  for (const row of result.rows) {
    const key = decoders.map((decode, i) => {
      try {
        return decode(at(row, `__k${i}`));
      } catch (e) {
        throw failed(e);
      }
    });
    const id = keyId(key);
    if (observed.has(id))
      // (The key itself stays out of the message: logs get no private values.)
      throw new EngineFailure('duplicate-key', 'two result rows with the same key');
    const rowsInGroup = toBig(at(row, '__rows'));
    const stats = plan.aggregations.map((a, i) =>
      statsOf(a, q.layout[i], row, at, rowsInGroup, opts.binsByIndex)
    );
    observed.set(id, { key, rows: rowsInGroup, stats });
  }

  let groups: GroupStats[];
  if (!g) {
    groups = [observed.get(keyId([])) ?? emptyGroup([], plan.aggregations)];
  } else if (g.mode === 'discover') {
    groups = [...observed.values()];
  } else {
    const lists = publicKeyLists(
      g.values,
      g.keys.map(k => k.type)
    );
    groups = keyProduct(lists).map(key => {
      const id = keyId(key);
      const found = observed.get(id);
      observed.delete(id);
      return found ?? emptyGroup(key, plan.aggregations);
    });
    // The SQL keeps public keys only: anything left means the two disagree on a key's identity.
    if (observed.size > 0)
      throw new EngineFailure(
        'unexpected-key',
        `${observed.size} result rows outside the public keys`
      );
  }
  return {
    keys: g?.keys.map(k => k.name) ?? [],
    keyMode: g ? g.mode : 'none',
    groups,
    maxRowsPerUnit: opts.maxRowsPerUnit,
    elapsedMs: opts.elapsedMs
  };
}

export interface StatementResult {
  rows: DuckDBValue[][];
  names: string[];
  types: DuckDBType[];
}

/**
 * Runs the statement on a connection of the dataset's pool (prepared once per SQL text),
 * interrupted when it outlives the instance's query timeout. A statement that finishes after the
 * deadline counts as timed out too, so the outcome does not depend on how the interrupt raced
 * with the end of the statement. A connection whose statement failed is closed, not reused.
 */
export async function runBounded(
  d: LoadedDataset,
  q: Pick<CompiledQuery, 'sql' | 'params' | 'types'>
): Promise<StatementResult> {
  const pooled = await d.statements.take();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    pooled.conn.interrupt();
  }, d.limits.queryTimeoutMs);
  let ok = false;
  try {
    const statement = await bound(pooled, q.sql, q.params, q.types);
    const r = await statement.run();
    if (timedOut) throw new EngineFailure('timeout', `over ${d.limits.queryTimeoutMs} ms`);
    // The result is materialized: its chunks are read here, not fetched one thread hop each.
    const rows: DuckDBValue[][] = [];
    for (let i = 0; i < r.chunkCount; i++) r.getChunk(i).appendToRows(rows);
    ok = true;
    return { rows, names: r.columnNames(), types: r.columnTypes() };
  } catch (e) {
    if (timedOut && !(e instanceof EngineFailure))
      throw new EngineFailure('timeout', `over ${d.limits.queryTimeoutMs} ms`, { cause: e });
    throw fromDuckDB(e);
  } finally {
    clearTimeout(timer);
    if (ok) d.statements.release(pooled);
    else d.statements.discard(pooled);
  }
}

/** One exact decoder per key column, chosen from the column's DuckDB type. */
function keyDecoders(
  count: number,
  r: StatementResult,
  col: Map<string, number>
): ((v: unknown) => Key[number])[] {
  const failed = (e: unknown) =>
    new EngineFailure('key-encoding', (e as Error).message, { cause: e });
  return Array.from({ length: count }, (_, i) => {
    let decode: (v: DuckDBValue) => Key[number];
    try {
      decode = engineKeyDecoder(r.types[col.get(`__k${i}`)!]);
    } catch (e) {
      throw failed(e);
    }
    return (v: unknown) => {
      try {
        return decode(v as DuckDBValue);
      } catch (e) {
        throw failed(e);
      }
    };
  });
}

function toBig(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  // Trino's exact counts and DECIMAL(38,0) sums travel as decimal text.
  if (typeof v === 'string' && /^-?\d{1,40}$/.test(v)) return BigInt(v);
  throw new EngineFailure('engine', `a count or sum arrived as ${typeof v}`);
}

/**
 * MAP(key → UBIGINT) of DuckDB's histogram aggregates, keyed exactly: DOUBLE keys (candidates,
 * bin boundaries) are JS numbers already; integer keys (category positions) must be safe
 * integers. A repeated key would merge two bins: it fails closed. Trino's maps arrive as JSON
 * objects {"<integer key>": "<count>"} (query/dialect.ts).
 */
function mapOf(v: unknown): Map<number, bigint> {
  const out = new Map<number, bigint>();
  if (v !== null && typeof v === 'object' && !(v instanceof DuckDBMapValue)) {
    for (const [k, c] of Object.entries(v as Record<string, unknown>)) {
      if (!/^-?\d{1,15}$/.test(k))
        throw new EngineFailure('key-encoding', 'a histogram bin key is not an integer');
      out.set(Number(k), toBig(c));
    }
    return out;
  }
  if (!(v instanceof DuckDBMapValue)) return out;
  for (const e of v.entries) {
    const k = e.key;
    const key = typeof k === 'bigint' && k >= -MAX_SAFE && k <= MAX_SAFE ? Number(k) : k;
    if (typeof key !== 'number')
      throw new EngineFailure('key-encoding', `a histogram bin key arrived as ${typeof k}`);
    if (out.has(key)) throw new EngineFailure('duplicate-key', 'a histogram bin repeats');
    out.set(key, toBig(e.value));
  }
  return out;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A bin map keyed by bin index (Trino: index i = #{b < v}, or a 1-based position for exact
 * matches) re-keyed by the boundary value, as DuckDB keys it.
 */
function byValue(m: Map<number, bigint>, values: readonly number[], offset: number) {
  const out = new Map<number, bigint>();
  for (const [i, c] of m) {
    const value = values[i - offset];
    if (value !== undefined) out.set(value, (out.get(value) ?? 0n) + c);
  }
  return out;
}

function statsOf(
  a: RAggregation,
  layout: AggLayout,
  row: unknown[],
  at: (row: unknown[], name: string) => unknown,
  rows: bigint,
  binsByIndex: boolean
): ExactStats {
  switch (a.op) {
    case 'count':
      return {
        op: 'count',
        count:
          layout.op === 'count' && layout.cols[0] !== undefined
            ? toBig(at(row, layout.cols[0]))
            : rows
      };
    case 'sum':
    case 'mean':
    case 'variance':
    case 'stdev': {
      const [n, s, q] = layout.cols as [string, string, string?];
      const count = toBig(at(row, n));
      return {
        op: a.op,
        count,
        nulls: rows - count,
        sum: toBig(at(row, s)),
        ...(q === undefined ? {} : { sumSquares: toBig(at(row, q)) }),
        grid: a.grid,
        bounds: a.bounds
      };
    }
    case 'quantile':
    case 'median': {
      const [n, h, e] = layout.cols as [string, string, string];
      const count = toBig(at(row, n));
      let le = mapOf(at(row, h)); // counts in (c_{i-1}, c_i]
      let eq = mapOf(at(row, e)); // counts equal to c_i
      if (binsByIndex) {
        le = byValue(le, a.candidates, 0);
        eq = byValue(eq, a.candidates, 1);
      }
      const below: bigint[] = [];
      const above: bigint[] = [];
      let cum = 0n;
      for (const c of a.candidates) {
        cum += le.get(c) ?? 0n; // #{x ≤ c}
        below.push(cum - (eq.get(c) ?? 0n));
        above.push(count - cum);
      }
      return {
        op: a.op,
        count,
        nulls: rows - count,
        q: a.q,
        candidates: a.candidates,
        below,
        above
      };
    }
    case 'histogram': {
      let m = mapOf(at(row, (layout.cols as string[])[0]));
      let counts: bigint[];
      if (layout.op === 'histogram-edges') {
        if (binsByIndex) m = byValue(m, layout.boundaries, 0);
        counts = layout.boundaries.map(b => m.get(b) ?? 0n);
      } else
        counts = Array.from(
          { length: (layout as { size: number }).size },
          (_, i) => m.get(i + 1) ?? 0n
        );
      const total = counts.reduce((x, y) => x + y, 0n);
      return {
        op: 'histogram',
        edges: a.edges,
        categories: a.categories,
        counts,
        nulls: rows - total
      };
    }
  }
}

function emptyGroup(key: Key, aggs: RAggregation[]): GroupStats {
  return {
    key,
    rows: 0n,
    stats: aggs.map((a): ExactStats => {
      switch (a.op) {
        case 'count':
          return { op: 'count', count: 0n };
        case 'sum':
        case 'mean':
        case 'variance':
        case 'stdev':
          return {
            op: a.op,
            count: 0n,
            nulls: 0n,
            sum: 0n,
            ...(needsSumSquares(a.op) ? { sumSquares: 0n } : {}),
            grid: a.grid,
            bounds: a.bounds
          };
        case 'quantile':
        case 'median':
          return {
            op: a.op,
            count: 0n,
            nulls: 0n,
            q: a.q,
            candidates: a.candidates,
            below: a.candidates.map(() => 0n),
            above: a.candidates.map(() => 0n)
          };
        case 'histogram':
          return {
            op: 'histogram',
            edges: a.edges,
            categories: a.categories,
            counts: (a.edges ? a.edges.slice(1) : (a.categories ?? [])).map(() => 0n),
            nulls: 0n
          };
      }
    })
  };
}
