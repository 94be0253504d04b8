/**
 * Public discretisation of the columns a synthesizer models: every column becomes a finite set of
 * CELLS, derived from public facts only (metadata bounds and categories, the requested bin count),
 * never from the data.
 *
 *  - numeric (int, float) and datetime columns: equal-width bins between the public bounds; values
 *    outside are clamped into the end bins. An int (or datetime, in ms) column is cut on whole
 *    numbers: bin width w = ⌈(U − L + 1)/B⌉, so a column with fewer values than bins gets one bin
 *    per value. Float: w = (U − L)/B, bin k = [L + k·w, L + (k+1)·w) and the last one holds U.
 *  - categorical (string with categories, boolean): one cell per public category, in order.
 *  - nullable columns: NULL is a value of its own, cell 0; the other cells follow.
 *
 * A row's cell is a deterministic function of that row alone (the engine computes it in SQL with
 * the same formulas), so discretisation is a 1-stable transformation: it changes no sensitivity.
 */
import { invalidParameter } from '../errors';
import type { Entropy } from '../rng';
import { uniform01 } from './random';

export type ColumnSpec =
  | {
      name: string;
      kind: 'numeric';
      lower: number;
      upper: number;
      /** Whole numbers only (an int column). */
      integer: boolean;
      nullable: boolean;
    }
  | {
      name: string;
      kind: 'datetime';
      /** Bounds as epoch milliseconds (whole numbers). */
      lower: number;
      upper: number;
      nullable: boolean;
    }
  | {
      name: string;
      kind: 'categorical';
      categories: ReadonlyArray<string | boolean>;
      nullable: boolean;
    };

/** A column's public cells. */
export interface ColumnDomain {
  spec: ColumnSpec;
  /** Cells that are values (bins or categories), NULL excluded. */
  values: number;
  /** Cells of the one-way marginal: values, plus the NULL cell (cell 0) when nullable. */
  cells: number;
  /** Numeric and datetime: the lower bound and the bin width (whole numbers when integral). */
  lower?: number;
  width?: number;
  /** Whole-number bins (int and datetime columns), of exactly `step` values each. */
  integral?: boolean;
  step?: bigint;
}

/** The largest integer span sampled exactly (uniform integer); wider bins use 53-bit uniforms. */
const EXACT_SPAN = 2 ** 48;

function checkFinite(x: number, what: string): void {
  if (!Number.isFinite(x)) throw invalidParameter(what, 'must be a finite number');
}

/** The public cells of a column with `bins` bins for numeric and datetime columns. */
export function discretise(spec: ColumnSpec, bins: number): ColumnDomain {
  if (!Number.isSafeInteger(bins) || bins < 1) throw invalidParameter('bins', 'must be >= 1');
  const nullCell = spec.nullable ? 1 : 0;
  if (spec.kind === 'categorical') {
    const n = spec.categories.length;
    if (n === 0 || new Set(spec.categories).size !== n)
      throw invalidParameter(
        `columns.${spec.name}`,
        'needs a non-empty list of distinct public categories'
      );
    return { spec, values: n, cells: n + nullCell };
  }
  checkFinite(spec.lower, `columns.${spec.name}.lower`);
  checkFinite(spec.upper, `columns.${spec.name}.upper`);
  if (spec.lower > spec.upper)
    throw invalidParameter(`columns.${spec.name}`, 'has its lower bound above its upper bound');
  const integral = spec.kind === 'datetime' || spec.integer;
  if (integral) {
    if (!Number.isSafeInteger(spec.lower) || !Number.isSafeInteger(spec.upper))
      throw invalidParameter(`columns.${spec.name}`, 'needs whole-number bounds');
    // Exact integer arithmetic: spans of safe-integer bounds reach 2^54.
    const span = BigInt(spec.upper) - BigInt(spec.lower) + 1n;
    const step = (span + BigInt(bins) - 1n) / BigInt(bins);
    const values = Number((span + step - 1n) / step);
    return {
      spec,
      values,
      cells: values + nullCell,
      lower: spec.lower,
      width: Number(step),
      step,
      integral
    };
  }
  const width = (spec.upper - spec.lower) / bins;
  const values = width > 0 ? bins : 1;
  return { spec, values, cells: values + nullCell, lower: spec.lower, width, integral: false };
}

/** The value index (bin or category) of a cell, or null for the NULL cell. */
export function valueIndex(d: ColumnDomain, cell: number): number | null {
  if (d.spec.nullable) return cell === 0 ? null : cell - 1;
  return cell;
}

/** The public label of each cell (for reports): "NULL", a category, or a bin's lower edge. */
export function binEdges(d: ColumnDomain): number[] {
  if (d.lower === undefined || d.width === undefined) return [];
  const edges: number[] = [];
  for (let k = 0; k < d.values; k++) edges.push(d.lower + k * d.width);
  const s = d.spec as { upper: number };
  edges.push(d.integral ? s.upper + 1 : s.upper);
  return edges;
}

/** Rounds a float to a public precision of about 1/100 of the bin width (shorter output). */
function roundToBin(x: number, width: number): number {
  if (!(width > 0)) return x;
  const decimals = Math.min(15, Math.max(0, Math.ceil(-Math.log10(width)) + 2));
  return Number(x.toFixed(decimals));
}

/**
 * A value of a cell, drawn uniformly inside its bin (integral bins: a uniform whole number; float
 * bins: lower edge + U·width with a 53-bit U, rounded to about 1/100 of the width and kept inside
 * the bin and the bounds). Categories and NULL are returned as they are. Post-processing:
 * the randomness comes from the engine's Rng (node:crypto) and reveals nothing about the data.
 */
export function sampleValue(
  d: ColumnDomain,
  cell: number,
  e: Entropy
): number | string | boolean | null {
  const k = valueIndex(d, cell);
  if (k === null) return null;
  if (d.spec.kind === 'categorical') return d.spec.categories[k];
  const lower = d.lower as number;
  const width = d.width as number;
  const upper = d.spec.upper;
  if (d.integral) {
    const lo = lower + k * width;
    const hi = Math.min(upper, lo + width - 1);
    const span = hi - lo + 1;
    const v = span <= EXACT_SPAN ? lo + e.uniformSmall(span) : lo + Math.floor(uniform01(e) * span);
    // Beyond 2^53 the double grid is coarser than one: keep the value inside the bin and bounds.
    const x = Math.max(Math.max(lower, lo), Math.min(hi, v));
    return d.spec.kind === 'datetime' ? new Date(x).toISOString() : x;
  }
  if (!(width > 0)) return lower;
  const lo = lower + k * width;
  const hi = k === d.values - 1 ? upper : lower + (k + 1) * width;
  const raw = lo + uniform01(e) * (hi - lo);
  const x = roundToBin(raw, width);
  // Rounding must not move the value into the next bin (the last bin holds the upper bound).
  return x >= lo && (x < hi || (k === d.values - 1 && x <= upper)) ? x : raw;
}
