import type { AccuracyTarget, Mechanism, PlanAmount, Scalar } from '../protocol/plan';

/**
 * A privacy budget for one aggregation or a whole query: { epsilon }, { epsilon, delta } or
 * { rho }. Amounts: numbers or decimal strings ("0.5", "1e-6").
 */
export interface BudgetOptions {
  epsilon?: PlanAmount;
  delta?: PlanAmount;
  rho?: PlanAmount;
}

/** Options of a count or histogram: a budget or a target accuracy. */
export interface NoiseOptions extends BudgetOptions {
  /**
   * Target half-width of the interval (a number), or { halfWidth, confidence }: the server
   * derives the budget. Supported for count, sum and histogram (not sum with discovered keys);
   * mean, variance, stdev, quantile and median take a budget (their accuracy depends on the data
   * or is a rank) — `estimate()` reports what a budget buys.
   */
  accuracy?: number | AccuracyTarget;
  /** Confidence level of the reported interval (and of the accuracy target); default 0.95. */
  confidence?: number;
  /** Name of the output column. */
  as?: string;
  mechanism?: Mechanism;
}

/** Options of sum, mean, variance, stdev, quantile and median. */
export interface AggOptions extends NoiseOptions {
  /**
   * [lower, upper]: the clamping range, used exactly as given. It OVERRIDES the column's public
   * bounds (the metadata's, or a derived column's lower/upper), wider or narrower; without it the
   * column's public bounds are used, and a column with none needs it.
   */
  bounds?: [number, number];
}

export type CountOptions = NoiseOptions;

export interface HistogramOptions extends NoiseOptions {
  /** Bin edges, strictly increasing (numeric columns); omit for a categorical column. */
  bins?: number[];
}

/** Options of a query with several aggregations: the budget is split equally among them. */
export interface QueryOptions extends BudgetOptions {
  confidence?: number;
}

export interface GroupByOptions {
  /** Explicit public key values, per key (or a plain list when grouping by one key). */
  values?: Record<string, Scalar[]> | Scalar[];
  /** Release the keys found in the data above a threshold calibrated to delta. */
  discover?: { delta: PlanAmount };
}

/** A derived column with its public type and bounds (bounds let you sum or average it). */
export interface DeriveSpec<F> {
  expr: F;
  type?: 'int' | 'float' | 'string' | 'boolean';
  lower?: number;
  upper?: number;
  categories?: string[];
}
