import { z } from 'zod';
import { Budget, BudgetStatus } from './budget';
import { SQL_LIMITS } from './limits';
import { ExprSchema, QueryPlanSchema, type Expr, type QueryPlan } from './plan';

/**
 * What the server releases: a table of noisy values with their intervals, what it cost and how
 * accurate it is. One schema per wire type; the server builds its responses through them, the
 * OpenAPI document is generated from them and the extension validates payloads with them.
 */

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
export const ChartPayload = z
  .object({ version: z.literal(1), dataset: z.string(), title: z.string() })
  .strict();
export type ChartPayload = z.infer<typeof ChartPayload>;

/** 'value': a plain column of a table that is not an estimate (e.g. a synthetic table's rows). */
export const ColumnRole = z.enum(['key', 'estimate', 'lower', 'upper', 'value']);
export type ColumnRole = z.infer<typeof ColumnRole>;

export const ResultColumn = z
  .object({
    name: z.string(),
    role: ColumnRole,
    type: z.enum(['string', 'number', 'integer', 'boolean'])
  })
  .strict()
  .meta({ id: 'ResultColumn' });
export type ResultColumn = z.infer<typeof ResultColumn>;

/** How one released statistic was noised, and how accurate it is. */
export const MechanismReport = z
  .object({
    aggregation: z.string(),
    column: z.string().optional(),
    mechanism: z.string(),
    /** Noise scale as a decimal string (exact rational rendered to 6 significant digits, rounded up). */
    scale: z.string(),
    /** Confidence-interval half-width at `confidence`, in the statistic's unit. */
    halfWidth: z.number().min(0),
    confidence: z.number().gt(0).lt(1),
    cost: Budget,
    /** Caveats, e.g. "the interval of a mean depends on the data: ±x is the noise of its sum". */
    note: z.string().optional(),
    /** The statistic ('count', 'sum', 'mean', 'median', …): charts draw counts and sums as bars, others as points. */
    kind: z.string().optional(),
    /**
     * What `halfWidth` is. 'value' (or absent): every row's interval is ±halfWidth. 'per_row': each
     * row carries its own interval (lower, upper) and halfWidth is the widest. 'depends': an
     * estimate whose interval depends on each group's data. 'rank': no interval in the column's
     * unit; halfWidth is a rank error, in rows. `accuracy` says it in words for the last three.
     */
    interval: z.enum(['value', 'per_row', 'depends', 'rank']).optional(),
    /** The accuracy in words, where a bare "±halfWidth" would mislead. */
    accuracy: z.string().optional()
  })
  .strict()
  .meta({ id: 'MechanismReport' });
export type MechanismReport = z.infer<typeof MechanismReport>;

/**
 * One released row, keyed by column name. Key values are exact, in ONE encoding:
 * - integer keys within ±(2^53 − 1) are JSON numbers; beyond that, decimal strings
 *   ("18014398509481985"), so a column of type "integer" may hold both;
 * - decimal keys are exact decimal strings without trailing zeros ("-1.5", "3");
 * - date keys are ISO 8601 "YYYY-MM-DD", timestamp keys "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (UTC;
 *   years outside 0000–9999 in the expanded form "+275760-09-13"; "infinity", "-infinity");
 * - strings, booleans and null as themselves.
 * Two rows never share a key: distinct values in the data stay distinct groups.
 */
export const ResultRow = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null()])
);

/**
 * Released rows that say little, for one reason: marked in tables and drawn apart in charts. One
 * entry per (column, kind, text), naming its rows, so a release of thousands of empty public
 * groups says the sentence once, not once per row.
 */
export const ReleaseCaveat = z
  .object({
    /** Indices of the rows in `rows`, ascending, each once. */
    rows: z
      .array(z.number().int().min(0))
      .min(1)
      .refine(rs => rs.every((r, i) => i === 0 || r > rs[i - 1]), 'row indices ascend, each once'),
    /** The estimate column it is about. */
    column: z.string(),
    /** 'whole_range': the interval spans every value the statistic may take; 'may_be_empty': the group may hold no row. */
    kind: z.enum(['whole_range', 'may_be_empty']),
    /** What it means, in words. */
    text: z.string()
  })
  .strict()
  .meta({ id: 'ReleaseCaveat' });
export type ReleaseCaveat = z.infer<typeof ReleaseCaveat>;

/** Answer of POST /v1/queries (spends budget) and POST /v1/queries/dummy (free). */
export const ReleaseResponse = z
  .object({
    version: z.literal(1),
    kind: z.enum(['release', 'dummy']),
    dataset: z.string(),
    queryId: z.string().optional(),
    title: z.string(),
    columns: z.array(ResultColumn),
    rows: z.array(ResultRow),
    cost: Budget,
    mechanisms: z.array(MechanismReport),
    /** The analyst's budget on the dataset right after this release's own charge. */
    budget: BudgetStatus.optional(),
    /** Rows whose interval covers the whole public range or whose group may be empty. */
    caveats: z.array(ReleaseCaveat).optional()
  })
  .strict()
  .meta({
    id: 'ReleaseResponse',
    description: 'A release: the noisy table, its cost and its accuracy.'
  });
export type ReleaseResponse = z.infer<typeof ReleaseResponse>;

/** Free post-processing of released values (SQL): HAVING, ORDER BY, LIMIT and the SELECT order. */
export interface SqlPostProcess {
  /** Output columns in SELECT order (group keys, then aggregations by their output names). */
  columns: string[];
  /** HAVING, over released values (output names): rows where it is not true are dropped. */
  having?: Expr;
  orderBy?: Array<{ column: string; descending: boolean }>;
  limit?: number;
}

export const SqlPostProcessSchema: z.ZodType<SqlPostProcess> = z
  .object({
    columns: z.array(z.string()),
    having: ExprSchema.optional(),
    orderBy: z.array(z.object({ column: z.string(), descending: z.boolean() }).strict()).optional(),
    limit: z.number().int().nonnegative().max(SQL_LIMITS.limit).optional()
  })
  .strict()
  .meta({ id: 'SqlPostProcess', description: 'HAVING, ORDER BY, LIMIT and the SELECT order.' });

/** What an SQL release says it answered: the SQL text and the post-processing applied. */
const SqlAnswered = z.object({ text: z.string(), postprocess: SqlPostProcessSchema }).strict();

/**
 * Answer of POST /v1/queries/sql and /v1/queries/sql/dummy: the release of the compiled plan
 * after the free post-processing, the plan, and the SQL text with that post-processing.
 */
export const SqlReleaseResponse = ReleaseResponse.extend({
  plan: QueryPlanSchema as z.ZodType<QueryPlan>,
  sql: SqlAnswered
})
  .strict()
  .meta({ id: 'SqlReleaseResponse' });
export type SqlReleaseResponse = z.infer<typeof SqlReleaseResponse>;

/**
 * The payload of RESULT_MIME: a release plus, when it has a natural one, a Vega-Lite v5 chart;
 * a release of SQL also carries its compiled plan and its SQL (what was answered).
 */
export const ResultBundle = ReleaseResponse.extend({
  chart: z.record(z.string(), z.unknown()).optional(),
  plan: (QueryPlanSchema as z.ZodType<QueryPlan>).optional(),
  sql: SqlAnswered.optional()
})
  .strict()
  .meta({ id: 'ResultBundle' });
export type ResultBundle = z.infer<typeof ResultBundle>;

/** Answer of POST /v1/queries/estimate: what a plan would cost and how accurate it would be. Free. */
export const EstimateResponse = z
  .object({
    dataset: z.string(),
    cost: Budget,
    mechanisms: z.array(MechanismReport),
    budget: BudgetStatus.optional()
  })
  .strict()
  .meta({ id: 'EstimateResponse' });
export type EstimateResponse = z.infer<typeof EstimateResponse>;

/** Answer of POST /v1/queries/sql/estimate: the estimate of the compiled plan, and the plan. */
export const SqlEstimateResponse = EstimateResponse.extend({
  plan: QueryPlanSchema as z.ZodType<QueryPlan>
})
  .strict()
  .meta({ id: 'SqlEstimateResponse' });
export type SqlEstimateResponse = z.infer<typeof SqlEstimateResponse>;

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
