import type { Key } from '../query/keys';
import type { FixedPointGrid, KeyValue } from '../query/types';

/**
 * EXACT sufficient statistics computed on the private data. Nothing here may leave the server
 * un-noised: the DP engine (server/src/dp) releases these through its mechanisms.
 *
 * All counts and sums are bigint (exact). Sums are over clamped values on a fixed-point grid:
 * the real sum is `sum · 2^grid.exponent`, the real sum of squares `sumSquares · 2^(2·grid.exponent)`.
 *
 * NULL policy: NULLs (and NaN/±Infinity, which are turned into NULL) never contribute to a sum or
 * a quantile; they are COUNTED SEPARATELY in `nulls` (per group), so the DP engine can release
 * them or ignore them. `count` of a numeric aggregation is the number of NON-NULL values.
 */

export interface CountStats {
  op: 'count';
  /** Rows of the group (or non-NULL values of `column` when the aggregation names a column). */
  count: bigint;
}

export interface MomentStats {
  op: 'sum' | 'mean' | 'variance' | 'stdev';
  /** Non-NULL values that were clamped and summed. */
  count: bigint;
  nulls: bigint;
  /** Σ n_i where n_i = round(clamp(x_i) · 2^-exponent). */
  sum: bigint;
  /** Σ n_i², computed for variance and stdev only (a mean or a sum does not read it). */
  sumSquares?: bigint;
  grid: FixedPointGrid;
  bounds: [number, number];
}

export interface QuantileStats {
  op: 'quantile' | 'median';
  /** Non-NULL values (after clamping to bounds). */
  count: bigint;
  nulls: bigint;
  q: number[];
  candidates: number[];
  /** below[i] = #{x : clamp(x) < candidates[i]} */
  below: bigint[];
  /** above[i] = #{x : clamp(x) > candidates[i]} */
  above: bigint[];
}

export interface HistogramStats {
  op: 'histogram';
  /** Numeric: edges; bin i is (e_i, e_{i+1}] and the first bin also holds e0 (values clamped to [e0, em]). */
  edges?: number[];
  /** Categorical: the public categories, in order. */
  categories?: KeyValue[];
  /** One count per bin / category. */
  counts: bigint[];
  /** NULLs (and, for categories, values outside the public list). */
  nulls: bigint;
}

export type ExactStats = CountStats | MomentStats | QuantileStats | HistogramStats;

export interface GroupStats {
  /** One exact, typed value per group key (empty without group-by); see query/keys.ts. */
  key: Key;
  /** Exact number of rows in the group (after filters and truncation). */
  rows: bigint;
  /** One entry per plan aggregation, same order. */
  stats: ExactStats[];
}

export interface ExactResult {
  keys: string[];
  /** 'public': every public key present (absent ones with zero stats), others dropped.
   * 'discover': only observed keys; the DP engine must threshold them. 'none': one group. */
  keyMode: 'none' | 'public' | 'discover';
  groups: GroupStats[];
  /** Contribution bound used while loading: at most this many rows per privacy unit. */
  maxRowsPerUnit: number;
  /** Execution time of the SQL (for logs/benchmarks; not released to analysts). */
  elapsedMs: number;
}
