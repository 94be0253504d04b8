import type { AccuracyTarget, Mechanism, PlanAmount, Scalar } from '../protocol/plan';

/** A privacy budget for one aggregation or a whole query. Amounts: numbers or decimal strings. */
export interface BudgetOptions {
  epsilon?: PlanAmount;
  delta?: PlanAmount;
  rho?: PlanAmount;
}

/** Options of one aggregation. Give a budget (epsilon/delta/rho) or a target accuracy. */
export interface AggOptions extends BudgetOptions {
  /** Target half-width of the interval (a number), or { halfWidth, confidence }. */
  accuracy?: number | AccuracyTarget;
  /** Confidence level of the reported interval (and of the accuracy target); default 0.95. */
  confidence?: number;
  /** [lower, upper]: public bounds overriding the column's bounds from the metadata. */
  bounds?: [number, number];
  /** Name of the output column. */
  as?: string;
  mechanism?: Mechanism;
}

export type CountOptions = Omit<AggOptions, 'bounds'>;

export interface HistogramOptions extends AggOptions {
  /** Bin edges, strictly increasing; omit for a categorical column. */
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
