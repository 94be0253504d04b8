/**
 * The wire types of the SQL front end: what an analyst sends (SQL text, bound parameters,
 * per-query options) and what the archive keeps of it. What comes back (the release of the
 * compiled plan, with the plan and the post-processing that was applied) is in result.ts, beside
 * the release it extends. The SQL compiler itself lives in `lomas-kernel/sql`.
 *
 * SQL is a second way to write a query plan: the server compiles the text into a QueryPlan and
 * answers that plan exactly as if it had been sent by the builder. The text is never executed.
 */
import { z } from 'zod';
import { Amount } from './amount';
import { LomasError } from './errors';
import { SQL_LIMITS } from './limits';
import {
  ConfidenceSchema,
  DatasetNameSchema,
  NameSchema,
  PLAN_LIMITS,
  ScalarSchema,
  type PlanAmount,
  type Scalar
} from './plan';
import { SqlPostProcessSchema } from './result';

export { SQL_LIMITS } from './limits';

/** A bound parameter: a scalar, or a list of scalars (only as the whole list of `IN ($n)`). */
export type SqlParam = Scalar | Scalar[];

/**
 * Per-query options: what SQL has no syntax for. The budget is split equally across the
 * aggregations (as the builder's `.agg([...], { epsilon })`).
 */
export interface SqlOptions {
  epsilon?: PlanAmount;
  delta?: PlanAmount;
  rho?: PlanAmount;
  /** Confidence level of the reported intervals (default 0.95). */
  confidence?: number;
  mechanism?: 'laplace' | 'gaussian';
  /**
   * Bounds per column (a column aggregated as it is, `SUM(body_mass_g)`) or per output name (an
   * aggregation's alias, `SUM(body_mass_g / 1000) AS kg`). They override the metadata's bounds
   * for that aggregation; values outside are clamped.
   */
  bounds?: Record<string, [number, number]>;
  /** Explicit public key values per GROUP BY key (otherwise: the metadata's categories). */
  keys?: Record<string, Scalar[]>;
  /** Discover the GROUP BY keys privately, released above a threshold calibrated to this δ. */
  discover?: { delta: PlanAmount };
}

export interface SqlRequest {
  sql: string;
  /** The dataset: required when the SQL says `FROM df`; otherwise it must match the FROM. */
  dataset?: string;
  /** Values of $1, $2, …: bound as literals, never spliced into the text. */
  params?: SqlParam[];
  options?: SqlOptions;
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const Finite = z.number().finite();
const Record_ = <T extends z.ZodType>(v: T) =>
  z
    .record(NameSchema, v)
    .refine(r => Object.keys(r).length <= PLAN_LIMITS.aggregations + PLAN_LIMITS.groupKeys, {
      message: 'too many entries'
    });

export const SqlOptionsSchema: z.ZodType<SqlOptions> = z
  .object({
    epsilon: Amount.optional(),
    delta: Amount.optional(),
    rho: Amount.optional(),
    confidence: ConfidenceSchema.optional(),
    mechanism: z.enum(['laplace', 'gaussian']).optional(),
    bounds: Record_(z.tuple([Finite, Finite])).optional(),
    keys: Record_(z.array(ScalarSchema).min(1).max(PLAN_LIMITS.valuesPerKey)).optional(),
    discover: z.object({ delta: Amount }).strict().optional()
  })
  .strict() as z.ZodType<SqlOptions>;

export const SqlParamSchema: z.ZodType<SqlParam> = z.union([
  ScalarSchema,
  z.array(ScalarSchema).max(SQL_LIMITS.valuesPerParam)
]);

export const SqlRequestSchema: z.ZodType<SqlRequest> = z
  .object({
    sql: z.string().min(1, 'the SQL text is empty'),
    dataset: DatasetNameSchema.optional(),
    params: z.array(SqlParamSchema).max(SQL_LIMITS.params).optional(),
    options: SqlOptionsSchema.optional()
  })
  .strict()
  .meta({
    id: 'SqlRequest',
    description:
      'SQL text (a SELECT of group keys and aggregates FROM df or a dataset), the dataset, bound parameters ($1 …) and options (budget, bounds, keys). Compiled into a QueryPlan on the server; never executed.'
  }) as z.ZodType<SqlRequest>;

/** What the archive and the history keep of a query sent as SQL, beside its compiled plan. */
export const SqlRecord = z
  .object({
    text: z.string(),
    params: z.array(SqlParamSchema).optional(),
    options: SqlOptionsSchema.optional(),
    postprocess: SqlPostProcessSchema
  })
  .strict()
  .meta({ id: 'SqlRecord' });
export type SqlRecord = z.infer<typeof SqlRecord>;

/**
 * Validates an untrusted SQL request body. A text over the size limit is INVALID_SQL (rule
 * "text-size"); other problems are INVALID_REQUEST with the path of the first one.
 */
export function parseSqlRequest(json: unknown): SqlRequest {
  const text = (json as { sql?: unknown } | null)?.sql;
  if (typeof text === 'string' && text.length > SQL_LIMITS.textLength)
    throw new LomasError(
      'INVALID_SQL',
      {
        problem: `the text has ${text.length} characters, above the limit of ${SQL_LIMITS.textLength}`,
        fix: 'Send one short query; a DP query needs only a few lines.'
      },
      { rule: 'text-size' }
    );
  const r = SqlRequestSchema.safeParse(json);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const path = first.path.length ? first.path.map(String).join('.') : '(request)';
  const fix =
    first.code === 'unrecognized_keys'
      ? ` (remove ${first.keys.map(k => `"${k}"`).join(', ')}; the fields are sql, dataset, params and options)`
      : '';
  throw new LomasError('INVALID_REQUEST', { problem: `${path}: ${first.message}${fix}` });
}
