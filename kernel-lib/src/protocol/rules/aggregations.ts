import { PLAN_LIMITS } from '../limits';
import { aggregationName, type Aggregation } from '../plan';
import { hasBounds } from './domain';
import { isNumeric } from './expr';
import { gridFor, quantileCandidates } from './grid';
import { boundsRule, invalidPlan, publicCategoriesRule, typeMismatch } from './messages';
import { columnOf, type CheckContext } from './scope';
import type { ColumnInfo, KeyValue, RAggregation } from './types';

/**
 * The clamping bounds of a bounded aggregation. An analyst's `bounds` OVERRIDE the column's public
 * bounds: they are used exactly as given, wider or narrower (both are public, so either choice
 * leaks nothing; wider bounds only add noise, narrower ones clamp more values). Without them the
 * column's public bounds are used: the metadata's, or a derived column's declared lower/upper or
 * the bounds inferred from its expression. With neither, PRIVACY_RULE "bounded-contribution".
 */
export function clampBounds(a: Aggregation, c: ColumnInfo): [number, number] {
  if (a.bounds) return [a.bounds[0], a.bounds[1]];
  if (hasBounds(c.dom)) return [c.dom.lower, c.dom.upper];
  throw boundsRule(`${a.op}("${c.name}")`);
}

/**
 * Whether an aggregation releases a sum of squares (variance and stdev do; a sum or a mean only
 * needs the sum and the count): the engine computes squares and the DP plan noises them only then.
 */
export function needsSumSquares(op: string): boolean {
  return op === 'variance' || op === 'stdev';
}

/** True when (upper − lower)²/4, the spread a variance can reach, is a finite double. */
export function varianceBoundsFit(lower: number, upper: number): boolean {
  const half = (upper - lower) / 2;
  return Number.isFinite(half * half);
}

export function varianceBoundsError(op: string) {
  return invalidPlan(
    `the bounds are too wide for a ${op}: (upper − lower)²/4 is beyond the largest number a result can hold`,
    'Give bounds whose range is below 1e154, e.g. from domain knowledge.'
  );
}

/** Checks one aggregation's column and options against the columns in scope. */
export function checkAggregation(a: Aggregation, index: number, ctx: CheckContext): RAggregation {
  const base = {
    index,
    name: aggregationName(a),
    budget: a.budget,
    accuracy: a.accuracy,
    mechanism: a.mechanism
  };
  if (a.op === 'count') {
    if (a.column !== undefined) columnOf(ctx, a.column);
    return { ...base, op: 'count', column: a.column };
  }
  const c = columnOf(ctx, a.column!);
  if (a.op === 'histogram')
    return { ...base, op: 'histogram', column: c.name, type: c.type, ...bins(a, c) };
  if (!isNumeric(c.type)) throw typeMismatch(c.name, c.type, `a number for ${a.op}`);
  const bounds = clampBounds(a, c);
  const [column, type] = [c.name, c.type];
  if (a.op === 'quantile' || a.op === 'median') {
    const q = a.op === 'median' ? [0.5] : [a.q!];
    const candidates = quantileCandidates(bounds, c.type);
    return { ...base, op: a.op, column, type, bounds, q, candidates };
  }
  if ((a.op === 'variance' || a.op === 'stdev') && !varianceBoundsFit(bounds[0], bounds[1]))
    throw varianceBoundsError(a.op);
  return { ...base, op: a.op, column, type, bounds, grid: gridFor(bounds, c.type) };
}

/** A histogram's bins: numeric edges from `bins`, or every public category (booleans: false, true). */
function bins(a: Aggregation, c: ColumnInfo): { edges: number[] } | { categories: KeyValue[] } {
  if (a.bins) {
    if (!isNumeric(c.type))
      throw typeMismatch(
        c.name,
        c.type,
        'a number for a histogram with bins',
        'Omit bins for categorical columns.'
      );
    return { edges: [...a.bins] };
  }
  if (c.type === 'boolean') return { categories: [false, true] };
  if (c.type === 'string') {
    if (!c.dom.categories) throw publicCategoriesRule(c.name);
    return { categories: [...c.dom.categories] };
  }
  const example = hasBounds(c.dom) ? `${c.dom.lower}, …, ${c.dom.upper}` : '0, 10, 20, 30';
  throw invalidPlan(
    `a histogram of the numeric column "${c.name}" needs bin edges (at most ${PLAN_LIMITS.histogramBins} bins)`,
    `Give { bins: [${example}] }, or group by the column and count.`
  );
}
