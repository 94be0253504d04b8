/**
 * Synthetic data: the wire format of a request for a differentially private synthetic table
 * (MST-style: private selection and noisy measurement of low-order marginals, then rows sampled
 * from a model consistent with them), and of the answers.
 *
 * The TypeScript types are written by hand and the zod schemas are typed against them (as in
 * plan.ts). The limits below are public and enforced here (schema) and on the server (metadata
 * rules: columns need bounds or categories; a budget must be large enough to measure something).
 *
 * Semantics the schema cannot express:
 * - `columns` default: every column of the dataset that can be modelled (numeric and datetime
 *   columns with both bounds, string columns with categories, booleans), except the privacy id.
 *   A column named explicitly that cannot be modelled is refused.
 * - Numeric and datetime columns are cut into `bins` equal-width bins between their public bounds
 *   (default SYNTHETIC_DEFAULT_BINS; an int column with fewer values than bins gets one bin per
 *   value); NULL is a value of its own in nullable columns.
 * - The budget is split in three equal parts: all one-way marginals, the private choice of a tree
 *   of pairs, the pair marginals of that tree (all to the one-way marginals for one column).
 */
import { z } from 'zod';
import {
  Budget as BudgetWire,
  BudgetStatus as BudgetStatusWire,
  type Budget,
  type BudgetStatus
} from './budget';
import { LomasError } from './errors';
import {
  DATASET_NAME_PATTERN,
  NAME_PATTERN,
  PlanBudgetSchema,
  RESERVED_NAMES,
  type Mechanism,
  type PlanBudget
} from './plan';
import { MechanismReport as MechanismReportWire, type MechanismReport } from './result';

export const SYNTHETIC_VERSION = 1;

/** Public limits of a synthetic-data request. */
export const SYNTHETIC_LIMITS = {
  /** Rows of one synthetic table. */
  rows: 100000,
  /** Columns modelled in one request. */
  columns: 16,
  /** Cells of one synthetic table (rows × columns): bounds the answer and its archive copy. */
  cells: 500000,
  /** Bins of a numeric or datetime column. */
  bins: 256,
  /**
   * Values of a column kept distinct in the pair marginals; rarer values (by their noisy one-way
   * count) share one merged value there, and are told apart by the one-way marginal only.
   */
  keptValues: 255,
  /**
   * A one-way cell's noise standard deviation above this many rows measures nothing: such a
   * budget is refused before any charge.
   */
  cellNoise: 10000
} as const;

/** Bins of a numeric or datetime column when the request does not say. */
export const SYNTHETIC_DEFAULT_BINS = 10;

// ---------------------------------------------------------------------------------------------
// Types (plain TypeScript)
// ---------------------------------------------------------------------------------------------

export interface SyntheticRequest {
  version: 1;
  dataset: string;
  /** Rows of the synthetic table (1 to SYNTHETIC_LIMITS.rows). */
  rows: number;
  /** { epsilon } (Laplace, permute-and-flip), { rho } or { epsilon, delta } with gaussian. */
  budget: PlanBudget;
  /** Columns to model (default: every column that can be modelled). */
  columns?: string[];
  /** Bins of numeric and datetime columns (default SYNTHETIC_DEFAULT_BINS). */
  bins?: number;
  /** Noise family; default Laplace for an ε budget, Gaussian for a ρ budget. */
  mechanism?: Mechanism;
  /** Level of the reported noise intervals (default 0.95). */
  confidence?: number;
}

export type SyntheticColumnType = 'string' | 'number' | 'integer' | 'boolean' | 'datetime';

/** How one column was discretised (all public: from the metadata and the request). */
export interface SyntheticColumnModel {
  name: string;
  type: SyntheticColumnType;
  /** Cells of its one-way marginal (bins or categories, plus NULL when nullable). */
  cells: number;
  nullable: boolean;
  /** Bin edges (numeric: numbers; datetime: ISO strings), or the categories. */
  edges?: Array<number | string>;
  categories?: Array<string | boolean>;
  /** Values kept distinct in its pair marginals (known after the one-way release). */
  kept?: number;
}

/** The noise on one released marginal (or one stage) and what it means for accuracy. */
export interface MarginalAccuracy {
  /** One column (a one-way marginal) or two (a pair of the tree). */
  columns: string[];
  cells: number;
  mechanism: string;
  /** Noise scale per cell (σ for Gaussian), rows. */
  scale: string;
  /** Half-width of each cell's noise at `confidence`, rows. */
  halfWidth: number;
  /**
   * Expected total-variation distance between this marginal of the synthetic table and the true
   * one due to the noise: the raw measurement's expected error (cells × E|noise| / 2·rows, with
   * the noisy row count), plus, for a pair with merged rare values, the one-way errors of its
   * columns. Post-processing usually lowers it; unmeasured pairs are not covered. Absent in
   * estimates.
   */
  expectedTv?: number;
}

export interface SyntheticAccuracy {
  confidence: number;
  marginals: MarginalAccuracy[];
  /** The private choice of the tree: with prob. ≥ confidence each chosen pair's score is within `gap` rows of the best one. */
  selection: { mechanism: string; scale: string; rounds: number; gap: number } | null;
  note: string;
}

export interface SyntheticModel {
  columns: SyntheticColumnModel[];
  /** Columns of the dataset left out by default, and why. */
  omitted: Array<{ column: string; reason: string }>;
  /** The pairs measured (a spanning tree chosen privately); absent in estimates. */
  tree?: Array<[string, string]>;
  /** The noisy number of rows after post-processing; absent in estimates. */
  rowsEstimate?: number;
}

/** Answer of POST /v1/synthetic/estimate: cost and noise of a synthetic table. Free. */
export interface SyntheticEstimate {
  dataset: string;
  cost: Budget;
  mechanisms: MechanismReport[];
  model: SyntheticModel;
  accuracy: SyntheticAccuracy;
  budget?: BudgetStatus;
}

export type SyntheticValue = string | number | boolean | null;

/**
 * Answer of POST /v1/synthetic (spends), POST /v1/synthetic/dummy (free) and
 * GET /v1/synthetic/{queryId} (the archived release again, free). Rows travel column-wise.
 */
export interface SyntheticRelease {
  version: 1;
  kind: 'release' | 'dummy';
  dataset: string;
  queryId?: string;
  title: string;
  rows: number;
  columns: Array<{ name: string; type: SyntheticColumnType }>;
  data: Record<string, SyntheticValue[]>;
  cost: Budget;
  mechanisms: MechanismReport[];
  model: SyntheticModel;
  accuracy: SyntheticAccuracy;
  budget?: BudgetStatus;
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const reserved = new Set(RESERVED_NAMES);
const Name = z
  .string()
  .regex(NAME_PATTERN, 'a name is 1 to 64 letters, digits or _, not starting with a digit')
  .refine(n => !reserved.has(n), { message: 'this name is reserved' });

export const SyntheticRequestSchema: z.ZodType<SyntheticRequest> = z
  .object({
    version: z.literal(SYNTHETIC_VERSION, {
      error: () => `version must be ${SYNTHETIC_VERSION}`
    }),
    dataset: z.string().regex(DATASET_NAME_PATTERN, 'a dataset name is letters, digits, _ . or -'),
    rows: z
      .number()
      .int('rows must be a whole number')
      .min(1, 'rows must be at least 1')
      .max(
        SYNTHETIC_LIMITS.rows,
        `rows must be at most ${SYNTHETIC_LIMITS.rows} (the synthetic-table limit)`
      ),
    budget: PlanBudgetSchema,
    columns: z
      .array(Name)
      .min(1, 'list at least one column, or leave columns out to model every column')
      .max(
        SYNTHETIC_LIMITS.columns,
        `at most ${SYNTHETIC_LIMITS.columns} columns can be modelled in one request`
      )
      .optional(),
    bins: z
      .number()
      .int('bins must be a whole number')
      .min(2, 'bins must be at least 2')
      .max(SYNTHETIC_LIMITS.bins, `bins must be at most ${SYNTHETIC_LIMITS.bins}`)
      .optional(),
    mechanism: z.enum(['laplace', 'gaussian']).optional(),
    confidence: z.number().finite().gt(0).lt(1).optional()
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.columns && new Set(r.columns).size !== r.columns.length)
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'a column is listed twice' });
    const width = r.columns?.length ?? 1;
    if (r.rows * width > SYNTHETIC_LIMITS.cells)
      ctx.addIssue({
        code: 'custom',
        path: ['rows'],
        message: `${r.rows} rows × ${width} columns exceed the limit of ${SYNTHETIC_LIMITS.cells} cells`,
        params: {
          fix: `Ask for at most ${Math.floor(SYNTHETIC_LIMITS.cells / width)} rows, or fewer columns.`
        }
      });
  });

const FIX =
  'Call dataset.synthetic({ rows, epsilon }) from lomas-kernel, or follow the SyntheticRequest format (lomas-kernel/protocol).';

/** What to change, per field whose rule failed. */
const FIXES: Record<string, string> = {
  rows: `Ask for 1 to ${SYNTHETIC_LIMITS.rows} rows.`,
  columns: `List 1 to ${SYNTHETIC_LIMITS.columns} distinct columns, or leave columns out to model every column.`,
  bins: `Give bins between 2 and ${SYNTHETIC_LIMITS.bins}, or leave it out for ${SYNTHETIC_DEFAULT_BINS}.`,
  budget:
    'Give { epsilon: 1 } (Laplace), { rho: 0.5 } or { epsilon, delta } with mechanism "gaussian".',
  confidence: 'Give a confidence strictly between 0 and 1, e.g. 0.95.'
};

/**
 * Validates an untrusted synthetic-data request. Throws LomasError('INVALID_REQUEST') naming the
 * first problem, with a fix, and every issue in `details.issues`.
 */
export function parseSyntheticRequest(json: unknown): SyntheticRequest {
  const r = SyntheticRequestSchema.safeParse(json);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 10).map(i => ({
    path: i.path.length ? i.path.map(String).join('.') : '(request)',
    message: i.message
  }));
  const first = r.error.issues[0];
  const params = (first as { params?: { fix?: unknown } }).params;
  const fix =
    first.code === 'unrecognized_keys'
      ? `Remove ${first.keys.map(k => `"${k}"`).join(', ')}.`
      : typeof params?.fix === 'string'
        ? params.fix
        : (FIXES[String(first.path[0])] ?? FIX);
  throw new LomasError(
    'INVALID_REQUEST',
    { problem: `${issues[0].path}: ${issues[0].message} (${fix.replace(/\.$/, '')})` },
    { issues }
  );
}

// Response schemas (documentation: /openapi.json; validation on the client side).
// One schema per wire type: budgets and mechanism reports are the protocol's own.
const BudgetSchema = BudgetWire;
const BudgetStatusSchema = BudgetStatusWire;
const MechanismReportSchema = MechanismReportWire;
const ColumnType = z.enum(['string', 'number', 'integer', 'boolean', 'datetime']);

export const SyntheticModelSchema: z.ZodType<SyntheticModel> = z.object({
  columns: z.array(
    z.object({
      name: z.string(),
      type: ColumnType,
      cells: z.number().int(),
      nullable: z.boolean(),
      edges: z.array(z.union([z.number(), z.string()])).optional(),
      categories: z.array(z.union([z.string(), z.boolean()])).optional(),
      kept: z.number().int().optional()
    })
  ),
  omitted: z.array(z.object({ column: z.string(), reason: z.string() })),
  tree: z.array(z.tuple([z.string(), z.string()])).optional(),
  rowsEstimate: z.number().optional()
});

export const SyntheticAccuracySchema: z.ZodType<SyntheticAccuracy> = z.object({
  confidence: z.number(),
  marginals: z.array(
    z.object({
      columns: z.array(z.string()),
      cells: z.number().int(),
      mechanism: z.string(),
      scale: z.string(),
      halfWidth: z.number(),
      expectedTv: z.number().optional()
    })
  ),
  selection: z
    .object({ mechanism: z.string(), scale: z.string(), rounds: z.number().int(), gap: z.number() })
    .nullable(),
  note: z.string()
});

export const SyntheticEstimateSchema: z.ZodType<SyntheticEstimate> = z.object({
  dataset: z.string(),
  cost: BudgetSchema,
  mechanisms: z.array(MechanismReportSchema),
  model: SyntheticModelSchema,
  accuracy: SyntheticAccuracySchema,
  budget: BudgetStatusSchema.optional()
});

const Value = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const SyntheticReleaseObject = z.object({
  version: z.literal(1),
  kind: z.enum(['release', 'dummy']),
  dataset: z.string(),
  queryId: z.string().optional(),
  title: z.string(),
  rows: z.number().int(),
  columns: z.array(z.object({ name: z.string(), type: ColumnType })),
  data: z.record(z.string(), z.array(Value)),
  cost: BudgetSchema,
  mechanisms: z.array(MechanismReportSchema),
  model: SyntheticModelSchema,
  accuracy: SyntheticAccuracySchema,
  budget: BudgetStatusSchema.optional()
});
export const SyntheticReleaseSchema: z.ZodType<SyntheticRelease> = SyntheticReleaseObject;
/** A synthetic release as history lists it: without its rows (fetch them with GET /v1/synthetic/{id}). */
export const SyntheticHistoryReleaseSchema = SyntheticReleaseObject.omit({ data: true });
