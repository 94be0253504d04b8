import type { FnName, ValueType } from './types';

/**
 * What differs between the SQL engines the ONE plan compiler (compile.ts) targets: DuckDB
 * (embedded, default) and Trino (a dataset whose connector is `{ kind: "trino" }`). Everything else
 * — the row pipeline, clamping, the 2^k grid, public key filters, the result layout — is written
 * once in compile.ts. A dialect only spells things.
 *
 * Parameters: the compiler never splices a plan value into SQL text. It hands each value with a
 * neutral type to `Params`, which writes the dialect's placeholder. DuckDB binds them natively
 * ($n with a DuckDB type); Trino binds them through `EXECUTE IMMEDIATE '<text with ?>' USING …`
 * (engine/trino.ts), where each value is written as a typed literal by `trinoLiteral` below (the
 * one place that turns a value into Trino text; strings have their quotes doubled, numbers are
 * written from their exact JS spelling).
 */

export type ScalarParam = 'bigint' | 'integer' | 'double' | 'varchar' | 'boolean';
export type ParamType = ScalarParam | { list: ScalarParam };
export type ParamValue = bigint | number | string | boolean | null | ParamValue[];

export interface BoundParam {
  value: ParamValue;
  type: ParamType;
}

export type FunctionSql = (args: string[], argTypes: ValueType[]) => string;

export interface Dialect {
  name: 'duckdb' | 'trino';
  /** Placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  isFinite(x: string): string;
  /** Is x one of the values of a list parameter? NULL when x is NULL. */
  inList(x: string, list: string): string;
  /** 1-based position of x in a list parameter; NULL or 0 when absent. */
  listPosition(list: string, x: string): string;
  /** An exact count, in a form the result decoder reads exactly. */
  count(x: string): string;
  /** Exact Σv and Σv² of BIGINT values |v| ≤ 2^31 (kernel-lib rules/grid.ts). */
  sum(v: string): string;
  sumSquares(v: string): string;
  /** Counts per bin (b_{i-1}, b_i] of a sorted DOUBLE list parameter; see `binsByIndex`. */
  bins(v: string, boundaries: string): string;
  /** Counts of values equal to each element of a DOUBLE list parameter. */
  binsExact(v: string, values: string): string;
  /** Counts per integer value (category positions). */
  histogram(v: string): string;
  /** Bin maps keyed by index (Trino) rather than by boundary value (DuckDB). */
  binsByIndex: boolean;
  /** A group key as the result decoder reads it exactly (Trino: integers and times as text). */
  keyOut(x: string, type: ValueType): string;
  /**
   * A grouped key as the statement returns it. DuckDB: a string key stored as an ENUM is grouped
   * on the ENUM and returned as VARCHAR, since reading an ENUM result builds its whole value list
   * per chunk (flights-3m, 3,376 public origins: about 8 ms a query). The same strings.
   */
  keyResult(x: string, type: ValueType): string;
  /** A datetime literal from its bound text. */
  timestamp(text: string): string;
  /** The plan's ISO 8601 text as the engine's cast reads it. */
  timestampText(iso: string): string;
  /** The stored type of a datetime column. */
  timestampType: string;
  functions: Record<FnName, FunctionSql>;
}

const asDouble = (s: string) => `CAST(${s} AS DOUBLE)`;
const asText = (s: string, t: ValueType) => (t === 'string' ? `CAST(${s} AS VARCHAR)` : s);

/** JS Math.min/max propagate NULL; SQL least()/greatest() may skip NULLs: keep NULL as NULL. */
const extremum =
  (sqlFn: string): FunctionSql =>
  a =>
    `(CASE WHEN ${a.map(x => `${x} IS NULL`).join(' OR ')} THEN NULL ELSE ${sqlFn}(${a.join(', ')}) END)`;

const stringTest =
  (sqlFn: string): FunctionSql =>
  (a, t) =>
    `${sqlFn}(${asText(a[0], t[0])}, ${asText(a[1], t[1])})`;

/**
 * The whitelisted functions (their types and public domains are plan rules: lomas-kernel/protocol,
 * rules/functions.ts). Every template is TOTAL on its inputs: where the engine would raise (log of
 * 0, integer overflow, exp overflow) the result is NULL instead, so a query never fails because of
 * a private value. Arguments arrive compiled and parenthesised.
 */
const COMMON_FUNCTIONS: Omit<Record<FnName, FunctionSql>, 'endsWith' | 'includes' | 'weekday'> = {
  // abs(INT64 min) overflows: TRY makes it NULL (both engines have TRY).
  abs: a => `TRY(abs(${a[0]}))`,
  // round/floor/ceil give integers (like Math.round/floor/ceil), as BIGINT; out of range → NULL.
  round: (a, t) => (t[0] === 'int' ? a[0] : `TRY_CAST(floor(${asDouble(a[0])} + 0.5) AS BIGINT)`),
  floor: (a, t) => (t[0] === 'int' ? a[0] : `TRY_CAST(floor(${a[0]}) AS BIGINT)`),
  ceil: (a, t) => (t[0] === 'int' ? a[0] : `TRY_CAST(ceil(${a[0]}) AS BIGINT)`),
  // ln(x ≤ 0) raises in DuckDB; it is NULL here.
  log: a => `(CASE WHEN ${asDouble(a[0])} > 0 THEN ln(${asDouble(a[0])}) END)`,
  exp: a => `(CASE WHEN ${asDouble(a[0])} <= 709 THEN exp(${asDouble(a[0])}) END)`,
  sqrt: a => `(CASE WHEN ${asDouble(a[0])} >= 0 THEN sqrt(${asDouble(a[0])}) END)`,
  min: extremum('least'),
  max: extremum('greatest'),
  startsWith: stringTest('starts_with'),
  lower: a => `lower(CAST(${a[0]} AS VARCHAR))`,
  upper: a => `upper(CAST(${a[0]} AS VARCHAR))`,
  length: a => `length(CAST(${a[0]} AS VARCHAR))`,
  year: a => `year(${a[0]})`,
  month: a => `month(${a[0]})`,
  day: a => `day(${a[0]})`,
  hour: a => `hour(${a[0]})`
};

export const DUCKDB: Dialect = {
  name: 'duckdb',
  placeholder: n => `$${n}`,
  isFinite: x => `isfinite(${x})`,
  inList: (x, list) => `${x} IN (SELECT unnest(${list}))`,
  listPosition: (list, x) => `list_position(${list}, ${x})`,
  count: x => `count(${x})`,
  // sum(BIGINT) is a 128-bit HUGEINT in DuckDB: exact (rules/grid.ts).
  sum: v => `sum(${v})`,
  sumSquares: v => `sum(${v} * ${v})`,
  bins: (v, b) => `histogram(${v}, ${b})`,
  binsExact: (v, b) => `histogram_exact(${v}, ${b})`,
  histogram: v => `histogram(${v})`,
  binsByIndex: false,
  keyOut: x => x,
  keyResult: (x, type) => (type === 'string' ? `CAST(${x} AS VARCHAR)` : x),
  timestamp: text => `TRY_CAST(${text} AS TIMESTAMP)`,
  timestampText: iso => iso,
  timestampType: 'TIMESTAMP',
  functions: {
    ...COMMON_FUNCTIONS,
    endsWith: stringTest('ends_with'),
    includes: stringTest('contains'),
    // JS getDay(): 0 = Sunday … 6 = Saturday; DuckDB dayofweek has the same convention.
    weekday: a => `dayofweek(${a[0]})`
  }
};

/** Trino sends BIGINT and counts as JSON numbers (lossy above 2^53): they travel as text. */
const trinoExact = (x: string) => `CAST(${x} AS VARCHAR)`;
/** A Trino map(bigint, bigint) as map(bigint, varchar): exact counts. */
const trinoCounts = (m: string) => `transform_values(${m}, (k, c) -> CAST(c AS VARCHAR))`;

export const TRINO: Dialect = {
  name: 'trino',
  placeholder: n => `\u0000${n}\u0000`,
  isFinite: x => `is_finite(${x})`,
  inList: (x, list) => `contains(${list}, ${x})`,
  listPosition: (list, x) => `array_position(${list}, ${x})`,
  count: x => trinoExact(`count(${x})`),
  /**
   * DECIMAL(38,0) holds ±(10^38 − 1). Every |v| ≤ 2^31 and v² ≤ 2^62 (the grid rule), and a Trino
   * table holds fewer than 2^63 rows (its counts are BIGINT), so |Σv| < 2^94 and Σv² < 2^125 <
   * 4.3·10^37 < 10^38: no sum can overflow, from the public grid alone (query/PROOF.md).
   */
  sum: v => trinoExact(`sum(CAST(${v} AS DECIMAL(38,0)))`),
  sumSquares: v => trinoExact(`sum(CAST(${v} * ${v} AS DECIMAL(38,0)))`),
  // Bin i (0-based) holds (b_{i-1}, b_i]: i = #{b < v}. NULL stays out of every bin.
  bins: (v, b) =>
    trinoCounts(
      `histogram(CASE WHEN ${v} IS NOT NULL THEN cardinality(filter(${b}, c -> c < ${v})) END)`
    ),
  binsExact: (v, b) =>
    trinoCounts(`histogram(CASE WHEN ${v} IS NOT NULL THEN array_position(${b}, ${v}) END)`),
  histogram: v => trinoCounts(`histogram(${v})`),
  binsByIndex: true,
  keyOut: (x, type) => (type === 'int' || type === 'datetime' ? trinoExact(x) : x),
  keyResult: x => x,
  timestamp: text => `TRY_CAST(${text} AS TIMESTAMP(6))`,
  // Trino's cast reads "YYYY-MM-DD HH:MM:SS[.f]": no "T", no "Z" (values are UTC already).
  timestampText: iso => iso.replace('T', ' ').replace(/Z$/i, ''),
  timestampType: 'TIMESTAMP(6)',
  functions: {
    ...COMMON_FUNCTIONS,
    endsWith: (a, t) => {
      const [x, y] = [asText(a[0], t[0]), asText(a[1], t[1])];
      return `(CASE WHEN ${x} IS NULL OR ${y} IS NULL THEN NULL WHEN length(${y}) > length(${x}) THEN false ELSE substr(${x}, length(${x}) - length(${y}) + 1) = ${y} END)`;
    },
    includes: (a, t) => `(strpos(${asText(a[0], t[0])}, ${asText(a[1], t[1])}) > 0)`,
    // Trino's day_of_week is ISO (1 = Monday … 7 = Sunday); JS getDay() has Sunday = 0.
    weekday: a => `(day_of_week(${a[0]}) % 7)`
  }
};

/** Where the compiler puts a plan value: it returns the placeholder to write in the SQL. */
export interface Binder {
  readonly dialect: Dialect;
  add(value: ParamValue, type: ParamType): string;
}

/** The parameters of one statement, numbered in the order they are added. */
export class Bindings implements Binder {
  readonly bound: BoundParam[] = [];
  constructor(readonly dialect: Dialect) {}
  add(value: ParamValue, type: ParamType): string {
    this.bound.push({ value, type });
    return this.dialect.placeholder(this.bound.length);
  }
}

const TRINO_TYPE: Record<ScalarParam, string> = {
  bigint: 'BIGINT',
  integer: 'INTEGER',
  double: 'DOUBLE',
  varchar: 'VARCHAR',
  boolean: 'BOOLEAN'
};

/**
 * A bound value as a Trino literal of its declared type, for EXECUTE IMMEDIATE … USING. Values come
 * from the checked plan and the public metadata, typed by the compiler: integers are bigint (or
 * safe integers), doubles are JS numbers written in their shortest exact spelling (Java reads it
 * back to the same double), strings are quoted with inner quotes doubled (Trino string literals
 * have no other escape).
 */
export function trinoLiteral(p: BoundParam): string {
  const { value, type } = p;
  if (typeof type === 'object') {
    if (!Array.isArray(value)) throw new TypeError('a list parameter needs an array');
    const items = value.map(v => trinoLiteral({ value: v, type: type.list }));
    return `CAST(ARRAY[${items.join(', ')}] AS ARRAY(${TRINO_TYPE[type.list]}))`;
  }
  if (value === null) return `CAST(NULL AS ${TRINO_TYPE[type]})`;
  switch (type) {
    case 'bigint':
    case 'integer': {
      if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isSafeInteger(value)))
        throw new TypeError('an integer parameter is not an integer');
      return `${TRINO_TYPE[type]} '${BigInt(value)}'`;
    }
    case 'double': {
      if (typeof value !== 'number') throw new TypeError('a double parameter is not a number');
      if (Number.isNaN(value)) return 'nan()';
      if (value === Infinity) return 'infinity()';
      if (value === -Infinity) return '-infinity()';
      return `DOUBLE '${Object.is(value, -0) ? '-0' : String(value)}'`;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new TypeError('a boolean parameter is not a boolean');
      return value ? 'true' : 'false';
    case 'varchar':
      return `'${String(value).replace(/'/g, "''")}'`;
  }
}

/**
 * The statement Trino runs: the compiled text (its placeholders replaced by `?` in text order) as
 * one string literal, and the values after USING in that same order.
 */
export function trinoStatement(sql: string, bound: readonly BoundParam[]): string {
  const using: string[] = [];
  const text = sql.replace(/\u0000(\d+)\u0000/g, (_, n: string) => {
    using.push(trinoLiteral(bound[Number(n) - 1]));
    return '?';
  });
  const body = `'${text.replace(/'/g, "''")}'`;
  return using.length
    ? `EXECUTE IMMEDIATE ${body} USING ${using.join(', ')}`
    : `EXECUTE IMMEDIATE ${body}`;
}
