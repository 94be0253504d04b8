/**
 * Post-processing of a released table (HAVING, ORDER BY, LIMIT, the SELECT order). It reads only
 * released values, so it costs no privacy: any function of a DP release is as private as the
 * release. It is applied by the server (so every client gets the same table) and is deterministic.
 *
 * HAVING is a plan expression over the released columns (estimates and keys), interpreted here
 * with the plan's semantics: strict equality, comparisons with null are null, AND/OR/NOT in
 * three-valued logic, and a row is kept only where the condition is true.
 */
import type { Expr, Scalar } from '../plan';
import type { ReleaseResponse, ResultColumn, SqlPostProcess } from '../result';

type Row = ReleaseResponse['rows'][number];
type Value = Scalar;

function num(v: Value): number | null {
  return typeof v === 'number' ? v : null;
}

const FNS: Record<string, (a: Value[]) => Value> = {
  abs: ([x]) => (num(x) === null ? null : Math.abs(x as number)),
  round: ([x]) => (num(x) === null ? null : Math.floor((x as number) + 0.5)),
  floor: ([x]) => (num(x) === null ? null : Math.floor(x as number)),
  ceil: ([x]) => (num(x) === null ? null : Math.ceil(x as number)),
  log: ([x]) => (num(x) === null || (x as number) <= 0 ? null : Math.log(x as number)),
  exp: ([x]) => (num(x) === null ? null : Math.exp(x as number)),
  sqrt: ([x]) => (num(x) === null || (x as number) < 0 ? null : Math.sqrt(x as number)),
  min: a => (a.some(x => num(x) === null) ? null : Math.min(...(a as number[]))),
  max: a => (a.some(x => num(x) === null) ? null : Math.max(...(a as number[]))),
  startsWith: ([s, t]) => (typeof s === 'string' && typeof t === 'string' ? s.startsWith(t) : null),
  endsWith: ([s, t]) => (typeof s === 'string' && typeof t === 'string' ? s.endsWith(t) : null),
  includes: ([s, t]) => (typeof s === 'string' && typeof t === 'string' ? s.includes(t) : null),
  lower: ([s]) => (typeof s === 'string' ? s.toLowerCase() : null),
  upper: ([s]) => (typeof s === 'string' ? s.toUpperCase() : null),
  length: ([s]) => (typeof s === 'string' ? [...s].length : null)
};

function arith(op: string, l: number, r: number): Value {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return r === 0 ? null : l / r;
    default:
      return r === 0 ? null : l % r;
  }
}

function compare(op: string, l: Value, r: Value): Value {
  if (l === null || r === null) return null;
  if (op === '==') return l === r;
  if (op === '!=') return l !== r;
  if (typeof l !== typeof r) return null;
  const a = l as number | string;
  const b = r as number | string;
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

/** Evaluates a post-processing expression on one released row. */
export function evaluate(e: Expr, row: Row): Value {
  switch (e.kind) {
    case 'col':
      return Object.prototype.hasOwnProperty.call(row, e.name) ? (row[e.name] ?? null) : null;
    case 'lit':
      return e.value;
    case 'unary': {
      const a = evaluate(e.arg, row);
      if (e.op === '-') return num(a) === null ? null : -(a as number);
      return typeof a === 'boolean' ? !a : null;
    }
    case 'binary': {
      const l = evaluate(e.left, row);
      const r = evaluate(e.right, row);
      if (['+', '-', '*', '/', '%'].includes(e.op))
        return num(l) === null || num(r) === null ? null : arith(e.op, l as number, r as number);
      return compare(e.op, l, r);
    }
    case 'logical': {
      const l = evaluate(e.left, row);
      const r = evaluate(e.right, row);
      if (e.op === '&&')
        return l === false || r === false ? false : l === true && r === true ? true : null;
      return l === true || r === true ? true : l === false && r === false ? false : null;
    }
    case 'cond':
      return evaluate(e.test, row) === true ? evaluate(e.then, row) : evaluate(e.else, row);
    case 'isnull':
      return evaluate(e.arg, row) === null;
    case 'call': {
      const f = FNS[e.fn];
      return f ? f(e.args.map(a => evaluate(a, row))) : null;
    }
  }
}

function orderValue(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** The columns in SELECT order: each output, then an aggregation's interval columns after it. */
function orderColumns(columns: ResultColumn[], outputs: string[]): ResultColumn[] {
  const single = columns.filter(c => c.role === 'estimate').length === 1;
  const picked: ResultColumn[] = [];
  const take = (name: string) => {
    const c = columns.find(x => x.name === name);
    if (c && !picked.includes(c)) picked.push(c);
  };
  for (const name of outputs) {
    take(name);
    const c = columns.find(x => x.name === name);
    if (c?.role === 'estimate') {
      take(single ? 'lower' : `${name}_lower`);
      take(single ? 'upper' : `${name}_upper`);
    }
  }
  return [...picked, ...columns.filter(c => !picked.includes(c))];
}

/** Applies HAVING, ORDER BY, LIMIT and the SELECT order to a released table. */
export function applyPostProcess<T extends ReleaseResponse>(release: T, post: SqlPostProcess): T {
  let rows = release.rows;
  if (post.having) rows = rows.filter(r => evaluate(post.having!, r) === true);
  if (post.orderBy?.length) {
    const order = post.orderBy;
    rows = rows
      .map((r, i) => ({ r, i }))
      .sort((x, y) => {
        for (const o of order) {
          const c = orderValue(x.r[o.column] ?? null, y.r[o.column] ?? null);
          if (c !== 0)
            return o.descending && x.r[o.column] !== null && y.r[o.column] !== null ? -c : c;
        }
        return x.i - y.i;
      })
      .map(x => x.r);
  }
  if (post.limit !== undefined) rows = rows.slice(0, post.limit);
  return { ...release, rows, columns: orderColumns(release.columns, post.columns) };
}
