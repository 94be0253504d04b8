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
import { PLAN_LIMITS, SCALED_BITS, exactSumRange, needsSumSquares } from 'lomas-kernel/protocol';
import {
  Bindings,
  DUCKDB,
  trinoStatement,
  type Binder,
  type Dialect,
  type ParamType,
  type ParamValue,
  type ScalarParam
} from './dialect';
import type { CheckedPlan, KeyValue, RAggregation, RExpr, RGroupBy, ValueType } from './types';

/**
 * Compiles a checked plan to ONE parameterised statement, in the dialect of the dataset's engine
 * (query/dialect.ts: DuckDB by default, Trino for a `trino` connector). One compiler: the dialect
 * only spells quoting-free details (function names, parameter syntax, exact result encodings).
 *
 *  - Identifiers: every column name was checked against the metadata / derived scope by
 *    the plan checker, and is still double-quoted here with inner quotes doubled.
 *  - Literals: every value from the plan (and every bound, candidate, category) is a bound
 *    parameter ($n with an explicit type). No plan value is ever spliced into the SQL text.
 *  - Functions: only the templates of the dialect (query/dialect.ts).
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
  | { op: 'moments'; cols: [string, string] | [string, string, string] }
  | { op: 'quantile'; cols: [string, string, string] }
  | { op: 'histogram-edges'; cols: [string]; boundaries: number[] }
  | { op: 'histogram-categories'; cols: [string]; size: number };

export interface StorageInfo {
  /** Name of the loaded table. */
  table: string;
  /**
   * The rows as a relation, when they are not a loaded table (Trino: the projection onto the
   * metadata and the truncation to max_ids, engine/trino.ts); its values go through the binder.
   */
  relation?: (p: Binder) => string;
  /** Columns of the loaded table, in order. */
  columns: readonly string[];
  /** Columns stored as a DuckDB ENUM, with the ENUM's values in declaration order. */
  enums?: Readonly<Record<string, readonly string[]>>;
  /** Columns that hold one of these public categories or NULL, nothing else (Trino's projection). */
  categories?: Readonly<Record<string, readonly string[]>>;
}

export { quoteIdent };

const DUCK_TYPE: Record<ScalarParam, DuckDBType> = {
  bigint: BIGINT,
  integer: INTEGER,
  double: DOUBLE,
  varchar: VARCHAR,
  boolean: BOOLEAN
};

const isNeutral = (t: DuckDBType | ParamType): t is ParamType =>
  typeof t === 'string' || (typeof t === 'object' && 'list' in t && !('typeId' in t));

function duckValue(v: ParamValue, t: ScalarParam): DuckDBValue {
  if (v === null) return null;
  if (t === 'bigint') return BigInt(v as number | bigint);
  return v as DuckDBValue;
}

/**
 * DuckDB's parameters ($n with explicit types). Takes the compiler's neutral types and, for the
 * model SQL (models/sql.ts), DuckDB types directly.
 */
export class Params implements Binder {
  readonly dialect = DUCKDB;
  readonly values: DuckDBValue[] = [];
  readonly types: DuckDBType[] = [];
  add(value: DuckDBValue | ParamValue, type: DuckDBType | ParamType): string {
    if (!isNeutral(type)) {
      this.values.push(value as DuckDBValue);
      this.types.push(type);
    } else if (typeof type === 'object') {
      const items = (value as ParamValue[]).map(v => duckValue(v, type.list));
      this.values.push(listValue(items));
      this.types.push(LIST(DUCK_TYPE[type.list]));
    } else {
      this.values.push(duckValue(value as ParamValue, type));
      this.types.push(DUCK_TYPE[type]);
    }
    return `$${this.values.length}`;
  }
}

const SQL_TYPE: Record<ValueType, ScalarParam> = {
  int: 'bigint',
  float: 'double',
  string: 'varchar',
  boolean: 'boolean',
  datetime: 'varchar' // bound as ISO text, then TRY_CAST to TIMESTAMP
};

const SCALED_MAX = 2n ** BigInt(SCALED_BITS);

/**
 * The range the exact sums rely on (query/PROOF.md): every scaled value |n| ≤ 2^31, so DuckDB's
 * HUGEINT and Trino's DECIMAL(38,0) sums cannot overflow. Called before the charge
 * (domain/queries.ts) and again here; the grid rule makes it always hold.
 */
export function checkExactSums(plan: CheckedPlan): void {
  for (const a of plan.aggregations) {
    if (a.op !== 'sum' && a.op !== 'mean' && a.op !== 'variance' && a.op !== 'stdev') continue;
    const { lowerScaled, upperScaled } = a.grid;
    const big = (n: bigint) => n > SCALED_MAX || n < -SCALED_MAX;
    if (big(lowerScaled) || big(upperScaled)) throw exactSumRange(a.column);
  }
}

export function compile(
  plan: CheckedPlan,
  storage: StorageInfo,
  dialect: Dialect = DUCKDB
): CompiledQuery {
  checkExactSums(plan);
  const duck = dialect === DUCKDB ? new Params() : null;
  const p: Binder = duck ?? new Bindings(dialect);
  const x = new ExprCompiler(p);
  let current = [...storage.columns];
  // Stored columns no derive step has replaced (their storage type, e.g. ENUM, still holds).
  const stored = new Set(storage.columns);

  // 1. The row pipeline: nested subqueries, one per step.
  let rel = storage.relation ? storage.relation(p) : quoteIdent(storage.table);
  for (const s of plan.steps) {
    if (s.kind === 'filter') {
      rel = `(SELECT * FROM ${rel} AS t WHERE ${x.compile(s.predicate)})`;
    } else if (s.kind === 'select') {
      rel = `(SELECT ${s.columns.map(quoteIdent).join(', ')} FROM ${rel} AS t)`;
      current = [...s.columns];
    } else {
      // Every column by name (no engine-specific `* REPLACE`): replaced ones keep their place.
      const derived = new Map(s.columns.map(c => [c.name, c.expr]));
      const fresh = s.columns.filter(c => !current.includes(c.name)).map(c => c.name);
      const list = [...current, ...fresh].map(name => {
        const e = derived.get(name);
        return e ? `${x.compile(e)} AS ${quoteIdent(name)}` : quoteIdent(name);
      });
      rel = `(SELECT ${list.join(', ')} FROM ${rel} AS t)`;
      current.push(...fresh);
      for (const c of s.columns) stored.delete(c.name);
    }
  }

  // 2. Per-row inputs: group keys and aggregation values.
  const inner: string[] = [];
  const keys = plan.groupBy?.keys ?? [];
  keys.forEach((k, i) => inner.push(`${dialect.keyOut(quoteIdent(k.name), k.type)} AS "__k${i}"`));
  const outer: string[] = keys.map(
    (k, i) => `${dialect.keyResult(`"__k${i}"`, k.type)} AS "__k${i}"`
  );
  outer.push(`${dialect.count('*')} AS "__rows"`);
  const layout: AggLayout[] = plan.aggregations.map((a, i) => aggregation(a, i, p, inner, outer));

  const innerSql = inner.length ? inner.join(', ') : '1 AS "__one"';
  const g = plan.groupBy;
  const filter =
    g?.mode === 'public'
      ? publicKeyFilter(
          g,
          p,
          name => (stored.has(name) ? storage.enums?.[name] : undefined),
          name => (stored.has(name) ? storage.categories?.[name] : undefined)
        )
      : null;
  const where = filter ? ` WHERE ${filter}` : '';
  let sql = `SELECT ${outer.join(', ')} FROM (SELECT ${innerSql} FROM ${rel} AS t${where}) AS v`;
  if (keys.length) sql += ` GROUP BY ${keys.map((_, i) => `"__k${i}"`).join(', ')}`;
  // One row beyond the public cap is enough to know the cap was exceeded (a public constant).
  if (g?.mode === 'discover') sql += ` LIMIT ${PLAN_LIMITS.discoveredGroups + 1}`;
  if (duck) return { sql, params: duck.values, types: duck.types, layout, keyCount: keys.length };
  const bound = (p as Bindings).bound;
  return { sql: trinoStatement(sql, bound), params: [], types: [], layout, keyCount: keys.length };
}

/**
 * Public keys: only rows whose keys are among the public values are grouped, so the number of
 * groups the engine builds is at most the public product (a high-cardinality column cannot blow
 * up memory) and depends on nothing private. Keys are filtered one by one: the product of the
 * per-key sets is exactly the set of public groups. Null when no row needs filtering.
 */
function publicKeyFilter(
  g: Extract<RGroupBy, { mode: 'public' }>,
  p: Binder,
  enumOf: (name: string) => readonly string[] | undefined,
  categoriesOf: (name: string) => readonly string[] | undefined
): string | null {
  const conditions = g.keys
    .map((k, i) =>
      keyCondition(k.name, k.type, g.values[i], p, enumOf(k.name), categoriesOf(k.name))
    )
    .filter((c): c is string => c !== null);
  return conditions.length > 0 ? conditions.join(' AND ') : null;
}

/** The rows whose key is one of `values`, or null when that is every row. */
function keyCondition(
  name: string,
  type: ValueType,
  values: readonly KeyValue[],
  p: Binder,
  enumValues: readonly string[] | undefined,
  categories: readonly string[] | undefined
): string | null {
  const c = quoteIdent(name);
  const present = values.filter((v): v is string | number | boolean => v !== null);
  const withNull = values.includes(null);
  let member: string | null;
  // Sets and maps, not includes/indexOf in a loop: thousands of public keys (flights' 3,376
  // airports) made this quadratic, tens of milliseconds per query.
  const presentSet = new Set<unknown>(present);
  if (categories && categories.every(cat => presentSet.has(cat))) {
    // Every value the column can hold is public: only NULL may need filtering.
    return withNull ? null : `${c} IS NOT NULL`;
  } else if (enumValues) {
    // A stored ENUM: compare its integer codes (values outside the ENUM cannot occur).
    const codeOf = new Map<string, number>();
    enumValues.forEach((v, i) => codeOf.has(v) || codeOf.set(v, i));
    const codes = [...new Set(present.map(v => codeOf.get(String(v)) ?? -1))].filter(i => i >= 0);
    if (codes.length === enumValues.length) return withNull ? null : `${c} IS NOT NULL`;
    member =
      codes.length > 0
        ? `enum_code(${c}) IN (SELECT unnest(${p.add(codes, { list: 'integer' })}))`
        : null;
  } else if (type === 'boolean' && present.includes(true) && present.includes(false)) {
    return withNull ? null : `${c} IS NOT NULL`;
  } else if (present.length > 0) {
    const list =
      type === 'int'
        ? p.add(
            present.map(v => BigInt(v as number)),
            { list: 'bigint' }
          )
        : type === 'boolean'
          ? p.add(present as boolean[], { list: 'boolean' })
          : p.add(
              present.map(v => String(v)),
              { list: 'varchar' }
            );
    member = p.dialect.inList(type === 'string' ? `CAST(${c} AS VARCHAR)` : c, list);
  } else member = null;
  const parts = [member, withNull ? `${c} IS NULL` : null].filter((x): x is string => x !== null);
  return parts.length > 0 ? `(${parts.join(' OR ')})` : 'false';
}

function aggregation(
  a: RAggregation,
  i: number,
  p: Binder,
  inner: string[],
  outer: string[]
): AggLayout {
  const d = p.dialect;
  const v = `"__a${i}"`;
  const col = (name: string) => quoteIdent(name);
  const finiteDouble = (name: string) =>
    `(CASE WHEN ${d.isFinite(`CAST(${col(name)} AS DOUBLE)`)} THEN CAST(${col(name)} AS DOUBLE) END)`;
  // DuckDB's least/greatest SKIP NULLs (greatest(NULL, 1) = 1): keep NULL as NULL explicitly.
  const clamp = (x: string, lo: string, hi: string) =>
    `(CASE WHEN ${x} IS NOT NULL THEN least(greatest(${x}, ${lo}), ${hi}) END)`;
  switch (a.op) {
    case 'count':
      if (a.column === undefined) return { op: 'count', cols: [] };
      inner.push(`${col(a.column)} AS ${v}`);
      outer.push(`${d.count(v)} AS "__c${i}"`);
      return { op: 'count', cols: [`__c${i}`] };
    case 'sum':
    case 'mean':
    case 'variance':
    case 'stdev': {
      const [L, U] = a.bounds;
      if (a.grid.exponent === 0 && a.type === 'int') {
        inner.push(
          `${clamp(col(a.column), p.add(BigInt(L), 'bigint'), p.add(BigInt(U), 'bigint'))} AS ${v}`
        );
      } else {
        const scale = p.add(2 ** -a.grid.exponent, 'double');
        // round() is half away from zero in both engines.
        inner.push(
          `CAST(round(${clamp(finiteDouble(a.column), p.add(L, 'double'), p.add(U, 'double'))} * ${scale}) AS BIGINT) AS ${v}`
        );
      }
      outer.push(`${d.count(v)} AS "__n${i}"`, `${d.sum(v)} AS "__s${i}"`);
      // Squares only where they are released (flights-3m mean: a third of the statement's time).
      if (!needsSumSquares(a.op)) return { op: 'moments', cols: [`__n${i}`, `__s${i}`] };
      outer.push(`${d.sumSquares(v)} AS "__q${i}"`);
      return { op: 'moments', cols: [`__n${i}`, `__s${i}`, `__q${i}`] };
    }
    case 'quantile':
    case 'median': {
      const [L, U] = a.bounds;
      inner.push(
        `${clamp(finiteDouble(a.column), p.add(L, 'double'), p.add(U, 'double'))} AS ${v}`
      );
      // One parameter used twice (Trino's USING list repeats it: query/dialect.ts).
      const cands = p.add(a.candidates, { list: 'double' });
      outer.push(
        `${d.count(v)} AS "__n${i}"`,
        `${d.bins(v, cands)} AS "__h${i}"`,
        `${d.binsExact(v, cands)} AS "__e${i}"`
      );
      return { op: 'quantile', cols: [`__n${i}`, `__h${i}`, `__e${i}`] };
    }
    case 'histogram': {
      if (a.edges) {
        const e = a.edges;
        inner.push(
          `${clamp(finiteDouble(a.column), p.add(e[0], 'double'), p.add(e[e.length - 1], 'double'))} AS ${v}`
        );
        const boundaries = e.slice(1);
        outer.push(`${d.bins(v, p.add(boundaries, { list: 'double' }))} AS "__h${i}"`);
        return { op: 'histogram-edges', cols: [`__h${i}`], boundaries };
      }
      const cats = a.categories ?? [];
      const isBool = a.type === 'boolean';
      const list = isBool
        ? p.add(cats as boolean[], { list: 'boolean' })
        : p.add(
            cats.map(c => String(c)),
            { list: 'varchar' }
          );
      const value = isBool ? col(a.column) : `CAST(${col(a.column)} AS VARCHAR)`;
      // Index of the value in the public list (1-based; NULL or 0 when absent): no "other" key
      // can collide with a category.
      inner.push(`${d.listPosition(list, value)} AS ${v}`);
      outer.push(`${d.histogram(v)} AS "__h${i}"`);
      return { op: 'histogram-categories', cols: [`__h${i}`], size: cats.length };
    }
  }
}

export class ExprCompiler {
  constructor(private readonly p: Binder) {}

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
        return this.p.dialect.functions[e.fn](
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
    const d = this.p.dialect;
    if (type === 'datetime') {
      const text = value === null ? null : d.timestampText(String(value));
      return d.timestamp(this.p.add(text, 'varchar'));
    }
    if (value === null) return this.p.add(null, SQL_TYPE[type]);
    if (type === 'int') return this.p.add(BigInt(value as number), 'bigint');
    if (type === 'float') return this.p.add(Number(value), 'double');
    if (type === 'boolean') return this.p.add(Boolean(value), 'boolean');
    return this.p.add(String(value), 'varchar');
  }
}
