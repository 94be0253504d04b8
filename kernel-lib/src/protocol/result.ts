import type { Budget, BudgetStatus } from './budget';

/** The MIME type of a Lomas result in a notebook output, drawn by the JupyterLab extension. */
export const RESULT_MIME = 'application/vnd.lomas.result.v1+json';

/**
 * A result's chart is an output of its own, so that front ends without the Lomas extension draw
 * it too: JupyterLab prefers HTML (rank 50) to Vega-Lite (57), so a chart inside the result's
 * bundle, beside its HTML table, would never be drawn there. The chart's bundle carries the
 * standard Vega-Lite type (JupyterLab's Vega renderer, VS Code, nbconvert's lab template) and
 * CHART_MIME, which the Lomas extension prefers and draws in the notebook's theme.
 */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';
export const CHART_MIME = 'application/vnd.lomas.chart.v1+json';

/** The payload of CHART_MIME; the spec itself is the bundle's VEGALITE_MIME entry. */
export interface ChartPayload {
  version: 1;
  dataset: string;
  title: string;
}

export type ColumnRole = 'key' | 'estimate' | 'lower' | 'upper' | 'value';

export interface ResultColumn {
  name: string;
  role: ColumnRole;
  type: 'string' | 'number' | 'integer' | 'boolean';
}

/** How one released statistic was noised, and how accurate it is. */
export interface MechanismReport {
  aggregation: string;
  column?: string;
  mechanism: string;
  /** Noise scale as a decimal string (exact rational rendered to 6 significant digits, rounded up). */
  scale: string;
  /** Confidence-interval half-width at `confidence`, in the statistic's unit. */
  halfWidth: number;
  confidence: number;
  cost: Budget;
  /** Caveats, e.g. "the interval of a mean depends on the data: ±x is the noise of its sum". */
  note?: string;
  /** The statistic ('count', 'sum', 'mean', 'median', …): charts draw counts and sums as bars, others as points. */
  kind?: string;
  /**
   * What `halfWidth` is. 'value' (or absent): every row's interval is ±halfWidth. 'per_row': each
   * row carries its own interval (lower, upper) and halfWidth is the widest. 'depends': an
   * estimate whose interval depends on each group's data. 'rank': no interval in the column's
   * unit; halfWidth is a rank error, in rows. `accuracy` says it in words for the last three.
   */
  interval?: 'value' | 'per_row' | 'depends' | 'rank';
  /** The accuracy in words, where a bare "±halfWidth" would mislead. */
  accuracy?: string;
}

/** A released row that says little, marked in tables and drawn apart in charts. */
export interface ReleaseCaveat {
  /** Index of the row in `rows`. */
  row: number;
  /** The estimate column it is about. */
  column: string;
  /** 'whole_range': the interval spans every value the statistic may take; 'may_be_empty': the group may hold no row. */
  kind: 'whole_range' | 'may_be_empty';
  /** What it means, in words. */
  text: string;
}

/** The payload of RESULT_MIME: a table plus what it cost and how accurate it is. */
export interface ResultBundle {
  version: 1;
  kind: 'release' | 'dummy' | 'estimate';
  dataset: string;
  queryId?: string;
  title: string;
  columns: ResultColumn[];
  /**
   * One object per released row, keyed by column name. Key values are exact, in ONE encoding:
   * - integer keys within ±(2^53 − 1) are JSON numbers; beyond that, decimal strings
   *   ("18014398509481985"), so a column of type "integer" may hold both;
   * - decimal keys are exact decimal strings without trailing zeros ("-1.5", "3");
   * - date keys are ISO 8601 "YYYY-MM-DD", timestamp keys "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (UTC;
   *   years outside 0000–9999 in the expanded form "+275760-09-13"; "infinity", "-infinity");
   * - strings, booleans and null as themselves.
   * Two rows never share a key: distinct values in the data stay distinct groups.
   */
  rows: Array<Record<string, string | number | boolean | null>>;
  cost: Budget;
  mechanisms: MechanismReport[];
  budget?: BudgetStatus;
  /** Rows whose interval covers the whole public range or whose group may be empty. */
  caveats?: ReleaseCaveat[];
  /**
   * A Vega-Lite v5 spec of the rows. The notebook library now sends it as an output of its own
   * (CHART_MIME); results saved by earlier versions carry it here, and are drawn with it.
   */
  chart?: Record<string, unknown>;
}

/** Answer of POST /v1/queries/estimate: what a plan would cost and how accurate it would be. Free. */
export interface EstimateResponse {
  dataset: string;
  cost: Budget;
  mechanisms: MechanismReport[];
  budget?: BudgetStatus;
}

/** Answer of POST /v1/queries (spends budget) and POST /v1/queries/dummy (free). */
export type ReleaseResponse = Omit<ResultBundle, 'chart'>;

const MECHANISM_NAMES: Record<string, string> = {
  discrete_laplace: 'discrete Laplace',
  discrete_gaussian: 'discrete Gaussian',
  permute_and_flip: 'permute-and-flip',
  exponential: 'exponential mechanism'
};

/** A mechanism identifier as people write it ("discrete_laplace" → "discrete Laplace"). */
export function mechanismName(id: string): string {
  return MECHANISM_NAMES[id] ?? id.replace(/_/g, ' ');
}
