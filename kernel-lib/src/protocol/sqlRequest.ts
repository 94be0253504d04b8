/**
 * The wire types of the SQL front end: what an analyst sends (SQL text, bound parameters,
 * per-query options) and what comes back (the release of the compiled plan, with the plan and the
 * post-processing that was applied). The SQL compiler itself lives in `lomas-kernel/sql`.
 *
 * SQL is a second way to write a query plan: the server compiles the text into a QueryPlan and
 * answers that plan exactly as if it had been sent by the builder. The text is never executed.
 */
import { z } from 'zod';
import { Amount } from './budget';
import { LomasError } from './errors';
import {
  DATASET_NAME_PATTERN,
  NAME_PATTERN,
  PLAN_LIMITS,
  RESERVED_NAMES,
  type Expr,
  type PlanAmount,
  type QueryPlan,
  type Scalar
} from './plan';
import type { EstimateResponse, ReleaseResponse } from './result';

/** Limits of an SQL request (the compiled plan then meets every PLAN_LIMITS too). */
export const SQL_LIMITS = {
  /** Characters of SQL text. */
  textLength: 10000,
  /** Bound parameters ($1 … $n). */
  params: 100,
  /** Values of one list parameter (used as `IN ($1)`). */
  valuesPerParam: PLAN_LIMITS.valuesPerKey,
  /** Tokens of SQL text (keeps the parser's work small whatever the text). */
  tokens: 1000,
  /** Nesting of parentheses. */
  parenDepth: PLAN_LIMITS.exprDepth,
  /** Largest LIMIT. */
  limit: 1000000
} as const;

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

/** Free post-processing of released values: HAVING, ORDER BY, LIMIT and the SELECT order. */
export interface SqlPostProcess {
  /** Output columns in SELECT order (group keys, then aggregations by their output names). */
  columns: string[];
  /** HAVING, over released values (output names): rows where it is not true are dropped. */
  having?: Expr;
  orderBy?: Array<{ column: string; descending: boolean }>;
  limit?: number;
}

/** What the server answers to an SQL request: the release of the compiled plan, and the plan. */
export type SqlReleaseResponse = ReleaseResponse & {
  plan: QueryPlan;
  sql: { text: string; postprocess: SqlPostProcess };
};
export type SqlEstimateResponse = EstimateResponse & { plan: QueryPlan };

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const reserved = new Set(RESERVED_NAMES);
const Name = z
  .string()
  .regex(NAME_PATTERN, 'a name is 1 to 64 letters, digits or _, not starting with a digit')
  .refine(n => !reserved.has(n), { message: 'this name is reserved' });
const Finite = z.number().finite();
const ScalarSchema: z.ZodType<Scalar> = z.union(
  [z.string().max(PLAN_LIMITS.stringLength), Finite, z.boolean(), z.null()],
  {
    error: () =>
      'a value is a string (at most 1,000 characters), a finite number, a boolean or null'
  }
);
const Record_ = <T extends z.ZodType>(v: T) =>
  z
    .record(Name, v)
    .refine(r => Object.keys(r).length <= PLAN_LIMITS.aggregations + PLAN_LIMITS.groupKeys, {
      message: 'too many entries'
    });

export const SqlOptionsSchema: z.ZodType<SqlOptions> = z
  .object({
    epsilon: Amount.optional(),
    delta: Amount.optional(),
    rho: Amount.optional(),
    confidence: Finite.gt(0).lt(1).optional(),
    mechanism: z.enum(['laplace', 'gaussian']).optional(),
    bounds: Record_(z.tuple([Finite, Finite])).optional(),
    keys: Record_(z.array(ScalarSchema).min(1).max(PLAN_LIMITS.valuesPerKey)).optional(),
    discover: z.object({ delta: Amount }).strict().optional()
  })
  .strict();

export const SqlParamSchema: z.ZodType<SqlParam> = z.union([
  ScalarSchema,
  z.array(ScalarSchema).max(SQL_LIMITS.valuesPerParam)
]);

export const SqlRequestSchema: z.ZodType<SqlRequest> = z
  .object({
    sql: z.string().min(1, 'the SQL text is empty'),
    dataset: z
      .string()
      .regex(DATASET_NAME_PATTERN, 'a dataset name is letters, digits, _ . or -')
      .optional(),
    params: z.array(SqlParamSchema).max(SQL_LIMITS.params).optional(),
    options: SqlOptionsSchema.optional()
  })
  .strict();

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
