/**
 * Linear regression by sufficient-statistics perturbation (SSP): ONE noisy release of the Gram
 * matrix of z = (1, features…, target) on the fixed-point grid (common.ts), then ridge regression
 * on the noisy matrix as post-processing. Wang 2018 (AdaSSP) with the ridge chosen from the noisy
 * matrix itself instead of a separately noised smallest eigenvalue; see PROOF.md.
 *
 * Engine contract (complete rows only: a row with NULL in a feature or the target is dropped):
 *   count = number of rows; sums[i] = Σ q_i; products = Σ q_i·q_j for i ≤ j (row-major), where
 *   q = (q_1…q_d, q_y) are the fixed-point encodings of the clamped, normalised features and target.
 */
import type { Composition } from '../../measurement';
import type { Cost } from '../../accounting';
import type { Rng } from '../../rng';
import {
  calibrateModel,
  checkBoundsOf,
  checkNumber,
  composeSteps,
  encode,
  fromFixed,
  ONE,
  vectorStep,
  type Bounds,
  type ModelBudget,
  type ModelCalibration,
  type NoisyStep
} from '../common';
import {
  addDiagonal,
  inverseSymmetric,
  minEigenvalue,
  multiply,
  transpose,
  type Matrix
} from '../linalg';
import { invalidParameter } from '../../errors';

export const MAX_LINEAR_FEATURES = 32;

export interface LinearSpec extends ModelBudget {
  /** Public bounds of each feature (after encoding; one-hot indicators are [0, 1]). */
  features: readonly Bounds[];
  target: Bounds;
  /** Public ridge floor λ₀ ≥ 0 added to the normalised Gram matrix (default 0). */
  ridge?: number;
}

export interface LinearPlan {
  kind: 'linear';
  features: Bounds[];
  target: Bounds;
  ridge: number;
  calibration: ModelCalibration;
  /** The one noisy step: the Gram matrix of (1, features, target), upper triangle. */
  gram: NoisyStep;
  steps: NoisyStep[];
  composition: Composition;
  cost: Cost;
}

export interface LinearStatistics {
  count: bigint;
  sums: readonly bigint[];
  products: readonly bigint[];
}

export interface LinearFit {
  intercept: number;
  coefficients: number[];
  /** First-order standard deviation of the DP noise in each coefficient (not sampling error). */
  stdErrors: { intercept: number; coefficients: number[] };
  /** The ridge λ used, in normalised units. */
  ridge: number;
  /**
   * In-sample R² computed from the same noisy release (post-processing), with the first-order
   * standard deviation of its noise; null if undefined.
   */
  r2: { value: number; noiseSd: number } | null;
  /** The noisy number of rows. */
  rows: number;
}

const triangle = (m: number) => (m * (m + 1)) / 2;

export function planLinear(spec: LinearSpec): LinearPlan {
  if (!Array.isArray(spec.features) || spec.features.length === 0)
    throw invalidParameter('features', 'needs at least one feature');
  if (spec.features.length > MAX_LINEAR_FEATURES)
    throw invalidParameter(
      'features',
      `at most ${MAX_LINEAR_FEATURES} features (after encoding) fit in one model`,
      'Use fewer features or fewer categories.'
    );
  const features = spec.features.map((b, i) => checkBoundsOf(b, `features[${i}].bounds`));
  const target = checkBoundsOf(spec.target, 'target.bounds');
  const ridge = checkNumber(spec.ridge, 0, 'ridge');
  const cal = calibrateModel(spec, 1, 'linear regression');
  const m = features.length + 2;
  const entries = BigInt(triangle(m));
  // One row adds z_i·z_j (|z| ≤ ONE) to each of the m(m+1)/2 entries.
  const gram = vectorStep(
    cal,
    { l1: entries * ONE * ONE, l2sq: entries * ONE ** 4n },
    triangle(m),
    'gram',
    2
  );
  const composition = composeSteps([gram], cal);
  return {
    kind: 'linear',
    features,
    target,
    ridge,
    calibration: cal,
    gram,
    steps: [gram],
    composition,
    cost: composition.loss
  };
}

/** The integer Gram vector (upper triangle of z zᵀ summed, z_0 = ONE) from the engine's statistics. */
export function gramVector(stats: LinearStatistics, m: number): bigint[] {
  const k = m - 1;
  if (
    typeof stats?.count !== 'bigint' ||
    stats.sums?.length !== k ||
    stats.products?.length !== triangle(k) ||
    ![...stats.sums, ...stats.products].every((v: unknown) => typeof v === 'bigint')
  )
    throw invalidParameter(
      'statistics',
      `must hold a count, ${k} sums and ${triangle(k)} products`
    );
  const out: bigint[] = [stats.count * ONE * ONE, ...stats.sums.map(s => s * ONE)];
  return out.concat(stats.products);
}

/** Reference statistics of rows (tests; the contract the SQL implements). */
export function linearStatistics(
  rows: ReadonlyArray<{ x: readonly number[]; y: number }>,
  plan: Pick<LinearPlan, 'features' | 'target'>
): LinearStatistics {
  const k = plan.features.length + 1;
  const sums = new Array<bigint>(k).fill(0n);
  const products = new Array<bigint>(triangle(k)).fill(0n);
  for (const r of rows) {
    const q = [...r.x.map((v, j) => encode(v, plan.features[j])), encode(r.y, plan.target)];
    let t = 0;
    for (let i = 0; i < k; i++) {
      sums[i] += q[i];
      for (let j = i; j < k; j++) products[t++] += q[i] * q[j];
    }
  }
  return { count: BigInt(rows.length), sums, products };
}

function symmetric(values: readonly bigint[], m: number): Matrix {
  const g = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  let t = 0;
  for (let i = 0; i < m; i++)
    for (let j = i; j < m; j++) g[i][j] = g[j][i] = fromFixed(values[t++], 2);
  return g;
}

/** Noise-level ridge: λ_min(Â + λI) ≥ τ, with τ ≈ 3× the expected spectral norm scale of the noise. */
export function ridgeFor(a: Matrix, sd: number, floor: number): number {
  const tau = 3 * sd * Math.sqrt(a.length);
  return Math.max(floor, tau - minEigenvalue(a));
}

/**
 * Releases the Gram matrix through the plan's measurement (the only noise), then fits by ridge
 * regression on the noisy matrix (post-processing).
 */
export function releaseLinear(plan: LinearPlan, stats: LinearStatistics, rng: Rng): LinearFit {
  const m = plan.features.length + 2;
  const noisy = plan.gram.measurement.invoke(gramVector(stats, m), rng);
  return fitFromGram(plan, symmetric(noisy, m));
}

function fitFromGram(plan: LinearPlan, g: Matrix): LinearFit {
  const p = plan.features.length + 1;
  const a = g.slice(0, p).map(row => row.slice(0, p));
  const b = g.slice(0, p).map(row => row[p]);
  const yy = g[p][p];
  const sd = plan.gram.sd / Number(ONE) ** 2;
  const lambda = ridgeFor(a, sd, plan.ridge);
  const inv = inverseSymmetric(addDiagonal(a, lambda));
  const theta = inv.map(row => row.reduce((s, v, k) => s + v * b[k], 0));
  return {
    ...toOriginal(plan, theta, covariance(inv, theta, sd)),
    ridge: lambda,
    r2: rSquared(a, b, yy, theta, sd),
    rows: a[0][0]
  };
}

/**
 * First-order covariance of θ̂ from the noise: θ̂ − θ ≈ A⁻¹(e − Eθ) with independent noise of
 * standard deviation sd on every upper-triangle entry, so Cov(e − Eθ) = sd²((1 + ‖θ‖²)I + θθᵀ − diag θ²).
 */
function covariance(inv: Matrix, theta: number[], sd: number): Matrix {
  const norm = theta.reduce((s, v) => s + v * v, 0);
  const u = theta.map((ti, i) => theta.map((tj, j) => sd * sd * (i === j ? 1 + norm : ti * tj)));
  return multiply(multiply(inv, u), inv);
}

/**
 * R² = 1 − RSS/TSS from the noisy Gram matrix. Its noise, to first order, is that of RSS = yy −
 * 2θᵀb + θᵀAθ at fixed θ (the θ-derivative vanishes at the optimum): independent noise of standard
 * deviation sd on yy, on each b_i (weight 2θ_i), on each diagonal A_ii (θ_i²) and on each A_ij,
 * i < j (2θ_iθ_j), divided by TSS.
 */
function rSquared(
  a: Matrix,
  b: number[],
  yy: number,
  theta: number[],
  sd: number
): { value: number; noiseSd: number } | null {
  const n = a[0][0];
  if (!(n > 1)) return null;
  let rss = yy;
  theta.forEach((ti, i) => {
    rss -= 2 * ti * b[i];
    theta.forEach((tj, j) => (rss += ti * tj * a[i][j]));
  });
  const tss = yy - (b[0] * b[0]) / n;
  if (!(tss > 0)) return null;
  let weights = 1;
  theta.forEach((ti, i) => {
    weights += 4 * ti * ti + ti ** 4;
    for (let j = i + 1; j < theta.length; j++) weights += 4 * ti * ti * theta[j] * theta[j];
  });
  // In-sample R² of least squares with an intercept lies in [0, 1]; the noise can push the
  // estimate outside, so it is clamped (post-processing).
  return {
    value: Math.min(1, Math.max(0, 1 - rss / tss)),
    noiseSd: (sd * Math.sqrt(weights)) / tss
  };
}

/** Coefficients and their standard errors in the original units (an affine map of θ). */
function toOriginal(
  plan: LinearPlan,
  theta: number[],
  cov: Matrix
): Pick<LinearFit, 'intercept' | 'coefficients' | 'stdErrors'> {
  const half = (b: Bounds) => (b.upper - b.lower) / 2;
  const mid = (b: Bounds) => (b.lower + b.upper) / 2;
  const hy = half(plan.target);
  // β = mid_y·e₀ + Jθ, J₀ = h_y(1, −mid_j/h_j …), J_j = (h_y/h_j)·e_j
  const j0 = [hy, ...plan.features.map(f => (-hy * mid(f)) / half(f))];
  const jac: Matrix = [
    j0,
    ...plan.features.map((f, i) => j0.map((_, k) => (k === i + 1 ? hy / half(f) : 0)))
  ];
  const beta = jac.map(row => row.reduce((s, v, k) => s + v * theta[k], 0));
  const c = multiply(multiply(jac, cov), transpose(jac));
  const se = c.map((row, i) => Math.sqrt(Math.max(0, row[i])));
  return {
    intercept: mid(plan.target) + beta[0],
    coefficients: beta.slice(1),
    stdErrors: { intercept: se[0], coefficients: se.slice(1) }
  };
}
