import { DuckDBMapValue, type DuckDBValue } from '@duckdb/node-api';
import { compile, type AggLayout, type CompiledQuery } from '../query/compile';
import type { KeyValue, RAggregation, ResolvedPlan } from '../query/types';
import { DATA_TABLE, type LoadedDataset } from './load';
import type { ExactResult, ExactStats, GroupStats } from './types';

/** Compiles the plan for a loaded dataset (exposed for tests and logs). */
export function compileFor(plan: ResolvedPlan, d: LoadedDataset): CompiledQuery {
  return compile(plan, { table: DATA_TABLE, columns: Object.keys(d.columns) });
}

/**
 * Runs a resolved plan on a loaded (locked-down) dataset and returns EXACT sufficient statistics
 * per group. Public group-bys return every public key, in the order of the key product, with
 * zero statistics for keys absent from the data; observed keys outside the public sets are
 * dropped. Discovery returns the observed keys only (to be thresholded by the DP engine).
 */
export async function execute(plan: ResolvedPlan, d: LoadedDataset): Promise<ExactResult> {
  const q = compileFor(plan, d);
  const t0 = performance.now();
  const conn = await d.instance.connect();
  let rows: DuckDBValue[][];
  let names: string[];
  try {
    const r = await conn.runAndReadAll(q.sql, q.params, q.types);
    rows = r.getRows();
    names = r.columnNames();
  } finally {
    conn.closeSync();
  }
  const elapsedMs = performance.now() - t0;
  const col = new Map(names.map((n, i) => [n, i]));
  const at = (row: DuckDBValue[], name: string) => row[col.get(name)!];

  const observed = new Map<string, GroupStats>();
  for (const row of rows) {
    const key: KeyValue[] = [];
    for (let i = 0; i < q.keyCount; i++) key.push(keyValue(at(row, `__k${i}`)));
    const rowsInGroup = toBig(at(row, '__rows'));
    const stats = plan.aggregations.map((a, i) => statsOf(a, q.layout[i], row, at, rowsInGroup));
    observed.set(keyId(key), { key, rows: rowsInGroup, stats });
  }

  const g = plan.groupBy;
  let groups: GroupStats[];
  if (!g) {
    groups = [observed.get(keyId([])) ?? emptyGroup([], plan.aggregations)];
  } else if (g.mode === 'discover') {
    groups = [...observed.values()];
  } else {
    groups = [];
    for (const key of product(g.values))
      groups.push(observed.get(keyId(key)) ?? emptyGroup(key, plan.aggregations));
  }
  return {
    keys: g?.keys.map(k => k.name) ?? [],
    keyMode: g ? g.mode : 'none',
    groups,
    maxRowsPerUnit: d.maxRowsPerUnit,
    elapsedMs
  };
}

function keyValue(v: DuckDBValue): KeyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

function keyId(key: KeyValue[]): string {
  return JSON.stringify(key);
}

function* product(values: KeyValue[][]): Generator<KeyValue[]> {
  const idx = values.map(() => 0);
  if (values.some(v => v.length === 0)) return;
  for (;;) {
    yield idx.map((j, i) => values[i][j]);
    let i = values.length - 1;
    while (i >= 0 && ++idx[i] === values[i].length) idx[i--] = 0;
    if (i < 0) return;
  }
}

function toBig(v: DuckDBValue): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return BigInt(String(v));
}

/** MAP(key → UBIGINT) to a JS map keyed by the map's key (number/boolean/string). */
function mapOf(v: DuckDBValue): Map<unknown, bigint> {
  const out = new Map<unknown, bigint>();
  if (v instanceof DuckDBMapValue)
    for (const e of v.entries)
      out.set(typeof e.key === 'bigint' ? Number(e.key) : e.key, toBig(e.value));
  return out;
}

function statsOf(
  a: RAggregation,
  layout: AggLayout,
  row: DuckDBValue[],
  at: (row: DuckDBValue[], name: string) => DuckDBValue,
  rows: bigint
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
      const [n, s, q] = layout.cols as [string, string, string];
      const count = toBig(at(row, n));
      return {
        op: a.op,
        count,
        nulls: rows - count,
        sum: toBig(at(row, s)),
        sumSquares: toBig(at(row, q)),
        grid: a.grid,
        bounds: a.bounds
      };
    }
    case 'quantile':
    case 'median': {
      const [n, h, e] = layout.cols as [string, string, string];
      const count = toBig(at(row, n));
      const le = mapOf(at(row, h)); // counts in (c_{i-1}, c_i]
      const eq = mapOf(at(row, e)); // counts equal to c_i
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
      const m = mapOf(at(row, (layout.cols as string[])[0]));
      let counts: bigint[];
      if (layout.op === 'histogram-edges') counts = layout.boundaries.map(b => m.get(b) ?? 0n);
      else
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

function emptyGroup(key: KeyValue[], aggs: RAggregation[]): GroupStats {
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
            sumSquares: 0n,
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
