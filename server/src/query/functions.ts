import { bounded, hasBounds, monotone, unionDomains } from './domain';
import type { Domain, FnName, RExpr, ValueType } from './types';

/**
 * The function whitelist: each wire `call` name maps to a fixed DuckDB SQL template, an argument
 * type check and a public result domain. Every template is TOTAL on its inputs: where DuckDB
 * would raise (log of 0, integer overflow, exp overflow) the result is NULL instead, so a query
 * can never fail because of a private value.
 */

export interface FnSpec {
  /** Returns the result type, or a message describing the accepted argument types. */
  check(args: RExpr[]): ValueType | string;
  domain(args: RExpr[], type: ValueType): Domain;
  /** SQL for compiled arguments (already parenthesised expressions). */
  sql(args: string[], argTypes: ValueType[]): string;
}

const isNum = (t: ValueType) => t === 'int' || t === 'float';
const anyNull = (args: RExpr[]) => args.some(a => a.dom.nullable);
const asDouble = (s: string) => `CAST(${s} AS DOUBLE)`;
const asText = (s: string, t: ValueType) => (t === 'string' ? `CAST(${s} AS VARCHAR)` : s);

function numeric1(resultInt: (t: ValueType) => boolean) {
  return (args: RExpr[]): ValueType | string =>
    isNum(args[0].type) ? (resultInt(args[0].type) ? 'int' : 'float') : 'a number';
}

function datePart(fn: string, lo: number, hi: number): FnSpec {
  return {
    check: a => (a[0].type === 'datetime' ? 'int' : 'a datetime'),
    domain: a => {
      const d = a[0].dom;
      if (fn === 'year' && hasBounds(d))
        return bounded(
          new Date(d.lower).getUTCFullYear(),
          new Date(d.upper).getUTCFullYear(),
          d.nullable,
          true
        );
      return bounded(lo, hi, d.nullable, true);
    },
    sql: a => `${fn}(${a[0]})`
  };
}

function stringTest(sqlFn: string): FnSpec {
  return {
    check: a => (a[0].type === 'string' && a[1].type === 'string' ? 'boolean' : 'two strings'),
    domain: a => ({ nullable: anyNull(a) }),
    sql: (a, t) => `${sqlFn}(${asText(a[0], t[0])}, ${asText(a[1], t[1])})`
  };
}

export const FUNCTIONS: Record<FnName, FnSpec> = {
  abs: {
    check: numeric1(t => t === 'int'),
    domain: (a, t) => {
      const d = a[0].dom;
      if (!hasBounds(d)) return { nullable: d.nullable || t === 'int' };
      const lo = d.lower <= 0 && d.upper >= 0 ? 0 : Math.min(Math.abs(d.lower), Math.abs(d.upper));
      return bounded(lo, Math.max(Math.abs(d.lower), Math.abs(d.upper)), d.nullable, t === 'int');
    },
    // abs(INT64 min) overflows: TRY makes it NULL.
    sql: a => `TRY(abs(${a[0]}))`
  },
  // round/floor/ceil give integers (like Math.round/floor/ceil), as BIGINT; out of range → NULL.
  round: {
    check: numeric1(() => true),
    domain: a => monotone(a[0].dom, Math.round, true, !hasBounds(a[0].dom)),
    sql: (a, t) => (t[0] === 'int' ? a[0] : `TRY_CAST(floor(${asDouble(a[0])} + 0.5) AS BIGINT)`)
  },
  floor: {
    check: numeric1(() => true),
    domain: a => monotone(a[0].dom, Math.floor, true, !hasBounds(a[0].dom)),
    sql: (a, t) => (t[0] === 'int' ? a[0] : `TRY_CAST(floor(${a[0]}) AS BIGINT)`)
  },
  ceil: {
    check: numeric1(() => true),
    domain: a => monotone(a[0].dom, Math.ceil, true, !hasBounds(a[0].dom)),
    sql: (a, t) => (t[0] === 'int' ? a[0] : `TRY_CAST(ceil(${a[0]}) AS BIGINT)`)
  },
  log: {
    check: numeric1(() => false),
    domain: a => {
      const d = a[0].dom;
      if (hasBounds(d) && d.lower > 0)
        return bounded(Math.log(d.lower), Math.log(d.upper), d.nullable);
      return { nullable: true };
    },
    // ln(x ≤ 0) raises in DuckDB; it is NULL here.
    sql: a => `(CASE WHEN ${asDouble(a[0])} > 0 THEN ln(${asDouble(a[0])}) END)`
  },
  exp: {
    check: numeric1(() => false),
    domain: a => monotone(a[0].dom, Math.exp, false, true),
    sql: a => `(CASE WHEN ${asDouble(a[0])} <= 709 THEN exp(${asDouble(a[0])}) END)`
  },
  sqrt: {
    check: numeric1(() => false),
    domain: a => {
      const d = a[0].dom;
      if (hasBounds(d) && d.lower >= 0)
        return bounded(Math.sqrt(d.lower), Math.sqrt(d.upper), d.nullable);
      return hasBounds(d) && d.upper >= 0
        ? bounded(0, Math.sqrt(d.upper), true)
        : { nullable: true };
    },
    sql: a => `(CASE WHEN ${asDouble(a[0])} >= 0 THEN sqrt(${asDouble(a[0])}) END)`
  },
  min: {
    check: a =>
      a.every(x => isNum(x.type)) ? (a.every(x => x.type === 'int') ? 'int' : 'float') : 'numbers',
    domain: (a, t) =>
      a.every(x => hasBounds(x.dom))
        ? bounded(
            Math.min(...a.map(x => x.dom.lower!)),
            Math.min(...a.map(x => x.dom.upper!)),
            anyNull(a),
            t === 'int'
          )
        : { nullable: anyNull(a) },
    // JS Math.min is NaN/null-propagating; SQL least() skips NULLs — we propagate NULL like JS.
    sql: a =>
      `(CASE WHEN ${a.map(x => `${x} IS NULL`).join(' OR ')} THEN NULL ELSE least(${a.join(', ')}) END)`
  },
  max: {
    check: a =>
      a.every(x => isNum(x.type)) ? (a.every(x => x.type === 'int') ? 'int' : 'float') : 'numbers',
    domain: (a, t) =>
      a.every(x => hasBounds(x.dom))
        ? bounded(
            Math.max(...a.map(x => x.dom.lower!)),
            Math.max(...a.map(x => x.dom.upper!)),
            anyNull(a),
            t === 'int'
          )
        : { nullable: anyNull(a) },
    sql: a =>
      `(CASE WHEN ${a.map(x => `${x} IS NULL`).join(' OR ')} THEN NULL ELSE greatest(${a.join(', ')}) END)`
  },
  startsWith: stringTest('starts_with'),
  endsWith: stringTest('ends_with'),
  includes: stringTest('contains'),
  lower: {
    check: a => (a[0].type === 'string' ? 'string' : 'a string'),
    domain: a => {
      const c = a[0].dom.categories;
      return c
        ? { nullable: a[0].dom.nullable, categories: [...new Set(c.map(s => s.toLowerCase()))] }
        : { nullable: a[0].dom.nullable };
    },
    sql: a => `lower(CAST(${a[0]} AS VARCHAR))`
  },
  upper: {
    check: a => (a[0].type === 'string' ? 'string' : 'a string'),
    domain: a => {
      const c = a[0].dom.categories;
      return c
        ? { nullable: a[0].dom.nullable, categories: [...new Set(c.map(s => s.toUpperCase()))] }
        : { nullable: a[0].dom.nullable };
    },
    sql: a => `upper(CAST(${a[0]} AS VARCHAR))`
  },
  length: {
    check: a => (a[0].type === 'string' ? 'int' : 'a string'),
    domain: a => {
      const c = a[0].dom.categories;
      if (c && c.length > 0) {
        const ls = c.map(s => [...s].length);
        return bounded(Math.min(...ls), Math.max(...ls), a[0].dom.nullable, true);
      }
      return { lower: 0, upper: 2 ** 31, nullable: a[0].dom.nullable };
    },
    sql: a => `length(CAST(${a[0]} AS VARCHAR))`
  },
  year: datePart('year', 1, 9999),
  month: datePart('month', 1, 12),
  day: datePart('day', 1, 31),
  hour: datePart('hour', 0, 23),
  // JS getDay(): 0 = Sunday … 6 = Saturday; DuckDB dayofweek has the same convention.
  weekday: datePart('dayofweek', 0, 6)
};

export { unionDomains };
