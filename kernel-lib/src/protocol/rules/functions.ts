import { bounded, hasBounds, monotone } from './domain';
import type { Domain, FnName, RExpr, ValueType } from './types';

/**
 * The rules of the whitelisted functions: which argument types each accepts, its result type, and
 * the public domain of its result (interval arithmetic on the arguments' domains). The server
 * pairs each with a total SQL template (server/src/query/functions.ts): where SQL would raise
 * (log of 0, integer overflow) the result is NULL, and the domains below say so (`nullable`).
 */
export interface FunctionRule {
  /** Returns the result type, or a description of the accepted argument types. */
  check(args: RExpr[]): ValueType | string;
  domain(args: RExpr[], type: ValueType): Domain;
}

const isNum = (t: ValueType) => t === 'int' || t === 'float';
const anyNull = (args: RExpr[]) => args.some(a => a.dom.nullable);

function numeric1(resultInt: (t: ValueType) => boolean) {
  return (args: RExpr[]): ValueType | string =>
    isNum(args[0].type) ? (resultInt(args[0].type) ? 'int' : 'float') : 'a number';
}

function datePart(fn: string, lo: number, hi: number): FunctionRule {
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
    }
  };
}

const stringTest: FunctionRule = {
  check: a => (a[0].type === 'string' && a[1].type === 'string' ? 'boolean' : 'two strings'),
  domain: a => ({ nullable: anyNull(a) })
};

function caseMap(f: (s: string) => string): FunctionRule {
  return {
    check: a => (a[0].type === 'string' ? 'string' : 'a string'),
    domain: a => {
      const c = a[0].dom.categories;
      return c
        ? { nullable: a[0].dom.nullable, categories: [...new Set(c.map(f))] }
        : { nullable: a[0].dom.nullable };
    }
  };
}

function extremum(pick: (...xs: number[]) => number): FunctionRule {
  return {
    check: a =>
      a.every(x => isNum(x.type)) ? (a.every(x => x.type === 'int') ? 'int' : 'float') : 'numbers',
    domain: (a, t) =>
      a.every(x => hasBounds(x.dom))
        ? bounded(
            pick(...a.map(x => x.dom.lower!)),
            pick(...a.map(x => x.dom.upper!)),
            anyNull(a),
            t === 'int'
          )
        : { nullable: anyNull(a) }
  };
}

export const FUNCTION_RULES: Record<FnName, FunctionRule> = {
  abs: {
    check: numeric1(t => t === 'int'),
    domain: (a, t) => {
      const d = a[0].dom;
      if (!hasBounds(d)) return { nullable: d.nullable || t === 'int' };
      const lo = d.lower <= 0 && d.upper >= 0 ? 0 : Math.min(Math.abs(d.lower), Math.abs(d.upper));
      return bounded(lo, Math.max(Math.abs(d.lower), Math.abs(d.upper)), d.nullable, t === 'int');
    }
  },
  // round/floor/ceil give integers (like Math.round/floor/ceil); out of range → NULL.
  round: {
    check: numeric1(() => true),
    domain: a => monotone(a[0].dom, Math.round, true, !hasBounds(a[0].dom))
  },
  floor: {
    check: numeric1(() => true),
    domain: a => monotone(a[0].dom, Math.floor, true, !hasBounds(a[0].dom))
  },
  ceil: {
    check: numeric1(() => true),
    domain: a => monotone(a[0].dom, Math.ceil, true, !hasBounds(a[0].dom))
  },
  log: {
    check: numeric1(() => false),
    domain: a => {
      const d = a[0].dom;
      if (hasBounds(d) && d.lower > 0)
        return bounded(Math.log(d.lower), Math.log(d.upper), d.nullable);
      return { nullable: true };
    }
  },
  exp: {
    check: numeric1(() => false),
    domain: a => monotone(a[0].dom, Math.exp, false, true)
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
    }
  },
  min: extremum(Math.min),
  max: extremum(Math.max),
  startsWith: stringTest,
  endsWith: stringTest,
  includes: stringTest,
  lower: caseMap(s => s.toLowerCase()),
  upper: caseMap(s => s.toUpperCase()),
  length: {
    check: a => (a[0].type === 'string' ? 'int' : 'a string'),
    domain: a => {
      const c = a[0].dom.categories;
      if (c && c.length > 0) {
        const ls = c.map(s => [...s].length);
        return bounded(Math.min(...ls), Math.max(...ls), a[0].dom.nullable, true);
      }
      return { lower: 0, upper: 2 ** 31, nullable: a[0].dom.nullable };
    }
  },
  year: datePart('year', 1, 9999),
  month: datePart('month', 1, 12),
  day: datePart('day', 1, 31),
  hour: datePart('hour', 0, 23),
  // JS getDay(): 0 = Sunday … 6 = Saturday (SQL dayofweek has the same convention).
  weekday: datePart('dayofweek', 0, 6)
};
