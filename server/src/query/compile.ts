import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  INTEGER,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBType,
  type DuckDBValue
} from '@duckdb/node-api';
import { quoteIdent } from '../engine/duck';
import { PLAN_LIMITS } from 'lomas-kernel/protocol';
import { FUNCTION_SQL } from './functions';
import type { CheckedPlan, KeyValue, RAggregation, RExpr, RGroupBy, ValueType } from './types';

/**
 * Compiles a checked plan to ONE parameterised DuckDB statement.
 *
 *  - Identifiers: every column name was checked against the metadata / derived scope by
 *    the plan checker, and is still double-quoted here with inner quotes doubled.
 *  - Literals: every value from the plan (and every bound, candidate, category) is a bound
 *    parameter ($n with an explicit type). No plan value is ever spliced into the SQL text.
 *  - Functions: only the templates of query/functions.ts.
 *  - Totality: integer arithmetic is wrapped in TRY (overflow → NULL), division and remainder by
 *    zero give NULL, casts are TRY_CAST, log/sqrt/exp are guarded: no private value can make the
 *    statement fail.
 *
 * Result columns: "__k<i>" group keys, "__rows" = COUNT(*), then per aggregation the columns
 * listed in its AggLayout. Groups are bounded inside the SQL: public group-bys keep only rows with
 * public key values; discovery reads at most PLAN_LIMITS.discoveredGroups + 1 groups.
 */

export interface CompiledQuery {
  sql: string;
  params: DuckDBValue[];
  types: DuckDBType[];
  layout: AggLayout[];
  keyCount: number;
}

export type AggLayout =
  | { op: 'count'; cols: [string] | [] }
  | { op: 'moments'; cols: [string, string, string] }
  | { op: 'quantile'; cols: [string, string, string] }
  | { op: 'histogram-edges'; cols: [string]; boundaries: number[] }
  | { op: 'histogram-categories'; cols: [string]; size: number };

export interface StorageInfo {
  /** Name of the loaded table. */
  table: string;
  /** Columns of the loaded table, in order. */
  columns: readonly string[];
  /** Columns stored as a DuckDB ENUM, with the ENUM's values in declaration order. */
  enums?: Readonly<Record<string, readonly string[]>>;
}

export { quoteIdent };

export class Params {
  readonly values: DuckDBValue[] = [];
  readonly types: DuckDBType[] = [];
  add(value: DuckDBValue, type: DuckDBType): string {
    this.values.push(value);
    this.types.push(type);
    return `$${this.values.length}`;
  }
}

const SQL_TYPE: Record<ValueType, DuckDBType> = {
  int: BIGINT,
  float: DOUBLE,
  string: VARCHAR,
  boolean: BOOLEAN,
  datetime: VARCHAR // bound as ISO text, then TRY_CAST to TIMESTAMP
};

export function compile(plan: CheckedPlan, storage: StorageInfo): CompiledQuery {
  const p = new Params();
  const x = new ExprCompiler(p);
  let current = [...storage.columns];
  // Stored columns no derive step has replaced (their storage type, e.g. ENUM, still holds).
  const stored = new Set(storage.columns);

  // 1. The row pipeline: nested subqueries, one per step.
  let rel = quoteIdent(storage.table);
  for (const s of plan.steps) {
    if (s.kind === 'filter') {
      rel = `(SELECT * FROM ${rel} AS t WHERE ${x.compile(s.predicate)})`;
    } else if (s.kind === 'select') {
      rel = `(SELECT ${s.columns.map(quoteIdent).join(', ')} FROM ${rel} AS t)`;
      current = [...s.columns];
    } else {
      const existing = s.columns.filter(c => current.includes(c.name));
      const fresh = s.columns.filter(c => !current.includes(c.name));
      const replace = existing.length
        ? ` REPLACE (${existing.map(c => `${x.compile(c.expr)} AS ${quoteIdent(c.name)}`).join(', ')})`
        : '';
      const add = fresh.map(c => `, ${x.compile(c.expr)} AS ${quoteIdent(c.name)}`).join('');
      rel = `(SELECT *${replace}${add} FROM ${rel} AS t)`;
      for (const c of fresh) current.push(c.name);
      for (const c of s.columns) stored.delete(c.name);
    }
  }

  // 2. Per-row inputs: group keys and aggregation values.
  const inner: string[] = [];
  const keys = plan.groupBy?.keys ?? [];
  keys.forEach((k, i) => inner.push(`${quoteIdent(k.name)} AS "__k${i}"`));
  const outer: string[] = keys.map((_, i) => `"__k${i}"`);
  outer.push('count(*) AS "__rows"');
  const layout: AggLayout[] = plan.aggregations.map((a, i) => aggregation(a, i, p, inner, outer));

  const innerSql = inner.length ? inner.join(', ') : '1 AS "__one"';
  const g = plan.groupBy;
  const filter =
    g?.mode === 'public'
      ? publicKeyFilter(g, p, name => (stored.has(name) ? storage.enums?.[name] : undefined))
      : null;
  const where = filter ? ` WHERE ${filter}` : '';
  let sql = `SELECT ${outer.join(', ')} FROM (SELECT ${innerSql} FROM ${rel} AS t${where}) AS v`;
  if (keys.length) sql += ` GROUP BY ${keys.map((_, i) => `"__k${i}"`).join(', ')}`;
  // One row beyond the public cap is enough to know the cap was exceeded (a public constant).
  if (g?.mode === 'discover') sql += ` LIMIT ${PLAN_LIMITS.discoveredGroups + 1}`;
  return { sql, params: p.values, types: p.types, layout, keyCount: keys.length };
}

/**
 * Public keys: only rows whose keys are among the public values are grouped, so the number of
 * groups the engine builds is at most the public product (a high-cardinality column cannot blow
 * up memory) and depends on nothing private. Keys are filtered one by one: the product of the
 * per-key sets is exactly the set of public groups. Null when no row needs filtering.
 */
function publicKeyFilter(
  g: Extract<RGroupBy, { mode: 'public' }>,
  p: Params,
  enumOf: (name: string) => readonly string[] | undefined
): string | null {
  const conditions = g.keys
    .map((k, i) => keyCondition(k.name, k.type, g.values[i], p, enumOf(k.name)))
    .filter((c): c is string => c !== null);
  return conditions.length > 0 ? conditions.join(' AND ') : null;
}

/** The rows whose key is one of `values`, or null when that is every row. */
function keyCondition(
  name: string,
  type: ValueType,
  values: readonly KeyValue[],
  p: Params,
  enumValues: readonly string[] | undefined
): string | null {
  const c = quoteIdent(name);
  const present = values.filter((v): v is string | number | boolean => v !== null);
  const withNull = values.includes(null);
  let member: string | null;
  if (enumValues) {
    // A stored ENUM: compare its integer codes (values outside the ENUM cannot occur).
    const codes = [...new Set(present.map(v => enumValues.indexOf(String(v))))].filter(i => i >= 0);
    if (codes.length === enumValues.length) return withNull ? null : `${c} IS NOT NULL`;
    member =
      codes.length > 0
        ? `enum_code(${c}) IN (SELECT unnest(${p.add(listValue(codes), LIST(INTEGER))}))`
        : null;
  } else if (type === 'boolean' && present.includes(true) && present.includes(false)) {
    return withNull ? null : `${c} IS NOT NULL`;
  } else if (present.length > 0) {
    const list =
      type === 'int'
        ? p.add(listValue(present.map(v => BigInt(v as number))), LIST(BIGINT))
        : type === 'boolean'
          ? p.add(listValue(present as boolean[]), LIST(BOOLEAN))
          : p.add(listValue(present.map(v => String(v))), LIST(VARCHAR));
    member = `${type === 'string' ? `CAST(${c} AS VARCHAR)` : c} IN (SELECT unnest(${list}))`;
  } else member = null;
  const parts = [member, withNull ? `${c} IS NULL` : null].filter((x): x is string => x !== null);
  return parts.length > 0 ? `(${parts.join(' OR ')})` : 'false';
}

function aggregation(
  a: RAggregation,
  i: number,
  p: Params,
  inner: string[],
  outer: string[]
): AggLayout {
  const v = `"__a${i}"`;
  const col = (name: string) => quoteIdent(name);
  const finiteDouble = (name: string) =>
    `(CASE WHEN isfinite(CAST(${col(name)} AS DOUBLE)) THEN CAST(${col(name)} AS DOUBLE) END)`;
  // DuckDB's least/greatest SKIP NULLs (greatest(NULL, 1) = 1): keep NULL as NULL explicitly.
  const clamp = (x: string, lo: string, hi: string) =>
    `(CASE WHEN ${x} IS NOT NULL THEN least(greatest(${x}, ${lo}), ${hi}) END)`;
  switch (a.op) {
    case 'count':
      if (a.column === undefined) return { op: 'count', cols: [] };
      inner.push(`${col(a.column)} AS ${v}`);
      outer.push(`count(${v}) AS "__c${i}"`);
      return { op: 'count', cols: [`__c${i}`] };
    case 'sum':
    case 'mean':
    case 'variance':
    case 'stdev': {
      const [L, U] = a.bounds;
      if (a.grid.exponent === 0 && a.type === 'int') {
        inner.push(
          `${clamp(col(a.column), p.add(BigInt(L), BIGINT), p.add(BigInt(U), BIGINT))} AS ${v}`
        );
      } else {
        const scale = p.add(2 ** -a.grid.exponent, DOUBLE);
        inner.push(
          `CAST(round(${clamp(finiteDouble(a.column), p.add(L, DOUBLE), p.add(U, DOUBLE))} * ${scale}) AS BIGINT) AS ${v}`
        );
      }
      outer.push(
        `count(${v}) AS "__n${i}"`,
        `sum(${v}) AS "__s${i}"`,
        `sum(${v} * ${v}) AS "__q${i}"`
      );
      return { op: 'moments', cols: [`__n${i}`, `__s${i}`, `__q${i}`] };
    }
    case 'quantile':
    case 'median': {
      const [L, U] = a.bounds;
      inner.push(`${clamp(finiteDouble(a.column), p.add(L, DOUBLE), p.add(U, DOUBLE))} AS ${v}`);
      const cands = p.add(listValue(a.candidates), LIST(DOUBLE));
      outer.push(
        `count(${v}) AS "__n${i}"`,
        `histogram(${v}, ${cands}) AS "__h${i}"`,
        `histogram_exact(${v}, ${cands}) AS "__e${i}"`
      );
      return { op: 'quantile', cols: [`__n${i}`, `__h${i}`, `__e${i}`] };
    }
    case 'histogram': {
      if (a.edges) {
        const e = a.edges;
        inner.push(
          `${clamp(finiteDouble(a.column), p.add(e[0], DOUBLE), p.add(e[e.length - 1], DOUBLE))} AS ${v}`
        );
        const boundaries = e.slice(1);
        outer.push(`histogram(${v}, ${p.add(listValue(boundaries), LIST(DOUBLE))}) AS "__h${i}"`);
        return { op: 'histogram-edges', cols: [`__h${i}`], boundaries };
      }
      const cats = a.categories ?? [];
      const isBool = a.type === 'boolean';
      const list = isBool
        ? p.add(listValue(cats as boolean[]), LIST(BOOLEAN))
        : p.add(listValue(cats.map(c => String(c))), LIST(VARCHAR));
      const value = isBool ? col(a.column) : `CAST(${col(a.column)} AS VARCHAR)`;
      // Index of the value in the public list (1-based; NULL when absent): no "other" key can collide.
      inner.push(`list_position(${list}, ${value}) AS ${v}`);
      outer.push(`histogram(${v}) AS "__h${i}"`);
      return { op: 'histogram-categories', cols: [`__h${i}`], size: cats.length };
    }
  }
}

export class ExprCompiler {
  constructor(private readonly p: Params) {}

  compile(e: RExpr): string {
    switch (e.k) {
      case 'col':
        return quoteIdent(e.name);
      case 'lit':
        return this.lit(e.value, e.type);
      case 'neg':
        return e.type === 'int' ? `TRY(-(${this.compile(e.arg)}))` : `(-(${this.compile(e.arg)}))`;
      case 'not':
        return `(NOT ${this.compile(e.arg)})`;
      case 'arith': {
        const l = this.compile(e.left);
        const r = this.compile(e.right);
        if (e.op === '/') return `(CAST(${l} AS DOUBLE) / NULLIF(CAST(${r} AS DOUBLE), 0))`;
        if (e.type === 'int') {
          if (e.op === '%') return `TRY(${l} % NULLIF(${r}, 0))`;
          return `TRY(${l} ${e.op} ${r})`;
        }
        if (e.op === '%') return `(CAST(${l} AS DOUBLE) % NULLIF(CAST(${r} AS DOUBLE), 0))`;
        return `(CAST(${l} AS DOUBLE) ${e.op} CAST(${r} AS DOUBLE))`;
      }
      case 'cmp': {
        const op = e.op === '==' ? '=' : e.op === '!=' ? '<>' : e.op;
        const ordered = op !== '=' && op !== '<>';
        const side = (x: RExpr) => {
          const s = this.compile(x);
          // ENUM columns compare as text (ordering of an ENUM is its declaration order).
          return ordered && x.type === 'string' ? `CAST(${s} AS VARCHAR)` : s;
        };
        return `(${side(e.left)} ${op} ${side(e.right)})`;
      }
      case 'logic':
        return `(${e.args.map(a => this.compile(a)).join(e.op === 'and' ? ' AND ' : ' OR ')})`;
      case 'cond': {
        const branch = (x: RExpr) => {
          const s = this.compile(x);
          if (e.type === 'float') return `CAST(${s} AS DOUBLE)`;
          if (e.type === 'string') return `CAST(${s} AS VARCHAR)`;
          return s;
        };
        return `(CASE WHEN ${this.compile(e.test)} THEN ${branch(e.then)} ELSE ${branch(e.else)} END)`;
      }
      case 'isnull':
        return `(${this.compile(e.arg)} IS ${e.negate ? 'NOT ' : ''}NULL)`;
      case 'call':
        return FUNCTION_SQL[e.fn](
          e.args.map(a => this.compile(a)),
          e.args.map(a => a.type)
        );
      case 'cast': {
        const s = this.compile(e.arg);
        if (e.type === 'int')
          return e.arg.type === 'int' ? s : `TRY_CAST(floor(CAST(${s} AS DOUBLE) + 0.5) AS BIGINT)`;
        if (e.type === 'float') return `TRY_CAST(${s} AS DOUBLE)`;
        return `CAST(${s} AS VARCHAR)`;
      }
    }
  }

  private lit(value: KeyValue, type: ValueType): string {
    if (type === 'datetime')
      return `TRY_CAST(${this.p.add(value === null ? null : String(value), VARCHAR)} AS TIMESTAMP)`;
    if (value === null) return this.p.add(null, SQL_TYPE[type]);
    if (type === 'int') return this.p.add(BigInt(value as number), BIGINT);
    if (type === 'float') return this.p.add(Number(value), DOUBLE);
    if (type === 'boolean') return this.p.add(Boolean(value), BOOLEAN);
    return this.p.add(String(value), VARCHAR);
  }
}
