/**
 * Fits a planned model on a loaded dataset: the SQL of sql.ts gives the exact statistics each
 * noisy step needs (the models' engine contracts), the DP engine noises them through the plan's
 * measurements and post-processes the releases. Call only after the plan's cost was charged (or
 * on dummy data). Iterative models query the data once per step, each time with the public
 * parameters released so far.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { ModelMetrics, ModelParameters } from 'lomas-kernel/protocol';
import {
  fitKMeans,
  fitLogistic,
  LOGIT_LIMIT,
  releaseLinear,
  releaseNaiveBayes,
  releaseNaiveBayesAccuracy,
  type ClassStatistics,
  type ClusterStatistics,
  type NaiveBayesFit,
  type Rng
} from '../dp';
import { EngineFailure, fromDuckDB } from '../engine/failure';
import { DATA_TABLE, type LoadedDataset } from '../engine/load';
import type { StorageInfo } from '../query/compile';
import type { ResolvedModel } from './columns';
import type { ModelDpPlan, PlannedModel } from './plan';
import {
  assignSql,
  classStatisticsSql,
  countSql,
  gradientSql,
  inertiaSql,
  linearSql,
  logisticCorrectSql,
  naiveBayesCorrectSql,
  type CompiledSql
} from './sql';

/** Runs one statement of the fit on the dataset (bounded by its query timeout). */
type Run = (q: CompiledSql) => Promise<DuckDBValue[][]>;

type Planned<K extends ModelDpPlan['kind']> = PlannedModel & {
  dp: Extract<ModelDpPlan, { kind: K }>;
};

export interface ModelFitResult {
  parameters: ModelParameters;
  metrics: ModelMetrics;
}

const big = (v: DuckDBValue): bigint =>
  v === null || v === undefined ? 0n : typeof v === 'bigint' ? v : BigInt(String(v));

/**
 * Runs one statement, interrupted when it outlives the instance's query timeout (as the query
 * engine does); a statement finishing after the deadline counts as timed out too.
 */
async function rowsOf(
  conn: DuckDBConnection,
  q: CompiledSql,
  timeoutMs: number
): Promise<DuckDBValue[][]> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.interrupt();
  }, timeoutMs);
  try {
    const rows = (await conn.runAndReadAll(q.sql, q.params, q.types)).getRows();
    if (timedOut) throw new EngineFailure('timeout', `over ${timeoutMs} ms`);
    return rows;
  } catch (e) {
    if (timedOut && !(e instanceof EngineFailure))
      throw new EngineFailure('timeout', `over ${timeoutMs} ms`, { cause: e });
    throw fromDuckDB(e);
  } finally {
    clearTimeout(timer);
  }
}

/** Per-group statistics (class or cluster index in column 0), zeros for absent groups. */
function byIndex<T>(rows: DuckDBValue[][], k: number, make: (row: DuckDBValue[] | null) => T): T[] {
  const at = new Map<number, DuckDBValue[]>();
  for (const r of rows) at.set(Number(r[0]), r);
  return Array.from({ length: k }, (_, i) => make(at.get(i) ?? null));
}

async function linear(
  p: Planned<'linear'>,
  run: Run,
  s: StorageInfo,
  rng: Rng
): Promise<ModelFitResult> {
  const [row] = await run(linearSql(p.resolved, s));
  const k = p.resolved.features.length + 1;
  const stats = {
    count: big(row[0]),
    sums: row.slice(1, 1 + k).map(big),
    products: row.slice(1 + k).map(big)
  };
  const fit = releaseLinear(p.dp, stats, rng);
  return {
    parameters: {
      model: 'linear',
      intercept: fit.intercept,
      coefficients: fit.coefficients,
      stdErrors: fit.stdErrors,
      ridge: fit.ridge
    },
    metrics: { rows: fit.rows, r2: fit.r2 }
  };
}

/** Naive Bayes means and variances back on the normalised scale (what the SQL compares). */
function normalisedFit(m: ResolvedModel, fit: NaiveBayesFit) {
  const half = m.features.map(f => (f.bounds[1] - f.bounds[0]) / 2);
  const mid = m.features.map(f => (f.bounds[1] + f.bounds[0]) / 2);
  return {
    priors: fit.priors,
    means: fit.means.map(row => row.map((v, j) => (v - mid[j]) / half[j])),
    variances: fit.variances.map(row => row.map((v, j) => v / half[j] ** 2))
  };
}

async function naiveBayes(
  p: Planned<'naive_bayes'>,
  run: Run,
  s: StorageInfo,
  rng: Rng
): Promise<ModelFitResult> {
  const d = p.resolved.features.length;
  const rows = await run(classStatisticsSql(p.resolved, s));
  const stats = byIndex<ClassStatistics>(rows, p.dp.classes, r => ({
    count: r ? big(r[1]) : 0n,
    sums: Array.from({ length: d }, (_, j) => (r ? big(r[2 + j]) : 0n)),
    squares: Array.from({ length: d }, (_, j) => (r ? big(r[2 + d + j]) : 0n))
  }));
  const fit = releaseNaiveBayes(p.dp, stats, rng);
  const metrics: ModelMetrics = { rows: fit.counts.reduce((a, b) => a + b, 0) };
  if (p.dp.accuracy) {
    const [[correct]] = await run(
      naiveBayesCorrectSql(p.resolved, s, normalisedFit(p.resolved, fit))
    );
    metrics.accuracy = releaseNaiveBayesAccuracy(p.dp, fit, big(correct), rng);
  }
  return {
    parameters: {
      model: 'naive_bayes',
      priors: fit.priors,
      means: fit.means,
      variances: fit.variances
    },
    metrics
  };
}

async function logistic(
  p: Planned<'logistic'>,
  run: Run,
  s: StorageInfo,
  rng: Rng
): Promise<ModelFitResult> {
  const m = p.resolved;
  const fit = await fitLogistic(
    p.dp,
    {
      count: async () => big((await run(countSql(m, s)))[0][0]),
      gradient: async theta =>
        (await run(gradientSql(m, s, theta, LOGIT_LIMIT, p.dp.clip)))[0].map(big),
      correct: async theta => big((await run(logisticCorrectSql(m, s, theta)))[0][0])
    },
    rng
  );
  return {
    parameters: { model: 'logistic', intercepts: fit.intercepts, coefficients: fit.coefficients },
    metrics: { rows: fit.rows, ...(fit.accuracy ? { accuracy: fit.accuracy } : {}) }
  };
}

async function kmeans(
  p: Planned<'kmeans'>,
  run: Run,
  s: StorageInfo,
  rng: Rng
): Promise<ModelFitResult> {
  const m = p.resolved;
  const d = m.features.length;
  const fit = await fitKMeans(
    p.dp,
    {
      assign: async centres =>
        byIndex<ClusterStatistics>(await run(assignSql(m, s, centres)), p.dp.clusters, r => ({
          count: r ? big(r[1]) : 0n,
          sums: Array.from({ length: d }, (_, j) => (r ? big(r[2 + j]) : 0n))
        })),
      inertia: async centres => big((await run(inertiaSql(m, s, centres)))[0][0])
    },
    rng
  );
  return {
    parameters: { model: 'kmeans', centres: fit.centres, sizes: fit.sizes },
    metrics: {
      rows: fit.sizes.reduce((a, b) => a + b, 0),
      ...(fit.inertia ? { inertia: fit.inertia } : {})
    }
  };
}

/** Runs the model's statistics on the dataset and releases the fit through its measurements. */
export async function fitModel(
  p: PlannedModel,
  d: LoadedDataset,
  rng: Rng
): Promise<ModelFitResult> {
  const s: StorageInfo = { table: DATA_TABLE, columns: Object.keys(d.columns) };
  const conn = await d.instance.connect();
  const run: Run = q => rowsOf(conn, q, d.limits.queryTimeoutMs);
  try {
    switch (p.dp.kind) {
      case 'linear':
        return await linear(p as Planned<'linear'>, run, s, rng);
      case 'naive_bayes':
        return await naiveBayes(p as Planned<'naive_bayes'>, run, s, rng);
      case 'logistic':
        return await logistic(p as Planned<'logistic'>, run, s, rng);
      case 'kmeans':
        return await kmeans(p as Planned<'kmeans'>, run, s, rng);
    }
  } finally {
    conn.closeSync();
  }
}
