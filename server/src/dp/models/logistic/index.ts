/**
 * Logistic regression (binary and multinomial, with class 0 as the reference) by NOISY GRADIENT
 * DESCENT: a public number T of steps from θ = 0, each releasing the exact sum of every row's
 * fixed-point gradient at the current (public) θ with Laplace or Gaussian noise; θ is updated from
 * the noisy sums only, so it stays public. One more step releases the row count that scales the
 * gradient. Bassily, Smith & Thakurta 2014 (noisy gradient descent); Abadi et al. 2016 and BS16
 * for zCDP composition. See PROOF.md.
 *
 * Features are clamped and normalised to [−1, 1] and |p_k − 1[y = k]| ≤ 1, so every gradient
 * coordinate lies in [−1, 1]; each is further CLIPPED to [−C, C] (public C ≤ 1, default 0.5: on
 * small data less noise beats the bias of clipping). The engine clamps the fixed-point encoding
 * to [−C·ONE, C·ONE] after rounding, which bounds every row's contribution whatever the
 * floating-point arithmetic did.
 *
 * Engine contract (complete rows whose class is one of the K public classes):
 *   count = rows; gradient(θ) = Σ_rows g(θ, row) with, for k = 1…K−1 and j = 0…d (c_0 = 1):
 *   t_k = θ_k·(1, c) clamped to [−30, 30], e_k = exp(t_k), p_k = e_k / (1 + Σ e),
 *   g_kj = clamp(round((p_k − 1[y = k])·c_j·2^30), −CLIP, CLIP) with CLIP = round(C·2^30)
 *   (row-major in k, then j).
 */
import type { Cost } from '../../accounting';
import { invalidParameter } from '../../errors';
import type { Composition } from '../../measurement';
import type { Rng } from '../../rng';
import {
  calibrateModel,
  checkBoundsOf,
  checkCount,
  checkNumber,
  composeSteps,
  fixedNumber,
  fromFixed,
  normalise,
  ONE,
  vectorStep,
  type Bounds,
  type ModelBudget,
  type ModelCalibration,
  type NoisyStep
} from '../common';
import { accuracyStep, accuracyValue, type Metric } from '../metric';
import { MAX_CLASSES } from '../naive-bayes';

export const MAX_LOGISTIC_FEATURES = 32;
export const MAX_ITERATIONS = 100;
/** Logits are clamped to ±LOGIT_LIMIT before exp (no overflow; p within 1e-13 of 0 or 1). */
export const LOGIT_LIMIT = 30;

/** Defaults tuned on penguins (README figures): few long steps under pure ε, more under zCDP. */
export const LOGISTIC_DEFAULTS = {
  laplace: { iterations: 5, learningRate: 10 },
  gaussian: { iterations: 10, learningRate: 10 },
  momentum: 0.5,
  clip: 0.5
} as const;

export interface LogisticSpec extends ModelBudget {
  features: readonly Bounds[];
  /** Number of public classes (2 for binary). */
  classes: number;
  iterations?: number;
  /** Step size on the normalised scale. */
  learningRate?: number;
  /** Heavy-ball momentum in [0, 1). */
  momentum?: number;
  /** L2 penalty on the non-intercept weights (normalised units). */
  l2?: number;
  /** Per-coordinate clipping C in (0, 1] of each row's gradient (normalised scale). */
  clip?: number;
  evaluate?: boolean;
}

export interface LogisticPlan {
  kind: 'logistic';
  features: Bounds[];
  classes: number;
  iterations: number;
  learningRate: number;
  momentum: number;
  l2: number;
  /** The clipping bound in fixed point: every row's gradient coordinate is in [−clip, clip]. */
  clip: bigint;
  calibration: ModelCalibration;
  count: NoisyStep;
  gradients: NoisyStep[];
  accuracy?: NoisyStep;
  steps: NoisyStep[];
  composition: Composition;
  cost: Cost;
}

/** What fitting needs from the engine (exact statistics of the private rows). */
export interface LogisticOracle {
  count(): Promise<bigint>;
  /** θ: (K−1) rows of (intercept, weights…) on the normalised scale. */
  gradient(theta: readonly (readonly number[])[]): Promise<bigint[]>;
  /** Rows whose most probable class under θ is their class (for `evaluate`). */
  correct?(theta: readonly (readonly number[])[]): Promise<bigint>;
}

export interface LogisticFit {
  /** Per class: intercept and coefficients in original units (class 0: all zero). */
  intercepts: number[];
  coefficients: number[][];
  /** The final θ on the normalised scale ((K−1) × (d+1)). */
  theta: number[][];
  rows: number;
  accuracy?: Metric;
}

export function planLogistic(spec: LogisticSpec): LogisticPlan {
  if (!Array.isArray(spec.features) || spec.features.length === 0)
    throw invalidParameter('features', 'needs at least one feature');
  if (spec.features.length > MAX_LOGISTIC_FEATURES)
    throw invalidParameter(
      'features',
      `at most ${MAX_LOGISTIC_FEATURES} features (after encoding) fit in one model`,
      'Use fewer features.'
    );
  const features = spec.features.map((b, i) => checkBoundsOf(b, `features[${i}].bounds`));
  const classes = checkCount(spec.classes, 0, 2, MAX_CLASSES, 'classes');
  const family = 'rho' in spec.budget || spec.mechanism === 'gaussian' ? 'gaussian' : 'laplace';
  const defaults = LOGISTIC_DEFAULTS[family];
  const iterations = checkCount(
    spec.iterations,
    defaults.iterations,
    1,
    MAX_ITERATIONS,
    'iterations'
  );
  const learningRate = checkNumber(spec.learningRate, defaults.learningRate, 'learningRate', true);
  const momentum = checkNumber(spec.momentum, LOGISTIC_DEFAULTS.momentum, 'momentum');
  if (momentum >= 1) throw invalidParameter('momentum', 'must be below 1');
  const l2 = checkNumber(spec.l2, 0, 'l2');
  const c = checkNumber(spec.clip, LOGISTIC_DEFAULTS.clip, 'clip', true);
  if (c > 1) throw invalidParameter('clip', 'must be at most 1 (gradients never exceed 1)');
  const clip = BigInt(Math.max(1, Math.round(c * Number(ONE))));
  const cal = calibrateModel(
    spec,
    iterations + 1 + (spec.evaluate ? 1 : 0),
    `logistic regression (${iterations} iterations and a row count)`
  );
  const width = BigInt((classes - 1) * (features.length + 1));
  const count = vectorStep(cal, { l1: 1n, l2sq: 1n }, 1, 'count');
  const gradients = Array.from({ length: iterations }, (_, t) =>
    vectorStep(
      cal,
      { l1: width * clip, l2sq: width * clip * clip },
      Number(width),
      `gradient_${t + 1}`,
      1
    )
  );
  const accuracy = spec.evaluate ? accuracyStep(cal) : undefined;
  const steps = [count, ...gradients, ...(accuracy ? [accuracy] : [])];
  const composition = composeSteps(steps, cal);
  return {
    kind: 'logistic',
    features,
    classes,
    iterations,
    learningRate,
    momentum,
    l2,
    clip,
    calibration: cal,
    count,
    gradients,
    accuracy,
    steps,
    composition,
    cost: composition.loss
  };
}

const dot = (w: readonly number[], z: readonly number[]) => {
  let s = w[0] * z[0];
  for (let j = 1; j < z.length; j++) s = s + w[j] * z[j];
  return s;
};

/** Class probabilities p_1…p_{K−1} (reference class 0 has 1 − Σ) for normalised features c. */
function probabilities(theta: readonly (readonly number[])[], c: readonly number[]): number[] {
  const z = [1, ...c];
  const e = theta.map(w => Math.exp(Math.min(LOGIT_LIMIT, Math.max(-LOGIT_LIMIT, dot(w, z)))));
  let den = 1;
  for (const v of e) den = den + v;
  return e.map(v => v / den);
}

/** One row's fixed-point gradient (the contract the SQL implements). */
export function logisticRowGradient(
  theta: readonly (readonly number[])[],
  c: readonly number[],
  y: number,
  clip: bigint = ONE
): bigint[] {
  return rowGradient(theta, c, y, Number(clip)).map(v => BigInt(v));
}

/** The same integers as doubles (exact, |g| ≤ 2^30). */
function rowGradient(
  theta: readonly (readonly number[])[],
  c: readonly number[],
  y: number,
  clip: number
): number[] {
  const p = probabilities(theta, c);
  const z = [1, ...c];
  return p.flatMap((pk, k) => {
    const r = pk - (y === k + 1 ? 1 : 0);
    return z.map(zj => Math.min(clip, Math.max(-clip, fixedNumber(r * zj))));
  });
}

/** The class with the largest logit (ties: the lowest index). */
export function logisticClass(theta: readonly (readonly number[])[], c: readonly number[]): number {
  const z = [1, ...c];
  let best = 0;
  let top = 0;
  theta.forEach((w, k) => {
    const t = dot(w, z);
    if (t > top) {
      top = t;
      best = k + 1;
    }
  });
  return best;
}

/** A reference oracle over in-memory rows (tests; the contract the SQL implements). */
export function logisticOracle(
  rows: ReadonlyArray<{ x: readonly number[]; y: number }>,
  plan: Pick<LogisticPlan, 'features' | 'classes' | 'clip'>
): LogisticOracle {
  const norm = rows.map(r => ({ c: r.x.map((v, j) => normalise(v, plan.features[j])), y: r.y }));
  const width = (plan.classes - 1) * (plan.features.length + 1);
  return {
    count: async () => BigInt(rows.length),
    gradient: async theta => {
      // Doubles add integers below 2^53 exactly: at most 2^22 rows of |g| ≤ 2^30 per batch.
      const sum = new Array<bigint>(width).fill(0n);
      for (let start = 0; start < norm.length; start += 1 << 22) {
        const part = new Array<number>(width).fill(0);
        for (const r of norm.slice(start, start + (1 << 22)))
          rowGradient(theta, r.c, r.y, Number(plan.clip)).forEach((g, i) => (part[i] += g));
        part.forEach((v, i) => (sum[i] += BigInt(v)));
      }
      return sum;
    },
    correct: async theta => BigInt(norm.filter(r => logisticClass(theta, r.c) === r.y).length)
  };
}

function checkGradient(g: readonly bigint[], width: number): readonly bigint[] {
  if (!Array.isArray(g) || g.length !== width || !g.every((v: unknown) => typeof v === 'bigint'))
    throw invalidParameter('gradient', `must be ${width} bigints`);
  return g;
}

/**
 * Fits by noisy gradient descent: invokes the count step, then each gradient step at the current
 * public θ (the only noise; the update is post-processing), then the accuracy step if planned.
 */
export async function fitLogistic(
  plan: LogisticPlan,
  oracle: LogisticOracle,
  rng: Rng
): Promise<LogisticFit> {
  const p1 = plan.features.length + 1;
  const width = (plan.classes - 1) * p1;
  const exactCount = await oracle.count();
  const [noisyCount] = plan.count.measurement.invoke([exactCount], rng);
  const n = Math.max(Number(noisyCount), 1);
  let theta = Array.from({ length: plan.classes - 1 }, () => new Array<number>(p1).fill(0));
  let velocity = theta.map(row => row.map(() => 0));
  for (const step of plan.gradients) {
    const exact = checkGradient(await oracle.gradient(theta), width);
    const noisy = step.measurement.invoke(exact, rng);
    const g = theta.map((row, k) =>
      row.map((w, j) => fromFixed(noisy[k * p1 + j]) / n + (j > 0 ? plan.l2 * w : 0))
    );
    velocity = velocity.map((row, k) => row.map((v, j) => plan.momentum * v + g[k][j]));
    theta = theta.map((row, k) => row.map((w, j) => w - plan.learningRate * velocity[k][j]));
  }
  let accuracy: Metric | undefined;
  if (plan.accuracy) {
    if (!oracle.correct)
      throw invalidParameter('evaluate', 'needs the engine to count correct rows');
    const correct = await oracle.correct(theta);
    accuracy = accuracyValue(plan.accuracy, correct, rng, n, plan.count.sd);
  }
  return { ...toOriginal(plan, theta), theta, rows: n, accuracy };
}

/** Logits in original units: t_k = θ_k0 + Σ_j θ_kj·(x_j − mid_j)/half_j. */
function toOriginal(plan: LogisticPlan, theta: number[][]) {
  const half = plan.features.map(f => (f.upper - f.lower) / 2);
  const mid = plan.features.map(f => (f.upper + f.lower) / 2);
  const d = plan.features.length;
  const intercepts = [
    0,
    ...theta.map(w => w[0] - w.slice(1).reduce((s, v, j) => s + (v * mid[j]) / half[j], 0))
  ];
  const coefficients = [
    new Array<number>(d).fill(0),
    ...theta.map(w => w.slice(1).map((v, j) => v / half[j]))
  ];
  return { intercepts, coefficients };
}
