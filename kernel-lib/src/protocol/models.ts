/**
 * DP models: the wire format of a request to train a model on private data under differential
 * privacy, and of the answers. A model comes back as plain JSON numbers (coefficients, class
 * statistics or centres) that the notebook applies itself; nothing is pickled, nothing runs on
 * the private data after the release.
 *
 * The TypeScript types are written by hand and the zod schemas are typed against them (as in
 * plan.ts). Semantics the schema cannot express (the server checks them against the metadata):
 * - `steps` (filter, select, derive) shape the rows first, exactly as in a query plan.
 * - A feature is a numeric column with public bounds (metadata, a derived column's bounds, or
 *   `bounds` here, which can only narrow public ones), a boolean (0/1), or a string column with
 *   public categories and `encoding: "onehot"` (one 0/1 indicator per category after the first,
 *   which is the reference). Values are clamped to the bounds.
 * - `target`: linear — a numeric column with bounds; logistic and naive_bayes — a string column
 *   with public categories or a boolean (the classes); kmeans — none.
 * - Rows with NULL in a feature or the target (or a class outside the public list) are left out.
 * - Metrics on the private data (accuracy, inertia) are noisy releases, charged with the model
 *   (`options.evaluate`); linear regression's R² comes free from its one noisy release.
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
  StepSchema,
  PLAN_LIMITS,
  type Mechanism,
  type PlanBudget,
  type Step
} from './plan';

export const MODEL_VERSION = 1;

export const MODEL_KINDS = ['linear', 'logistic', 'naive_bayes', 'kmeans'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Public limits of a model request (the DP engine enforces the same numbers). */
export const MODEL_LIMITS = {
  /** Features after encoding (each one-hot category counts as one). */
  features: 32,
  classes: 20,
  clusters: 16,
  /** Gradient steps of a logistic regression. */
  iterations: 100,
  /** Lloyd rounds of k-means. */
  rounds: 50
} as const;

// ---------------------------------------------------------------------------------------------
// Types (plain TypeScript)
// ---------------------------------------------------------------------------------------------

export type FeatureEncoding = 'onehot';

/** A feature: a column name, or a column with an encoding (string columns need one). */
export type ModelFeature = string | { column: string; encoding?: FeatureEncoding };

export interface ModelOptions {
  /** linear: ridge floor λ₀ ≥ 0 on the normalised scale (default 0; the noise adds its own). */
  ridge?: number;
  /** logistic: gradient steps (default 5 with Laplace, 10 with Gaussian); kmeans: rounds (5). */
  iterations?: number;
  /** logistic: step size on the normalised scale (default 10). */
  learningRate?: number;
  /** logistic: heavy-ball momentum in [0, 1) (default 0.5). */
  momentum?: number;
  /** logistic: L2 penalty on the weights (default 0). */
  l2?: number;
  /** logistic: clipping bound C in (0, 1] of each row's gradient coordinates (default 0.5). */
  clip?: number;
  /** kmeans: number of clusters. */
  clusters?: number;
  /** kmeans: public initial centres, one per cluster, in the features' units. */
  init?: number[][];
  /** naive_bayes: smallest variance on the normalised scale (default 1e-3). */
  varianceFloor?: number;
  /** logistic, naive_bayes: release the training accuracy; kmeans: the inertia (charged). */
  evaluate?: boolean;
}

export interface ModelRequest {
  version: 1;
  dataset: string;
  model: ModelKind;
  steps?: Step[];
  features: ModelFeature[];
  target?: string;
  /** Clamping bounds per column (narrow the public ones, or give bounds a column lacks). */
  bounds?: Record<string, [number, number]>;
  budget: PlanBudget;
  /** Noise family; default Laplace for an ε budget, Gaussian for a ρ budget. */
  mechanism?: Mechanism;
  options?: ModelOptions;
}

/** One feature as the model uses it (after encoding), with its public clamping bounds. */
export interface ModelFeatureInfo {
  name: string;
  column: string;
  bounds: [number, number];
  /** One-hot indicators: the category this indicator is 1 for. */
  category?: string;
  /** Booleans and one-hot indicators: 0/1. */
  indicator?: boolean;
}

export interface ModelTargetInfo {
  column: string;
  /** linear: the target's clamping bounds. */
  bounds?: [number, number];
  /** Classifiers: the public classes, in order (class 0 is the logistic reference). */
  classes?: Array<string | boolean>;
}

/** One noisy step of the fit: what was noised, how, and what it cost. */
export interface ModelNoise {
  step: string;
  mechanism: string;
  /** Noise scale per value (σ for Gaussian) on the normalised scale, 6 significant digits. */
  scale: string;
  /** Values noised per invocation; steps of the same kind are merged (invocations). */
  values: number;
  invocations: number;
  cost: Budget;
}

export type ModelParameters =
  | {
      model: 'linear';
      intercept: number;
      coefficients: number[];
      /** Standard deviation of the DP noise in each coefficient (first order). */
      stdErrors: { intercept: number; coefficients: number[] };
      /** The ridge λ used on the normalised scale. */
      ridge: number;
    }
  | {
      model: 'logistic';
      /** Per class, logit = intercept + Σ coefficient·clamped feature; class 0 is all zeros. */
      intercepts: number[];
      coefficients: number[][];
    }
  | {
      model: 'naive_bayes';
      priors: number[];
      /** means[class][feature], variances[class][feature], in the features' units. */
      means: number[][];
      variances: number[][];
    }
  | {
      model: 'kmeans';
      /** centres[cluster][feature] in the features' units (clustering is on the normalised scale). */
      centres: number[][];
      /** Noisy rows per cluster in the last round. */
      sizes: number[];
    };

export interface NoisyMetric {
  value: number;
  noiseSd: number;
}

/** Releases about the training data: all computed from noisy statistics (charged). */
export interface ModelMetrics {
  /** Noisy number of training rows. */
  rows?: number;
  /** linear: in-sample R² from the same noisy release (with the standard deviation of its noise). */
  r2?: NoisyMetric | null;
  accuracy?: NoisyMetric;
  /** kmeans: Σ squared distances to the nearest centre, normalised scale. */
  inertia?: NoisyMetric;
}

/** Answer of POST /v1/models/estimate: what a model would cost and the noise it would carry. */
export interface ModelEstimate {
  dataset: string;
  model: ModelKind;
  features: ModelFeatureInfo[];
  target?: ModelTargetInfo;
  cost: Budget;
  noise: ModelNoise[];
  budget?: BudgetStatus;
}

/** Answer of POST /v1/models (spends budget) and POST /v1/models/dummy (free). */
export interface ModelRelease {
  version: 1;
  kind: 'release' | 'dummy';
  dataset: string;
  queryId?: string;
  model: ModelKind;
  title: string;
  features: ModelFeatureInfo[];
  target?: ModelTargetInfo;
  parameters: ModelParameters;
  metrics: ModelMetrics;
  cost: Budget;
  noise: ModelNoise[];
  notes: string[];
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
const Finite = z.number().finite();

const FeatureSchema: z.ZodType<ModelFeature> = z.union([
  Name,
  z.object({ column: Name, encoding: z.literal('onehot').optional() }).strict()
]);

export const ModelOptionsSchema: z.ZodType<ModelOptions> = z
  .object({
    ridge: Finite.nonnegative().optional(),
    iterations: z.number().int().min(1).max(MODEL_LIMITS.iterations).optional(),
    learningRate: Finite.positive().optional(),
    momentum: Finite.min(0).lt(1).optional(),
    l2: Finite.nonnegative().optional(),
    clip: Finite.positive().max(1).optional(),
    clusters: z.number().int().min(2).max(MODEL_LIMITS.clusters).optional(),
    init: z.array(z.array(Finite).max(MODEL_LIMITS.features)).max(MODEL_LIMITS.clusters).optional(),
    varianceFloor: Finite.positive().max(1).optional(),
    evaluate: z.boolean().optional()
  })
  .strict();

/** Options each kind accepts (others are refused, not ignored). */
export const MODEL_OPTIONS: Record<ModelKind, ReadonlyArray<keyof ModelOptions>> = {
  linear: ['ridge'],
  logistic: ['iterations', 'learningRate', 'momentum', 'l2', 'clip', 'evaluate'],
  naive_bayes: ['varianceFloor', 'evaluate'],
  kmeans: ['clusters', 'iterations', 'init', 'evaluate']
};

export const ModelRequestSchema: z.ZodType<ModelRequest> = z
  .object({
    version: z.literal(MODEL_VERSION, { error: () => `version must be ${MODEL_VERSION}` }),
    dataset: z.string().regex(DATASET_NAME_PATTERN, 'a dataset name is letters, digits, _ . or -'),
    model: z.enum(MODEL_KINDS, {
      error: () => `model must be one of ${MODEL_KINDS.join(', ')}`
    }),
    steps: z.array(StepSchema).max(PLAN_LIMITS.steps).optional(),
    features: z
      .array(FeatureSchema)
      .min(1, 'a model needs at least one feature')
      .max(MODEL_LIMITS.features, `at most ${MODEL_LIMITS.features} features`),
    target: Name.optional(),
    bounds: z.record(Name, z.tuple([Finite, Finite])).optional(),
    budget: PlanBudgetSchema,
    mechanism: z.enum(['laplace', 'gaussian']).optional(),
    options: ModelOptionsSchema.optional()
  })
  .strict()
  .superRefine((r, ctx) => {
    const columns = r.features.map(f => (typeof f === 'string' ? f : f.column));
    if (new Set(columns).size !== columns.length)
      ctx.addIssue({ code: 'custom', path: ['features'], message: 'a feature is listed twice' });
    if (r.target !== undefined && columns.includes(r.target))
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: `"${r.target}" is both a feature and the target`
      });
    const needsTarget = r.model !== 'kmeans';
    if (needsTarget && r.target === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: `a ${r.model} model needs a target column`,
        params: { fix: 'Name the column to predict: { target: "body_mass_g" }.' }
      });
    if (!needsTarget && r.target !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: 'k-means has no target',
        params: { fix: 'Remove target, or use a classifier (logistic, naive_bayes).' }
      });
    for (const key of Object.keys(r.options ?? {}) as Array<keyof ModelOptions>)
      if (!MODEL_OPTIONS[r.model].includes(key))
        ctx.addIssue({
          code: 'custom',
          path: ['options', key],
          message: `option "${key}" does not apply to ${r.model}`,
          params: {
            fix: `Options of ${r.model}: ${MODEL_OPTIONS[r.model].join(', ') || 'none'}.`
          }
        });
    if (r.model === 'kmeans' && r.options?.clusters === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'clusters'],
        message: 'k-means needs the number of clusters',
        params: { fix: 'Give options: { clusters: 3 }.' }
      });
    for (const [c, b] of Object.entries(r.bounds ?? {}))
      if (!(b[0] < b[1]))
        ctx.addIssue({
          code: 'custom',
          path: ['bounds', c],
          message: 'the lower bound must be below the upper bound'
        });
  });

const FIX =
  'Build the request with dataset.model(...) from lomas-kernel, or follow the ModelRequest format (lomas-kernel/protocol).';

/** Validates an untrusted model request; throws INVALID_REQUEST naming the first problem and a fix. */
export function parseModelRequest(json: unknown): ModelRequest {
  const r = ModelRequestSchema.safeParse(json);
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
        : FIX;
  throw new LomasError(
    'INVALID_REQUEST',
    { problem: `${issues[0].path}: ${issues[0].message}. ${fix}` },
    { issues }
  );
}

// Response schemas (documentation in /openapi.json; validation on the client side).
// One schema per wire type: budgets and mechanism reports are the protocol's own.
const BudgetSchema = BudgetWire;
const BudgetStatusSchema = BudgetStatusWire;

export const ModelFeatureInfoSchema: z.ZodType<ModelFeatureInfo> = z.object({
  name: z.string(),
  column: z.string(),
  bounds: z.tuple([z.number(), z.number()]),
  category: z.string().optional(),
  indicator: z.boolean().optional()
});

export const ModelTargetInfoSchema: z.ZodType<ModelTargetInfo> = z.object({
  column: z.string(),
  bounds: z.tuple([z.number(), z.number()]).optional(),
  classes: z.array(z.union([z.string(), z.boolean()])).optional()
});

export const ModelNoiseSchema: z.ZodType<ModelNoise> = z.object({
  step: z.string(),
  mechanism: z.string(),
  scale: z.string(),
  values: z.number().int(),
  invocations: z.number().int(),
  cost: BudgetSchema
});

const Numbers = z.array(z.number());
export const ModelParametersSchema: z.ZodType<ModelParameters> = z.discriminatedUnion('model', [
  z.object({
    model: z.literal('linear'),
    intercept: z.number(),
    coefficients: Numbers,
    stdErrors: z.object({ intercept: z.number(), coefficients: Numbers }),
    ridge: z.number()
  }),
  z.object({ model: z.literal('logistic'), intercepts: Numbers, coefficients: z.array(Numbers) }),
  z.object({
    model: z.literal('naive_bayes'),
    priors: Numbers,
    means: z.array(Numbers),
    variances: z.array(Numbers)
  }),
  z.object({ model: z.literal('kmeans'), centres: z.array(Numbers), sizes: Numbers })
]);

const MetricSchema = z.object({ value: z.number(), noiseSd: z.number() });
export const ModelMetricsSchema: z.ZodType<ModelMetrics> = z.object({
  rows: z.number().optional(),
  r2: MetricSchema.nullable().optional(),
  accuracy: MetricSchema.optional(),
  inertia: MetricSchema.optional()
});

export const ModelEstimateSchema: z.ZodType<ModelEstimate> = z.object({
  dataset: z.string(),
  model: z.enum(MODEL_KINDS),
  features: z.array(ModelFeatureInfoSchema),
  target: ModelTargetInfoSchema.optional(),
  cost: BudgetSchema,
  noise: z.array(ModelNoiseSchema),
  budget: BudgetStatusSchema.optional()
});

export const ModelReleaseSchema: z.ZodType<ModelRelease> = z.object({
  version: z.literal(1),
  kind: z.enum(['release', 'dummy']),
  dataset: z.string(),
  queryId: z.string().optional(),
  model: z.enum(MODEL_KINDS),
  title: z.string(),
  features: z.array(ModelFeatureInfoSchema),
  target: ModelTargetInfoSchema.optional(),
  parameters: ModelParametersSchema,
  metrics: ModelMetricsSchema,
  cost: BudgetSchema,
  noise: z.array(ModelNoiseSchema),
  notes: z.array(z.string()),
  budget: BudgetStatusSchema.optional()
});
