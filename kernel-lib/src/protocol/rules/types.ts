import type { AccuracyTarget, AggregationOp, ExprFunction, Mechanism, PlanBudget } from '../plan';

/**
 * The CHECKED plan: what `checkPlan` produces from a wire `QueryPlan` and the dataset's public
 * metadata, and what the server's SQL compiler and DP planner consume. Everything in it is public:
 * it depends only on the plan and the metadata, never on the private rows.
 *
 * Every expression node carries its value type and its public DOMAIN (bounds for numbers,
 * categories for strings, nullability), re-derived for every node by interval arithmetic. A
 * derived column therefore never inherits stale bounds from the column it was computed from.
 */

export type ValueType = 'int' | 'float' | 'string' | 'boolean' | 'datetime';

/** Public facts about the values an expression can take. */
export interface Domain {
  /** Numeric bounds (int/float), inclusive. For datetime: epoch milliseconds. */
  lower?: number;
  upper?: number;
  /** The complete public value set (strings), when known. */
  categories?: readonly string[];
  /** May the value be NULL? */
  nullable: boolean;
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

/** Whitelisted functions: the wire Expr `call` names (the server maps them to SQL templates). */
export type FnName = ExprFunction;

interface Typed {
  type: ValueType;
  dom: Domain;
}

export type RExpr =
  | ({ k: 'col'; name: string } & Typed)
  | ({ k: 'lit'; value: string | number | boolean | null } & Typed)
  | ({ k: 'neg'; arg: RExpr } & Typed)
  | ({ k: 'not'; arg: RExpr } & Typed)
  | ({ k: 'arith'; op: ArithOp; left: RExpr; right: RExpr } & Typed)
  | ({ k: 'cmp'; op: CompareOp; left: RExpr; right: RExpr } & Typed)
  | ({ k: 'logic'; op: 'and' | 'or'; args: RExpr[] } & Typed)
  | ({ k: 'cond'; test: RExpr; then: RExpr; else: RExpr } & Typed)
  | ({ k: 'isnull'; arg: RExpr; negate: boolean } & Typed)
  | ({ k: 'call'; fn: FnName; args: RExpr[] } & Typed)
  /** Conversion to `type` (int↔float, anything → string); failures give NULL. */
  | ({ k: 'cast'; arg: RExpr } & Typed);

/** A column visible at some point of the pipeline. */
export interface ColumnInfo {
  name: string;
  type: ValueType;
  dom: Domain;
}

export type RStep =
  | { kind: 'filter'; predicate: RExpr }
  /** All columns of one derive step are computed from the step's INPUT (none sees another). */
  | { kind: 'derive'; columns: { name: string; expr: RExpr }[] }
  | { kind: 'select'; columns: string[] };

/** A value of a group key, as it appears in results (datetime keys are not allowed). */
export type KeyValue = string | number | boolean | null;

export interface RGroupKey {
  name: string;
  type: ValueType;
}

export type RGroupBy =
  | {
      mode: 'public';
      keys: RGroupKey[];
      /** The public value set of each key (same order as keys); groups = their product. */
      values: KeyValue[][];
    }
  | {
      /** Private key discovery: observed keys are returned with exact counts; the DP engine thresholds them. */
      mode: 'discover';
      keys: RGroupKey[];
      delta: string | number;
    };

/**
 * Fixed-point grid of an aggregation: each clamped value x becomes the integer
 * n = round(x · 2^-exponent) (exponent = 0 for integer columns with integer bounds: n = x).
 * Every n lies in [lowerScaled, upperScaled] and |n| ≤ 2^31, so n² fits in BIGINT and a SUM of
 * n or n² over fewer than 2^65 rows fits in HUGEINT (DuckDB tables have fewer than 2^64 rows):
 * no overflow, hence no data-dependent error, is possible.
 */
export interface FixedPointGrid {
  exponent: number;
  lowerScaled: bigint;
  upperScaled: bigint;
}

export type AggOp = AggregationOp;

interface RAggBase {
  /** Position in plan.aggregations. */
  index: number;
  /** Output name (alias or generated). */
  name: string;
  /**
   * What calibrates its noise: its own budget, else (without an accuracy target) its equal share
   * of the plan's budget (`shares` aggregations split it), else its accuracy target.
   */
  budget?: PlanBudget;
  shares?: number;
  accuracy?: AccuracyTarget;
  mechanism?: Mechanism;
}

export type RAggregation =
  | (RAggBase & {
      op: 'count';
      /** When set: count non-NULL values of this column instead of rows. */
      column?: string;
    })
  | (RAggBase & {
      op: 'sum' | 'mean' | 'variance' | 'stdev';
      column: string;
      type: ValueType;
      /** Public clamping bounds: the aggregation's own bounds, else the column's public bounds. */
      bounds: [number, number];
      grid: FixedPointGrid;
    })
  | (RAggBase & {
      op: 'quantile' | 'median';
      column: string;
      type: ValueType;
      bounds: [number, number];
      /** Requested quantile(s) in [0,1]; median = [0.5]. */
      q: number[];
      /** Public, strictly increasing candidates on a grid derived from the bounds only. */
      candidates: number[];
    })
  | (RAggBase & {
      op: 'histogram';
      column: string;
      type: ValueType;
      /** Numeric bins: edges e0 < … < em; bin i is (e_i, e_{i+1}], the first bin is [e0, e1]; values are clamped to [e0, em] first. */
      edges?: number[];
      /** Categorical bins: every public category (booleans: [false, true]). */
      categories?: KeyValue[];
    });

export interface CheckedPlan {
  dataset: string;
  steps: RStep[];
  groupBy: RGroupBy | null;
  aggregations: RAggregation[];
  /** Columns (with types/domains) visible after the last step. */
  columns: ColumnInfo[];
  /** Number of output groups for public group-bys (product of key sets); null for discovery. */
  groupCount: number | null;
  /** Confidence level of the reported intervals. */
  confidence: number;
}
