import { BIGINT, DOUBLE, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { ColumnDomain, MarginalCounts } from '../dp';
import { quoteIdent } from './duck';
import { runBounded } from './execute';
import { DATA_TABLE, type LoadedDataset } from './load';

/**
 * Exact one-way and pair marginal counts for the synthesizer (dp/synthetic), in ONE parameterised
 * DuckDB statement over a loaded, locked-down dataset:
 *
 *   SELECT GROUPING(c0) AS g0, …, c0, …, count(*) FROM (SELECT <cell of column i> AS ci …
 *   FROM data WHERE <non-nullable columns are not NULL>) GROUP BY GROUPING SETS ((c0), …, (c0, c1), …)
 *
 * Identifiers are the metadata's column names, double-quoted; bounds, widths and bin counts are
 * bound parameters; nothing from a request is spliced into the text. Cells follow domain.ts: a
 * nullable column's NULL is cell 0 and its values are shifted by one; rows with NULL in a
 * non-nullable column are dropped from every marginal (one row-wise filter: a stable
 * transformation). Categorical columns are stored as an ENUM over their public categories
 * (engine/load.ts), whose code is the category's index.
 */

export interface CompiledMarginals {
  sql: string;
  params: DuckDBValue[];
  types: DuckDBType[];
  sets: number[][];
}

class Params {
  readonly values: DuckDBValue[] = [];
  readonly types: DuckDBType[] = [];
  add(value: DuckDBValue, type: DuckDBType): string {
    this.values.push(value);
    this.types.push(type);
    return `$${this.values.length}`;
  }
}

/** The value index (bin or category) of a column, NULL for NULL. */
function valueExpr(d: ColumnDomain, stored: { isEnum: boolean } | undefined, p: Params): string {
  const s = d.spec;
  const col = quoteIdent(s.name);
  if (s.kind === 'categorical') {
    if (s.categories.every(c => typeof c === 'boolean'))
      return `(CASE WHEN ${col} THEN ${s.categories.indexOf(true)} WHEN NOT ${col} THEN ${s.categories.indexOf(false)} END)`;
    if (!stored?.isEnum) throw new Error(`column ${s.name} is not stored over its categories`);
    return `CAST(enum_code(${col}) AS BIGINT)`;
  }
  const x = s.kind === 'datetime' ? `epoch_ms(${col})` : col;
  if (d.integral) {
    const lo = p.add(BigInt(s.lower), BIGINT);
    const hi = p.add(BigInt(s.upper), BIGINT);
    const w = p.add(d.step as bigint, BIGINT);
    return `((LEAST(GREATEST(${x}, ${lo}), ${hi}) - ${lo}) // ${w})`;
  }
  if (d.values === 1) return `(CASE WHEN ${x} IS NULL THEN NULL ELSE 0 END)`;
  const [lo, hi, w] = [s.lower, s.upper, d.width as number].map(v => p.add(v, DOUBLE));
  const last = p.add(BigInt(d.values - 1), BIGINT);
  return `LEAST(CAST(floor((LEAST(GREATEST(${x}, ${lo}), ${hi}) - ${lo}) / ${w}) AS BIGINT), ${last})`;
}

/** Every one-way and pair grouping set, one-way first, pairs in allPairs order. */
function groupingSets(d: number): number[][] {
  const sets: number[][] = [];
  for (let i = 0; i < d; i++) sets.push([i]);
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) sets.push([a, b]);
  return sets;
}

export function compileMarginals(
  domains: readonly ColumnDomain[],
  stored: Readonly<Record<string, { isEnum: boolean }>>
): CompiledMarginals {
  const p = new Params();
  const cells: string[] = [];
  const filters: string[] = [];
  domains.forEach((d, i) => {
    const v = valueExpr(d, stored[d.spec.name], p);
    if (d.spec.nullable) cells.push(`COALESCE(${v} + 1, 0) AS "c${i}"`);
    else {
      cells.push(`${v} AS "c${i}"`);
      filters.push(`${v} IS NOT NULL`);
    }
  });
  const names = domains.map((_, i) => `"c${i}"`);
  const sets = groupingSets(domains.length);
  const where = filters.length ? ` WHERE ${filters.join(' AND ')}` : '';
  const sql =
    `SELECT ${names.map((n, i) => `GROUPING(${n}) AS "g${i}"`).join(', ')}, ${names.join(', ')}, count(*) AS "n" ` +
    `FROM (SELECT ${cells.join(', ')} FROM ${quoteIdent(DATA_TABLE)}${where}) AS t ` +
    `GROUP BY GROUPING SETS (${sets.map(s => `(${s.map(i => names[i]).join(', ')})`).join(', ')})`;
  return { sql, params: p.values, types: p.types, sets };
}

const num = (v: DuckDBValue): number => Number(v as bigint | number);

/** Exact marginal counts (the synthesizer's engine contract, dp/synthetic/synthesize.ts). */
export async function countMarginals(
  d: LoadedDataset,
  domains: readonly ColumnDomain[]
): Promise<MarginalCounts> {
  const q = compileMarginals(domains, d.columns);
  // The same bounded runner as queries: the instance's timeout interrupts it, failures are typed.
  const { rows } = await runBounded(d, q);
  const k = domains.length;
  const oneWay = domains.map(dm => new Array<bigint>(dm.cells).fill(0n));
  const pairs = new Map<string, Array<[number, number, bigint]>>();
  for (const row of rows) {
    const grouped: number[] = [];
    for (let i = 0; i < k; i++) if (num(row[i]) === 0) grouped.push(i);
    const n = BigInt(row[2 * k] as bigint);
    if (grouped.length === 1) oneWay[grouped[0]][num(row[k + grouped[0]])] += n;
    else if (grouped.length === 2) {
      const [a, b] = grouped;
      const key = `${a},${b}`;
      let list = pairs.get(key);
      if (!list) pairs.set(key, (list = []));
      list.push([num(row[k + a]), num(row[k + b]), n]);
    }
  }
  return { oneWay, pairs };
}
