import type { FnName, ValueType } from './types';

/**
 * The SQL templates of the whitelisted functions (their types and public domains are rules of the
 * plan: lomas-kernel/protocol, rules/functions.ts). Every template is TOTAL on its inputs: where
 * DuckDB would raise (log of 0, integer overflow, exp overflow) the result is NULL instead, so a
 * query can never fail because of a private value. Arguments arrive compiled and parenthesised.
 */
export type FunctionSql = (args: string[], argTypes: ValueType[]) => string;

const asDouble = (s: string) => `CAST(${s} AS DOUBLE)`;
const asText = (s: string, t: ValueType) => (t === 'string' ? `CAST(${s} AS VARCHAR)` : s);

const stringTest =
  (sqlFn: string): FunctionSql =>
  (a, t) =>
    `${sqlFn}(${asText(a[0], t[0])}, ${asText(a[1], t[1])})`;

/** JS Math.min/max propagate NULL; SQL least()/greatest() skip NULLs: keep NULL as NULL. */
const extremum =
  (sqlFn: string): FunctionSql =>
  a =>
    `(CASE WHEN ${a.map(x => `${x} IS NULL`).join(' OR ')} THEN NULL ELSE ${sqlFn}(${a.join(', ')}) END)`;

export const FUNCTION_SQL: Record<FnName, FunctionSql> = {
  // abs(INT64 min) overflows: TRY makes it NULL.
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
  endsWith: stringTest('ends_with'),
  includes: stringTest('contains'),
  lower: a => `lower(CAST(${a[0]} AS VARCHAR))`,
  upper: a => `upper(CAST(${a[0]} AS VARCHAR))`,
  length: a => `length(CAST(${a[0]} AS VARCHAR))`,
  year: a => `year(${a[0]})`,
  month: a => `month(${a[0]})`,
  day: a => `day(${a[0]})`,
  hour: a => `hour(${a[0]})`,
  // JS getDay(): 0 = Sunday … 6 = Saturday; DuckDB dayofweek has the same convention.
  weekday: a => `dayofweek(${a[0]})`
};
