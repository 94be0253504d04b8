import { LomasError } from '../protocol/errors';
import {
  AggregationSchema,
  BOUNDED_AGGREGATIONS,
  aggregationName,
  type Aggregation,
  type AggregationOp,
  type PlanBudget
} from '../protocol/plan';
import { isNumeric, requireColumn } from './columns';
import type { AggOptions, CountOptions, HistogramOptions } from './options';
import { checkName, invalidParameter, type QueryState } from './state';

/** One aggregation of a query, as built by `agg.count()`, `agg.mean('x')`, ... */
export interface AggregationRequest {
  readonly aggregation: Aggregation;
  /** Confidence of the reported interval, when given without an accuracy target. */
  readonly confidence?: number;
}

function budgetOf(o: AggOptions): PlanBudget | undefined {
  const b: PlanBudget = {};
  if (o.epsilon !== undefined) b.epsilon = o.epsilon;
  if (o.delta !== undefined) b.delta = o.delta;
  if (o.rho !== undefined) b.rho = o.rho;
  return Object.keys(b).length > 0 ? b : undefined;
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

function make(
  op: AggregationOp,
  column: string | undefined,
  opts: HistogramOptions | undefined,
  q?: number
): AggregationRequest {
  const o = opts ?? {};
  if (typeof o !== 'object' || o === null) {
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
  const a: Aggregation = { op };
  if (column !== undefined) a.column = checkName(column, `${op} column`);
  if (o.as !== undefined) a.as = checkName(o.as, 'as');
  if (o.bounds !== undefined)
    a.bounds = Array.isArray(o.bounds) ? ([...o.bounds] as [number, number]) : o.bounds;
  if (q !== undefined) a.q = q;
  if (o.bins !== undefined) a.bins = Array.isArray(o.bins) ? [...o.bins] : o.bins;
  const budget = budgetOf(o);
  if (budget) a.budget = budget;
  let confidence: number | undefined;
  if (o.accuracy !== undefined) {
    const acc = typeof o.accuracy === 'number' ? { halfWidth: o.accuracy } : { ...o.accuracy };
    if (o.confidence !== undefined && acc.confidence === undefined) acc.confidence = o.confidence;
    a.accuracy = acc;
  } else if (o.confidence !== undefined) {
    confidence = o.confidence;
  }
  if (o.mechanism !== undefined) a.mechanism = o.mechanism;
  const r = AggregationSchema.safeParse(a);
  if (!r.success) throw invalidParameter(`${op}`, r.error.issues);
  if (
    confidence !== undefined &&
    !(typeof confidence === 'number' && confidence > 0 && confidence < 1)
  ) {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'confidence',
      rule: 'a confidence is between 0 and 1',
      fix: 'Write { confidence: 0.95 }.'
    });
  }
  return confidence === undefined ? { aggregation: r.data } : { aggregation: r.data, confidence };
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
  quantile: (column: string, q: number, opts?: AggOptions): AggregationRequest => {
    if (typeof q !== 'number' || !(q > 0 && q < 1)) {
      throw new LomasError('INVALID_PARAMETER', {
        parameter: 'q',
        rule: 'a quantile is strictly between 0 and 1',
        fix: 'Write .quantile("x", 0.25, { ... }).'
      });
    }
    return make('quantile', column, opts, q);
  },
  median: (column: string, opts?: AggOptions): AggregationRequest => make('median', column, opts),
  /** Counts per bin (numeric column with `bins`) or per category (categorical column). */
  histogram: (column: string, opts?: HistogramOptions): AggregationRequest =>
    make('histogram', column, opts)
};

export type Aggregators = typeof agg;

const BOUNDS_WHY =
  'one person could otherwise move the result without limit, so no amount of noise would hide them; public bounds (from domain knowledge, not from the data) cap what one row can contribute.';

/** Checks an aggregation against the known columns (when the builder has metadata). */
export function checkAggregation(state: QueryState, a: Aggregation): void {
  if (a.column === undefined) return;
  const c = requireColumn(state.dataset, state.columns, a.column);
  if (c === null) return;
  const name = aggregationName(a);
  if ((BOUNDED_AGGREGATIONS as readonly string[]).includes(a.op)) {
    if (!isNumeric(c)) {
      throw new LomasError('TYPE_MISMATCH', {
        column: a.column,
        actual: c.type,
        expected: 'a number',
        fix:
          a.op === 'median' || a.op === 'quantile'
            ? undefined
            : `Count per category instead: .groupby("${a.column}").count(...).`
      });
    }
    if (a.bounds === undefined && (c.lower === undefined || c.upper === undefined)) {
      throw new LomasError('PRIVACY_RULE', {
        rule: 'bounded-contribution',
        why: `${name} needs public bounds on "${a.column}", which has none in the metadata: ${BOUNDS_WHY}`,
        fix: `Give bounds: .${a.op}("${a.column}", ${a.op === 'quantile' ? `${a.q}, ` : ''}{ bounds: [lower, upper], ... }), e.g. { bounds: [2000, 7000] }.`
      });
    }
  }
  if (a.op === 'histogram' && a.bins === undefined) {
    if (
      isNumeric(c) &&
      a.bounds === undefined &&
      (c.lower === undefined || c.upper === undefined)
    ) {
      throw new LomasError('PRIVACY_RULE', {
        rule: 'bounded-contribution',
        why: `a histogram of "${a.column}" needs public bins or bounds: ${BOUNDS_WHY}`,
        fix: `Give bin edges: .histogram("${a.column}", { bins: [0, 10, 20, 30], ... }).`
      });
    }
    if (c.type === 'string' && (c.categories === undefined || c.categories.length === 0)) {
      throw new LomasError('PRIVACY_RULE', {
        rule: 'public-group-keys',
        why: `"${a.column}" has no public categories, and releasing the values found in the data could reveal one person.`,
        fix: `Group by it with explicit values instead: .groupby("${a.column}", { values: ["a", "b"] }).count(...).`
      });
    }
  }
}
