/**
 * SQL aggregate calls → plan aggregations. Each SQL name maps to one plan operation; the argument
 * is a column, or an expression the compiler derives as a column first.
 *
 *   COUNT(*), COUNT(1)                      count (rows)
 *   COUNT(x)                                count of x (rows where x is not null)
 *   SUM(x)  AVG(x) | MEAN(x)                sum, mean
 *   VAR | VARIANCE | VAR_SAMP | VAR_POP     variance
 *   STD | STDDEV | STDDEV_SAMP | STDDEV_POP stdev
 *   MEDIAN(x)                               median
 *   PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x), QUANTILE(x, p)   quantile q = p
 */
import type { AggregationOp } from '../plan';
import type { AstNode } from './parser';
import { sqlFail } from './refusals';
import type { Span, SqlSource } from './source';
import { functionName } from './spans';

const OPS: Readonly<Record<string, AggregationOp>> = {
  COUNT: 'count',
  SUM: 'sum',
  AVG: 'mean',
  MEAN: 'mean',
  VAR: 'variance',
  VARIANCE: 'variance',
  VAR_SAMP: 'variance',
  VAR_POP: 'variance',
  STD: 'stdev',
  STDDEV: 'stdev',
  STDDEV_SAMP: 'stdev',
  STDDEV_POP: 'stdev',
  MEDIAN: 'median',
  QUANTILE: 'quantile',
  PERCENTILE_CONT: 'quantile'
};

/** An aggregate call, read: its operation, its argument (undefined: rows) and its quantile. */
export interface AggregateCall {
  op: AggregationOp;
  /** The argument node; undefined for COUNT(*). */
  arg?: unknown;
  /** The quantile's p as written (a number node), for quantile only. */
  q?: unknown;
  /** A canonical text of the call, to match the same aggregate in HAVING or ORDER BY. */
  key: string;
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads an aggregate call (aggr_func or function node), refusing what has no DP counterpart. */
export function readAggregate(
  src: SqlSource,
  n: AstNode,
  span: Span | undefined,
  canonical: (v: unknown) => string
): AggregateCall {
  const name = functionName(n);
  if (name === 'MIN' || name === 'MAX') sqlFail(src, span, 'minMax', name);
  const op = OPS[name];
  if (!op) sqlFail(src, span, 'unknownAggregate', name);
  if (n.over) sqlFail(src, span, 'windowFunction');
  const args = readArgs(src, n, span);
  let arg: unknown;
  let q: unknown;
  if (name === 'PERCENTILE_CONT') {
    const within = n.within_group_orderby as AstNode[] | undefined;
    if (!Array.isArray(within) || within.length !== 1 || args.length !== 1)
      shape(src, span, 'PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)');
    q = args[0];
    arg = within![0].expr;
  } else if (name === 'QUANTILE') {
    if (args.length !== 2) shape(src, span, 'QUANTILE(x, p)');
    [arg, q] = args;
  } else {
    if (n.within_group_orderby) shape(src, span, `${name}(x)`);
    if (args.length !== 1) shape(src, span, `${name}(x)`);
    arg = args[0];
  }
  if (isNode(arg) && arg.type === 'star') {
    if (op !== 'count') shape(src, span, `${name}(x) of a column`);
    arg = undefined;
  }
  // COUNT(1), COUNT('x'): a non-null constant counts rows, as COUNT(*).
  if (
    op === 'count' &&
    isNode(arg) &&
    (arg.type === 'number' || arg.type === 'single_quote_string')
  )
    arg = undefined;
  const key = `${op}(${arg === undefined ? '*' : canonical(arg)}${q === undefined ? '' : `, ${canonical(q)}`})`;
  return { op, arg, q, key };
}

function readArgs(src: SqlSource, n: AstNode, span: Span | undefined): unknown[] {
  const a = n.args as AstNode | undefined;
  if (!isNode(a)) return [];
  if (a.distinct) sqlFail(src, span, 'distinctAggregate');
  for (const k of ['orderby', 'separator', 'filter'])
    if (
      a[k] !== undefined &&
      a[k] !== null &&
      !(Array.isArray(a[k]) && (a[k] as unknown[]).length === 0)
    )
      shape(src, span, `${functionName(n)}(x)`);
  if (a.type === 'expr_list') return Array.isArray(a.value) ? a.value : [];
  return a.expr === undefined ? [] : [a.expr];
}

function shape(src: SqlSource, span: Span | undefined, form: string): never {
  return sqlFail(src, span, 'aggregateForm', form);
}
