import { LomasError } from '../protocol/errors';
import type { Aggregation, AggregationOp, PlanBudget } from '../protocol/plan';
import type { AggOptions, CountOptions, HistogramOptions } from './options';

/**
 * One aggregation of a query, as built by `agg.count()`, `agg.mean('x')`, ... Its fields are
 * checked with the whole plan when the query is made (same schema and rules as the server).
 */
export interface AggregationRequest {
  readonly aggregation: Aggregation;
  /** Confidence of the reported interval, when given without an accuracy target. */
  readonly confidence?: number;
}

const KNOWN_OPTIONS = new Set([
  'epsilon',
  'delta',
  'rho',
  'accuracy',
  'confidence',
  'bounds',
  'as',
  'mechanism',
  'bins'
]);

function budgetOf(o: AggOptions): PlanBudget | undefined {
  const b: PlanBudget = {};
  if (o.epsilon !== undefined) b.epsilon = o.epsilon;
  if (o.delta !== undefined) b.delta = o.delta;
  if (o.rho !== undefined) b.rho = o.rho;
  return Object.keys(b).length > 0 ? b : undefined;
}

/** The options object of a verb: an object whose keys are all known options. */
function options(op: AggregationOp, opts: unknown): AggOptions & HistogramOptions {
  const o = opts ?? {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: `${op} options`,
      rule: 'options are an object',
      fix: 'Write { epsilon: 0.5 }.'
    });
  }
  for (const k of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(k)) {
      throw new LomasError('INVALID_PARAMETER', {
        parameter: k,
        rule: `${op} has no option "${k}"`,
        fix: 'Options: epsilon, delta, rho, accuracy, confidence, bounds, as, mechanism (bins for histogram).'
      });
    }
  }
  return o as AggOptions & HistogramOptions;
}

function make(op: AggregationOp, column: string | undefined, opts: unknown, q?: number) {
  const o = options(op, opts);
  const a: Aggregation = { op };
  if (column !== undefined) a.column = column;
  if (o.as !== undefined) a.as = o.as;
  if (o.bounds !== undefined)
    a.bounds = Array.isArray(o.bounds) ? ([...o.bounds] as [number, number]) : o.bounds;
  if (q !== undefined) a.q = q;
  if (o.bins !== undefined) a.bins = Array.isArray(o.bins) ? [...o.bins] : o.bins;
  const budget = budgetOf(o);
  if (budget) a.budget = budget;
  if (o.mechanism !== undefined) a.mechanism = o.mechanism;
  if (o.accuracy === undefined)
    return o.confidence === undefined
      ? { aggregation: a }
      : { aggregation: a, confidence: o.confidence };
  const acc = typeof o.accuracy === 'number' ? { halfWidth: o.accuracy } : { ...o.accuracy };
  if (o.confidence !== undefined && acc.confidence === undefined) acc.confidence = o.confidence;
  a.accuracy = acc;
  return { aggregation: a };
}

/** Builders of aggregations, for `.agg([...])`: `agg.count()`, `agg.mean('x', { bounds })`, ... */
export const agg = {
  /** Number of rows (per group). */
  count: (opts?: CountOptions): AggregationRequest => make('count', undefined, opts),
  sum: (column: string, opts?: AggOptions): AggregationRequest => make('sum', column, opts),
  mean: (column: string, opts?: AggOptions): AggregationRequest => make('mean', column, opts),
  variance: (column: string, opts?: AggOptions): AggregationRequest =>
    make('variance', column, opts),
  stdev: (column: string, opts?: AggOptions): AggregationRequest => make('stdev', column, opts),
  /** The q-quantile, 0 < q < 1. */
  quantile: (column: string, q: number, opts?: AggOptions): AggregationRequest =>
    make('quantile', column, opts, q),
  median: (column: string, opts?: AggOptions): AggregationRequest => make('median', column, opts),
  /** Counts per bin (numeric column with `bins`) or per category (categorical column). */
  histogram: (column: string, opts?: HistogramOptions): AggregationRequest =>
    make('histogram', column, opts)
};

export type Aggregators = typeof agg;
