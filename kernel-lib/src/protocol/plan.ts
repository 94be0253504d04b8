/**
 * The query plan: the versioned wire format of a differentially private query ("the plan"; see the
 * glossary in docs/ARCHITECTURE.md for the checked plan, the noise plan and the costed query).
 *
 * A plan is data, never code. The notebook builder emits it; the server validates it again with
 * `parsePlan` (or `QueryPlanSchema`), checks it against the dataset's public metadata with
 * `checkPlan` (rules/), and interprets or compiles it itself. The TypeScript types are written by
 * hand (plain interfaces, no zod in them) and the zod schemas are typed against them, so both can
 * never drift apart.
 *
 * Semantics the schema cannot express (documented here so every side agrees):
 * - Steps apply in order: `filter` keeps rows whose predicate is true (null counts as false),
 *   `select` keeps only the listed columns, `derive` adds (or replaces) row-wise columns.
 * - Equality (`==`, `!=`) is strict (no type coercion); comparisons with null are null (false in a
 *   filter); use `isnull` to test for null.
 * - Every aggregation needs a budget: its own `budget`, its own `accuracy` target (the server
 *   derives the budget), or a share of the plan's `budget`, which is split equally across the
 *   aggregations that have neither. A budget is `{ epsilon }`, `{ epsilon, delta }` or `{ rho }`.
 * - Accuracy targets are supported for count (any keys), and sum and histogram with public or no
 *   keys (rules/budget.ts, ACCURACY_TARGETS); other aggregations are refused with the reason.
 * - `bounds` OVERRIDE the column's public bounds (from the metadata, or a derived column's
 *   `lower`/`upper`): the aggregation clamps to exactly the bounds given. Without `bounds` the
 *   column's public bounds are used; sum, mean, variance, stdev, quantile and median need one of
 *   them. `bounds` apply to those six only.
 * - `confidence` (default 0.95) is the level of the intervals reported with each release.
 * - Group keys are public: explicit `values`, or the categories from the metadata, or (with
 *   `discover`) keys released privately with a delta-calibrated threshold.
 */
import { z } from 'zod';
import { Amount, compareAmountToOne, isPositiveAmount } from './amount';
import { LomasError } from './errors';
import { PLAN_LIMITS } from './limits';
import { DATASET_NAME_PATTERN, NAME_PATTERN, RESERVED_NAMES } from './names';

export { PLAN_LIMITS } from './limits';

export const PLAN_VERSION = 1;

export { DATASET_NAME_PATTERN, NAME_PATTERN, RESERVED_NAMES } from './names';

// ---------------------------------------------------------------------------------------------
// Types (plain TypeScript)
// ---------------------------------------------------------------------------------------------

/** A privacy amount: an exact decimal string ("0.5") or a number read as its shortest decimal. */
export type PlanAmount = string | number;
export type Scalar = string | number | boolean | null;
export type ColumnType = 'int' | 'float' | 'string' | 'boolean';

export type UnaryOp = '-' | '!';
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOp = '&&' | '||';

/** The whitelisted functions, with their number of arguments ([min, max]). */
export const EXPR_FUNCTIONS = {
  abs: [1, 1],
  round: [1, 1],
  floor: [1, 1],
  ceil: [1, 1],
  log: [1, 1],
  exp: [1, 1],
  sqrt: [1, 1],
  min: [2, 8],
  max: [2, 8],
  startsWith: [2, 2],
  endsWith: [2, 2],
  includes: [2, 2],
  lower: [1, 1],
  upper: [1, 1],
  length: [1, 1],
  year: [1, 1],
  month: [1, 1],
  day: [1, 1],
  hour: [1, 1],
  weekday: [1, 1]
} as const;
export type ExprFunction = keyof typeof EXPR_FUNCTIONS;
export const EXPR_FUNCTION_NAMES = Object.keys(EXPR_FUNCTIONS) as ExprFunction[];

export interface ColExpr {
  kind: 'col';
  name: string;
}
export interface LitExpr {
  kind: 'lit';
  value: Scalar;
}
export interface UnaryExpr {
  kind: 'unary';
  op: UnaryOp;
  arg: Expr;
}
export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
}
export interface LogicalExpr {
  kind: 'logical';
  op: LogicalOp;
  left: Expr;
  right: Expr;
}
export interface CondExpr {
  kind: 'cond';
  test: Expr;
  then: Expr;
  else: Expr;
}
export interface IsNullExpr {
  kind: 'isnull';
  arg: Expr;
}
/** `startsWith`/`endsWith`/`includes` take (string, needle); min/max take 2 to 8 arguments. */
export interface CallExpr {
  kind: 'call';
  fn: ExprFunction;
  args: Expr[];
}
export type Expr =
  ColExpr | LitExpr | UnaryExpr | BinaryExpr | LogicalExpr | CondExpr | IsNullExpr | CallExpr;

export interface FilterStep {
  op: 'filter';
  predicate: Expr;
}
export interface SelectStep {
  op: 'select';
  columns: string[];
}
/** A derived column: its expression and, optionally, its public type, bounds or categories. */
export interface DeriveColumn {
  expr: Expr;
  type?: ColumnType;
  lower?: number;
  upper?: number;
  categories?: string[];
}
export interface DeriveStep {
  op: 'derive';
  columns: Record<string, DeriveColumn>;
}
export type Step = FilterStep | SelectStep | DeriveStep;

export interface GroupBy {
  keys: string[];
  /** Explicit public key values, per key. Keys without a list use the metadata's categories. */
  values?: Record<string, Scalar[]>;
  /** Private key discovery: keys are released only above a threshold calibrated to delta. */
  discover?: { delta: PlanAmount };
}

export interface PlanBudget {
  epsilon?: PlanAmount;
  delta?: PlanAmount;
  rho?: PlanAmount;
}

export interface AccuracyTarget {
  /** Target half-width of the confidence interval, in the statistic's unit. */
  halfWidth: number;
  /** Defaults to the plan's confidence. */
  confidence?: number;
}

/** Every aggregation, in one list (the schema, the checker and the DP engine read it). */
export const AGGREGATION_OPS = [
  'count',
  'sum',
  'mean',
  'variance',
  'stdev',
  'quantile',
  'median',
  'histogram'
] as const;
export type AggregationOp = (typeof AGGREGATION_OPS)[number];

/** Aggregations that clamp their column to public bounds (the bounds fix their sensitivity). */
export const BOUNDED_AGGREGATIONS: readonly AggregationOp[] = [
  'sum',
  'mean',
  'variance',
  'stdev',
  'quantile',
  'median'
];

export type Mechanism = 'laplace' | 'gaussian';

export interface Aggregation {
  op: AggregationOp;
  /** Required except for count (count without a column counts rows). */
  column?: string;
  /** Output name; default: `aggregationName()`. */
  as?: string;
  /** [lower, upper]: the clamping range, used as given (it overrides the column's public bounds). */
  bounds?: [number, number];
  /** Quantile in (0, 1): required for quantile, forbidden otherwise. */
  q?: number;
  /** Histogram bin edges, strictly increasing (numeric columns); omit for categorical columns. */
  bins?: number[];
  budget?: PlanBudget;
  accuracy?: AccuracyTarget;
  mechanism?: Mechanism;
}

export interface QueryPlan {
  version: 1;
  dataset: string;
  steps: Step[];
  groupby?: GroupBy;
  aggregations: Aggregation[];
  /** Split equally across the aggregations that have no budget and no accuracy of their own. */
  budget?: PlanBudget;
  /** Confidence level of reported intervals, 0 < c < 1; default 0.95. */
  confidence?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;

/** The output column name of an aggregation: `as`, else `count`, `count_x`, `mean_x`, ... */
export function aggregationName(a: Aggregation): string {
  if (a.as !== undefined) return a.as;
  return a.column === undefined ? a.op : `${a.op}_${a.column}`;
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const reserved = new Set(RESERVED_NAMES);

/** A column or output name (plans, SQL options). */
export const NameSchema = z
  .string()
  .regex(NAME_PATTERN, 'a name is 1 to 64 letters, digits or _, not starting with a digit')
  .refine(n => !reserved.has(n), { message: 'this name is reserved' });

export const DatasetNameSchema = z
  .string()
  .regex(
    DATASET_NAME_PATTERN,
    'a dataset name is 1 to 128 letters, digits and _.-, not starting with . or -'
  )
  .meta({ example: 'penguins' });

const Finite = z.number().finite();
const Str = z.string().max(PLAN_LIMITS.stringLength);
export const ScalarSchema: z.ZodType<Scalar> = z.union([Str, Finite, z.boolean(), z.null()], {
  error: () => 'a value is a string (at most 1,000 characters), a finite number, a boolean or null'
});

const OPEN_UNIT = (what: string) => `${what} is strictly between 0 and 1`;
export const ConfidenceSchema = Finite.gt(0, OPEN_UNIT('a confidence level')).lt(
  1,
  OPEN_UNIT('a confidence level')
);

export const PlanBudgetSchema: z.ZodType<PlanBudget> = z
  .object({ epsilon: Amount.optional(), delta: Amount.optional(), rho: Amount.optional() })
  .strict()
  .superRefine((b, ctx) => {
    const issue = (message: string, fix: string) =>
      ctx.addIssue({ code: 'custom', message, params: { fix } });
    if (b.epsilon !== undefined && b.rho !== undefined)
      return issue(
        'a budget gives epsilon or rho, not both',
        'Write { epsilon: 0.5 } (Laplace or, with a delta, Gaussian noise) or { rho: 0.01 } (Gaussian noise).'
      );
    if (b.rho !== undefined && b.delta !== undefined)
      return issue(
        'a rho budget takes no delta',
        'Write { rho: 0.01 }; the dataset states rho as epsilon at its own delta.'
      );
    if (!isPositiveAmount(b.epsilon) && !isPositiveAmount(b.rho))
      return issue('a budget needs a positive epsilon (or rho)', 'Write { epsilon: 0.5 }.');
    if (b.delta !== undefined && compareAmountToOne(b.delta) !== -1)
      issue('delta must be below 1', 'Write a small delta such as 1e-7.');
  });

/** Measures an expression's depth and node count without recursion; stops at the limits. */
export function measureExpr(value: unknown): { depth: number; nodes: number; tooBig: boolean } {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let depth = 0;
  let nodes = 0;
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    nodes++;
    if (d > depth) depth = d;
    if (depth > PLAN_LIMITS.exprDepth || nodes > PLAN_LIMITS.exprNodes) {
      return { depth, nodes, tooBig: true };
    }
    const o = v as Record<string, unknown>;
    for (const k of ['arg', 'left', 'right', 'test', 'then', 'else']) {
      if (Object.prototype.hasOwnProperty.call(o, k)) stack.push([o[k], d + 1]);
    }
    if (Array.isArray(o.args)) for (const a of o.args.slice(0, 16)) stack.push([a, d + 1]);
  }
  return { depth, nodes, tooBig: false };
}

const ExprNode: z.ZodType<Expr> = z.lazy(() =>
  z.discriminatedUnion(
    'kind',
    [
      z.object({ kind: z.literal('col'), name: NameSchema }).strict(),
      z.object({ kind: z.literal('lit'), value: ScalarSchema }).strict(),
      z.object({ kind: z.literal('unary'), op: z.enum(['-', '!']), arg: ExprNode }).strict(),
      z
        .object({
          kind: z.literal('binary'),
          op: z.enum(['+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=']),
          left: ExprNode,
          right: ExprNode
        })
        .strict(),
      z
        .object({
          kind: z.literal('logical'),
          op: z.enum(['&&', '||']),
          left: ExprNode,
          right: ExprNode
        })
        .strict(),
      z
        .object({ kind: z.literal('cond'), test: ExprNode, then: ExprNode, else: ExprNode })
        .strict(),
      z.object({ kind: z.literal('isnull'), arg: ExprNode }).strict(),
      z
        .object({
          kind: z.literal('call'),
          fn: z.enum(EXPR_FUNCTION_NAMES as [ExprFunction, ...ExprFunction[]], {
            error: () => `fn must be one of ${EXPR_FUNCTION_NAMES.join(', ')}`
          }),
          args: z.array(ExprNode).max(8)
        })
        .strict()
        .superRefine((c, ctx) => {
          const [min, max] = EXPR_FUNCTIONS[c.fn];
          if (c.args.length < min || c.args.length > max) {
            ctx.addIssue({
              code: 'custom',
              path: ['args'],
              message: `${c.fn} takes ${min === max ? min : `${min} to ${max}`} argument(s), not ${c.args.length}`
            });
          }
        })
    ],
    {
      error: () => 'kind must be one of col, lit, unary, binary, logical, cond, isnull, call'
    }
  )
);

/** An expression tree, with its depth and size limits checked before it is parsed. */
export const ExprSchema: z.ZodType<Expr> = z
  .unknown()
  .superRefine((v, ctx) => {
    const m = measureExpr(v);
    if (m.tooBig) {
      ctx.addIssue({
        code: 'custom',
        message: `the expression is too large (limits: depth ${PLAN_LIMITS.exprDepth}, ${PLAN_LIMITS.exprNodes} nodes)`,
        params: { fix: 'Split it into several filter or derive steps, or simplify it.' }
      });
    }
  })
  .pipe(ExprNode);

export const DeriveColumnSchema: z.ZodType<DeriveColumn> = z
  .object({
    expr: ExprSchema,
    type: z.enum(['int', 'float', 'string', 'boolean']).optional(),
    lower: Finite.optional(),
    upper: Finite.optional(),
    categories: z.array(Str).max(PLAN_LIMITS.categories).optional()
  })
  .strict()
  .refine(c => c.lower === undefined || c.upper === undefined || c.lower <= c.upper, {
    message: 'lower is above upper',
    path: ['lower']
  });

function uniqueStrings(xs: readonly string[]): boolean {
  return new Set(xs).size === xs.length;
}

export const StepSchema: z.ZodType<Step> = z.discriminatedUnion(
  'op',
  [
    z.object({ op: z.literal('filter'), predicate: ExprSchema }).strict(),
    z
      .object({
        op: z.literal('select'),
        columns: z
          .array(NameSchema)
          .min(1)
          .max(PLAN_LIMITS.columnsPerStep)
          .refine(uniqueStrings, 'columns are listed twice')
      })
      .strict(),
    z
      .object({
        op: z.literal('derive'),
        columns: z
          .record(NameSchema, DeriveColumnSchema)
          .refine(c => Object.keys(c).length >= 1, 'derive needs at least one column')
          .refine(
            c => Object.keys(c).length <= PLAN_LIMITS.columnsPerStep,
            `at most ${PLAN_LIMITS.columnsPerStep} columns per derive`
          )
      })
      .strict()
  ],
  { error: () => 'op must be one of filter, select, derive' }
);

export const GroupBySchema: z.ZodType<GroupBy> = z
  .object({
    keys: z
      .array(NameSchema)
      .min(1)
      .max(PLAN_LIMITS.groupKeys)
      .refine(uniqueStrings, 'a group key is listed twice'),
    values: z
      .record(
        NameSchema,
        z
          .array(ScalarSchema)
          .min(1)
          .max(PLAN_LIMITS.valuesPerKey, `at most ${PLAN_LIMITS.valuesPerKey} values per key`)
      )
      .optional(),
    discover: z
      .object({
        delta: Amount.refine(
          d => isPositiveAmount(d) && compareAmountToOne(d) === -1,
          'the delta of key discovery is strictly between 0 and 1'
        )
      })
      .strict()
      .optional()
  })
  .strict()
  .superRefine((g, ctx) => {
    if (!g.values) return;
    let groups = 1;
    for (const [k, vs] of Object.entries(g.values)) {
      if (!g.keys.includes(k)) {
        ctx.addIssue({ code: 'custom', path: ['values', k], message: `"${k}" is not a group key` });
      }
      if (new Set(vs.map(v => JSON.stringify(v))).size !== vs.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['values', k],
          message: 'a key value is listed twice'
        });
      }
      groups *= vs.length;
    }
    if (groups > PLAN_LIMITS.groups) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `the key lists make ${groups} groups, above the limit of ${PLAN_LIMITS.groups}`,
        params: { fix: 'Group by fewer keys or list fewer values; each group costs accuracy.' }
      });
    }
    if (g.discover !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['discover'],
        message: 'explicit key values and private key discovery cannot be combined',
        params: { fix: 'Either list the key values or discover them, not both.' }
      });
    }
  });

const BOUNDED_OPS = new Set<AggregationOp>([
  'sum',
  'mean',
  'variance',
  'stdev',
  'quantile',
  'median'
]);

export const AggregationSchema: z.ZodType<Aggregation> = z
  .object({
    op: z.enum(AGGREGATION_OPS, {
      error: () => `op must be one of ${AGGREGATION_OPS.join(', ')}`
    }),
    column: NameSchema.optional(),
    as: NameSchema.optional(),
    bounds: z.tuple([Finite, Finite]).optional(),
    q: Finite.gt(0, OPEN_UNIT('q')).lt(1, OPEN_UNIT('q')).optional(),
    bins: z
      .array(Finite)
      .min(2)
      .max(
        PLAN_LIMITS.histogramBins + 1,
        `at most ${PLAN_LIMITS.histogramBins} bins (${PLAN_LIMITS.histogramBins + 1} edges)`
      )
      .optional(),
    budget: PlanBudgetSchema.optional(),
    accuracy: z
      .object({
        halfWidth: Finite.gt(0, 'a target half-width is above 0'),
        confidence: ConfidenceSchema.optional()
      })
      .strict()
      .optional(),
    mechanism: z.enum(['laplace', 'gaussian']).optional()
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.op !== 'count' && a.column === undefined) {
      ctx.addIssue({ code: 'custom', path: ['column'], message: `${a.op} needs a column` });
    }
    if (a.bounds && !BOUNDED_OPS.has(a.op)) {
      ctx.addIssue({
        code: 'custom',
        path: ['bounds'],
        message: `bounds only apply to sum, mean, variance, stdev, quantile and median, not ${a.op}`,
        params: {
          fix: a.op === 'histogram' ? 'Give bin edges: { bins: [0, 10, 20] }.' : 'Remove bounds.'
        }
      });
    }
    if (a.bounds && a.bounds[0] > a.bounds[1]) {
      ctx.addIssue({
        code: 'custom',
        path: ['bounds'],
        message: 'the lower bound is above the upper bound'
      });
    }
    if (a.op === 'quantile' && a.q === undefined) {
      ctx.addIssue({ code: 'custom', path: ['q'], message: 'quantile needs q, between 0 and 1' });
    }
    if (a.op !== 'quantile' && a.q !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['q'],
        message: `q only applies to quantile, not ${a.op}`
      });
    }
    if (a.op !== 'histogram' && a.bins !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['bins'],
        message: `bins only apply to histogram, not ${a.op}`
      });
    }
    if (a.bins && a.bins.some((b, i) => i > 0 && !(b > a.bins![i - 1]))) {
      ctx.addIssue({
        code: 'custom',
        path: ['bins'],
        message: 'bin edges must be strictly increasing'
      });
    }
    if (a.budget !== undefined && a.accuracy !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['accuracy'],
        message: 'give a budget or an accuracy target, not both',
        params: { fix: 'Remove epsilon/delta/rho to let the server derive them from the accuracy.' }
      });
    }
  });

export const QueryPlanSchema: z.ZodType<QueryPlan> = z
  .object({
    version: z.literal(PLAN_VERSION, { error: () => `version must be ${PLAN_VERSION}` }),
    dataset: DatasetNameSchema,
    steps: z.array(StepSchema).max(PLAN_LIMITS.steps),
    groupby: GroupBySchema.optional(),
    aggregations: z
      .array(AggregationSchema)
      .min(1, 'a query needs at least one aggregation')
      .max(PLAN_LIMITS.aggregations),
    budget: PlanBudgetSchema.optional(),
    confidence: ConfidenceSchema.optional()
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = new Set<string>(p.groupby?.keys ?? []);
    p.aggregations.forEach((a, i) => {
      const name = aggregationName(a);
      if (names.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['aggregations', i, 'as'],
          message: `output column "${name}" is used twice`,
          params: { fix: 'Name each aggregation with { as: "..." }.' }
        });
      }
      names.add(name);
      if (a.budget === undefined && a.accuracy === undefined && p.budget === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['aggregations', i, 'budget'],
          message: `${name} has no budget`,
          params: {
            fix: 'Give it { epsilon: 0.5 } (or an accuracy target), or give the query a budget.'
          }
        });
      }
    });
  })
  .meta({
    id: 'QueryPlan',
    description: 'A query plan (lomas-kernel/protocol plan.ts), validated by parsePlan.',
    example: {
      version: 1,
      dataset: 'penguins',
      steps: [],
      groupby: { keys: ['species'] },
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '0.1' }
    }
  });

// ---------------------------------------------------------------------------------------------
// parsePlan
// ---------------------------------------------------------------------------------------------

const MAX_JSON_DEPTH = 128;
const MAX_JSON_VALUES = 200000;

/**
 * Rejects reserved keys (`__proto__`, `constructor`, ...) anywhere in a JSON value and bounds its
 * depth, without recursion. Returns a problem, or null.
 */
function guardJson(value: unknown): { problem: string; path: string } | null {
  const stack: Array<[unknown, number, string]> = [[value, 0, '']];
  let count = 0;
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop() as [unknown, number, string];
    if (++count > MAX_JSON_VALUES) return { problem: 'the plan is too large', path };
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) return { problem: 'the plan is nested too deeply', path };
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, depth + 1, `${path}.${i}`]));
      continue;
    }
    for (const k of Object.keys(v)) {
      if (reserved.has(k))
        return { problem: `the key "${k}" is not allowed`, path: `${path}.${k}` };
      stack.push([(v as Record<string, unknown>)[k], depth + 1, `${path}.${k}`]);
    }
  }
  return null;
}

const GENERIC_FIX =
  'Build plans with the lomas-kernel query builder, or follow the QueryPlan format (lomas-kernel/protocol).';

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(plan)' : path.map(String).join('.');
}

/** The error of guardJson's problem, for a value found at `at` in the plan. */
function guardError(guard: { problem: string; path: string }, at: string): LomasError {
  const path = `${at}${guard.path}`.replace(/^\./, '');
  return new LomasError(
    'INVALID_PLAN',
    { problem: `${path || '(plan)'}: ${guard.problem}`, fix: GENERIC_FIX },
    { issues: [{ path, message: guard.problem }] }
  );
}

type Issue = { path: readonly PropertyKey[]; message: string; code?: string; params?: unknown };

/**
 * The INVALID_PLAN error for schema issues: the path of the first problem in `problem`, a `fix`,
 * and every issue in `details.issues`. `at` is where the checked value sits in a plan, so the
 * builder checking one step or aggregation names the same path the server names for the plan.
 */
export function planSchemaError(
  list: readonly Issue[],
  at: readonly PropertyKey[] = []
): LomasError {
  const issues = list
    .slice(0, 20)
    .map(i => ({ path: pathText([...at, ...i.path]), message: i.message }));
  const first = list[0] as Issue & { keys?: string[] };
  const params = first.params as { fix?: unknown } | undefined;
  let fix = typeof params?.fix === 'string' ? params.fix : GENERIC_FIX;
  if (first.code === 'unrecognized_keys' && first.keys)
    fix = `Remove ${first.keys.map(k => `"${k}"`).join(', ')}.`;
  return new LomasError(
    'INVALID_PLAN',
    { problem: `${issues[0].path}: ${issues[0].message}`, fix },
    { issues }
  );
}

/**
 * Validates one part of a plan (a step, the group-by, an aggregation) at its place `at`, with
 * the same guard as parsePlan (reserved keys such as `__proto__`, which zod would silently drop).
 */
export function parsePlanPart<T>(schema: z.ZodType<T>, value: unknown, at: PropertyKey[]): T {
  const guard = guardJson(value);
  if (guard) throw guardError(guard, at.map(String).join('.'));
  const r = schema.safeParse(value);
  if (!r.success) throw planSchemaError(r.error.issues, at);
  return r.data;
}

/**
 * Validates an untrusted value as a query plan. Throws LomasError('INVALID_PLAN') with the path of
 * the first problem in `problem`, a `fix`, and every issue in `details.issues`.
 */
export function parsePlan(json: unknown): QueryPlan {
  const guard = guardJson(json);
  if (guard) throw guardError(guard, '');
  const r = QueryPlanSchema.safeParse(json);
  if (r.success) return r.data;
  throw planSchemaError(r.error.issues);
}

/** True when the value is a valid plan (no exception). */
export function isPlan(json: unknown): json is QueryPlan {
  return guardJson(json) === null && QueryPlanSchema.safeParse(json).success;
}
