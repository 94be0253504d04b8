/**
 * k-means by DP Lloyd iterations: a public number T of rounds from public initial centres (from
 * the bounds, or given), each releasing per cluster the noisy row count and noisy sum of each
 * normalised feature (fixed point, common.ts) of the rows nearest to the current public centres;
 * the new centres are the noisy means (post-processing), so they stay public. Blum, Dwork,
 * McSherry & Nissim 2005 (SuLQ k-means); Su et al. 2016 (DPLloyd). See PROOF.md.
 *
 * Clustering happens on the normalised scale ([−1, 1] per feature from its public bounds), so
 * features in different units weigh the same; centres are reported in original units.
 *
 * Engine contract, per round, for public centres μ_0…μ_{K−1} (normalised): each complete row goes
 * to the centre with the smallest Σ_j (c_j − μ_kj)² (ties: lowest index); per cluster k:
 * count = rows, sums[j] = Σ q_j. A cluster with no row has zero statistics (still noised).
 */
import type { Cost } from '../../accounting';
import { invalidParameter } from '../../errors';
import type { Composition } from '../../measurement';
import type { Rng } from '../../rng';
import {
  calibrateModel,
  checkBoundsOf,
  checkCount,
  composeSteps,
  denormalise,
  encode,
  fromFixed,
  normalise,
  ONE,
  vectorStep,
  type Bounds,
  type ModelBudget,
  type ModelCalibration,
  type NoisyStep
} from '../common';
import { inertiaRow, inertiaStep, metricValue, type Metric } from '../metric';

export const MAX_KMEANS_FEATURES = 32;
export const MAX_CLUSTERS = 16;
export const MAX_KMEANS_ITERATIONS = 50;
export const KMEANS_DEFAULT_ITERATIONS = 5;

export interface KMeansSpec extends ModelBudget {
  features: readonly Bounds[];
  clusters: number;
  iterations?: number;
  /** Public initial centres in original units (default: spread in the box of the bounds). */
  init?: readonly (readonly number[])[];
  /** Also release the inertia of the final centres (one more noisy step, charged). */
  evaluate?: boolean;
}

export interface KMeansPlan {
  kind: 'kmeans';
  features: Bounds[];
  clusters: number;
  iterations: number;
  /** Initial centres on the normalised scale. */
  init: number[][];
  calibration: ModelCalibration;
  rounds: NoisyStep[];
  inertia?: NoisyStep;
  steps: NoisyStep[];
  composition: Composition;
  cost: Cost;
}

export interface ClusterStatistics {
  count: bigint;
  sums: readonly bigint[];
}

export interface KMeansOracle {
  /** Exact per-cluster statistics of the rows nearest to each centre (normalised scale). */
  assign(centres: readonly (readonly number[])[]): Promise<ClusterStatistics[]>;
  /** Exact Σ_rows inertiaRow(min_k ‖c − μ_k‖²) (for `evaluate`). */
  inertia?(centres: readonly (readonly number[])[]): Promise<bigint>;
}

export interface KMeansFit {
  /** Centres in original units. */
  centres: number[][];
  /** Noisy rows per cluster in the last round. */
  sizes: number[];
  /** Centres on the normalised scale (what the SQL and predict() compare against). */
  normalised: number[][];
  /** Inertia on the normalised scale (Σ squared distances), if evaluated. */
  inertia?: Metric;
}

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];

/** Van der Corput radical inverse of i in base b. */
function radicalInverse(i: number, b: number): number {
  let f = 1;
  let r = 0;
  for (let n = i; n > 0; n = Math.floor(n / b)) {
    f /= b;
    r += f * (n % b);
  }
  return r;
}

/** Public default centres: the first K Halton points, shrunk into [−0.8, 0.8]^d. */
export function defaultCentres(k: number, d: number): number[][] {
  return Array.from({ length: k }, (_, i) =>
    Array.from(
      { length: d },
      (_, j) => 1.6 * radicalInverse(i + 1, PRIMES[j % PRIMES.length]) - 0.8
    )
  );
}

function initialCentres(spec: KMeansSpec, features: Bounds[], k: number): number[][] {
  if (spec.init === undefined) return defaultCentres(k, features.length);
  if (!Array.isArray(spec.init) || spec.init.length !== k)
    throw invalidParameter('init', `must list ${k} centres (one per cluster)`);
  return spec.init.map((c, i) => {
    if (!Array.isArray(c) || c.length !== features.length || !c.every(v => Number.isFinite(v)))
      throw invalidParameter(`init[${i}]`, `must be ${features.length} finite numbers`);
    return c.map((v, j) => normalise(v, features[j]));
  });
}

export function planKMeans(spec: KMeansSpec): KMeansPlan {
  if (!Array.isArray(spec.features) || spec.features.length === 0)
    throw invalidParameter('features', 'needs at least one feature');
  if (spec.features.length > MAX_KMEANS_FEATURES)
    throw invalidParameter(
      'features',
      `at most ${MAX_KMEANS_FEATURES} features (after encoding) fit in one model`,
      'Use fewer features.'
    );
  const features = spec.features.map((b, i) => checkBoundsOf(b, `features[${i}].bounds`));
  const clusters = checkCount(spec.clusters, 0, 2, MAX_CLUSTERS, 'clusters');
  const iterations = checkCount(
    spec.iterations,
    KMEANS_DEFAULT_ITERATIONS,
    1,
    MAX_KMEANS_ITERATIONS,
    'iterations'
  );
  const init = initialCentres(spec, features, clusters);
  const cal = calibrateModel(
    spec,
    iterations + (spec.evaluate ? 1 : 0),
    `k-means (${iterations} Lloyd rounds)`
  );
  const d = BigInt(features.length);
  // One row adds (ONE, q_1…q_d) to its cluster's block.
  const rounds = Array.from({ length: iterations }, (_, t) =>
    vectorStep(
      cal,
      { l1: (1n + d) * ONE, l2sq: (1n + d) * ONE * ONE },
      clusters * (1 + features.length),
      `round_${t + 1}`,
      1
    )
  );
  const inertia = spec.evaluate ? inertiaStep(cal) : undefined;
  const steps = [...rounds, ...(inertia ? [inertia] : [])];
  const composition = composeSteps(steps, cal);
  return {
    kind: 'kmeans',
    features,
    clusters,
    iterations,
    init,
    calibration: cal,
    rounds,
    inertia,
    steps,
    composition,
    cost: composition.loss
  };
}

/** Squared distance and the nearest centre (ties: lowest index), as the SQL computes them. */
export function nearest(
  centres: readonly (readonly number[])[],
  c: readonly number[]
): { index: number; distance: number } {
  let index = 0;
  let distance = Infinity;
  centres.forEach((m, k) => {
    let s = 0;
    for (let j = 0; j < c.length; j++) s = s + (c[j] - m[j]) * (c[j] - m[j]);
    if (s < distance) {
      distance = s;
      index = k;
    }
  });
  return { index, distance };
}

/** A reference oracle over in-memory rows (tests; the contract the SQL implements). */
export function kmeansOracle(
  rows: ReadonlyArray<readonly number[]>,
  plan: Pick<KMeansPlan, 'features' | 'clusters'>
): KMeansOracle {
  const norm = rows.map(x => x.map((v, j) => normalise(v, plan.features[j])));
  const q = rows.map(x => x.map((v, j) => Number(encode(v, plan.features[j]))));
  return {
    assign: async centres => {
      // Doubles add integers below 2^53 exactly (|q| ≤ 2^30, fewer than 2^22 rows per test set).
      const counts = new Array<number>(plan.clusters).fill(0);
      const sums = counts.map(() => new Array<number>(plan.features.length).fill(0));
      norm.forEach((c, i) => {
        const k = nearest(centres, c).index;
        counts[k]++;
        q[i].forEach((v, j) => (sums[k][j] += v));
      });
      if (norm.length >= 1 << 22) throw new Error('reference oracle: too many rows');
      return counts.map((n, k) => ({ count: BigInt(n), sums: sums[k].map(v => BigInt(v)) }));
    },
    inertia: async centres =>
      norm.reduce((s, c) => s + inertiaRow(nearest(centres, c).distance, c.length), 0n)
  };
}

function roundVector(plan: KMeansPlan, stats: readonly ClusterStatistics[]): bigint[] {
  const d = plan.features.length;
  if (!Array.isArray(stats) || stats.length !== plan.clusters)
    throw invalidParameter('statistics', `must hold one entry per cluster (${plan.clusters})`);
  return stats.flatMap(s => {
    if (
      typeof s?.count !== 'bigint' ||
      s.sums?.length !== d ||
      !s.sums.every((v: unknown) => typeof v === 'bigint')
    )
      throw invalidParameter('statistics', `each cluster needs a count and ${d} sums`);
    return [s.count * ONE, ...s.sums];
  });
}

/**
 * Fits by DP Lloyd rounds: each round invokes its step on the exact statistics of the current
 * public centres (the only noise); a cluster whose noisy count is below three noise standard
 * deviations keeps its centre (its noisy mean would be mostly noise).
 */
export async function fitKMeans(
  plan: KMeansPlan,
  oracle: KMeansOracle,
  rng: Rng
): Promise<KMeansFit> {
  const d = plan.features.length;
  let centres = plan.init.map(c => [...c]);
  let sizes = new Array<number>(plan.clusters).fill(0);
  for (const step of plan.rounds) {
    const noisy = step.measurement.invoke(roundVector(plan, await oracle.assign(centres)), rng);
    const minCount = (3 * step.sd) / Number(ONE);
    sizes = [];
    centres = centres.map((old, k) => {
      const block = noisy.slice(k * (1 + d), (k + 1) * (1 + d)).map(v => fromFixed(v));
      const n = block[0];
      sizes.push(n);
      if (!(n >= Math.max(1, minCount))) return old;
      return block.slice(1).map(s => Math.min(1, Math.max(-1, s / n)));
    });
  }
  let inertia: Metric | undefined;
  if (plan.inertia) {
    if (!oracle.inertia) throw invalidParameter('evaluate', 'needs the engine to sum distances');
    const scale = (4 * d) / Number(ONE);
    inertia = metricValue(plan.inertia, await oracle.inertia(centres), rng, v => v * scale);
  }
  return {
    centres: centres.map(c => c.map((v, j) => denormalise(v, plan.features[j]))),
    sizes,
    normalised: centres,
    inertia
  };
}
