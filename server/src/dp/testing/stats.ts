/**
 * Statistical test helpers for the DP engine's tests (not used in production code).
 *
 * False-positive budget: every test is calibrated so that a CORRECT implementation fails with
 * probability about 1e-6 (OpenDP's convention). Note: the shortcut critical value df + 6·√(2·df)
 * quoted in DP-REFERENCE §2.1 is NOT a 1e-6 level (it is 2e-3 at df = 1, 1.5e-5 at df = 20,
 * 2e-6 at df = 50, computed with mpmath); we use the exact χ² quantile at 1e-6 instead
 * (chi2Critical), checked against mpmath in stats.test.ts.
 */

export const FPR = 1e-6;
/** Two-sided normal quantile for 1e-6: Φ⁻¹(1 − 5e-7). */
export const Z_1E6 = 4.891638475698;

function logGamma(x: number): number {
  // Lanczos (g = 7, n = 9), relative error ~1e-15.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    let ap = a;
    for (let n = 0; n < 10000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** The χ² critical value at level alpha: P(χ²_df > c) = alpha. */
export function chi2Critical(df: number, alpha = FPR): number {
  let lo = 0;
  let hi = df + 100 + 20 * Math.sqrt(df);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (gammaQ(df / 2, mid / 2) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Two-sided KS critical value for n samples at level alpha (asymptotic, slightly conservative). */
export function ksCritical(n: number, alpha = FPR): number {
  return Math.sqrt(Math.log(2 / alpha) / (2 * n));
}

/** Two-sided KS statistic of samples against a continuous CDF. */
export function ksStatistic(samples: number[], cdf: (x: number) => number): number {
  const xs = [...samples].sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Wilson score interval for a binomial proportion at normal quantile z. */
export function wilson(successes: number, n: number, z = Z_1E6): [number, number] {
  const p = successes / n;
  const z2 = z * z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [center - half, center + half];
}

export interface GofResult {
  stat: number;
  df: number;
  critical: number;
  bins: number;
}

/**
 * Pearson χ² goodness of fit of integer samples against an integer distribution given by its CDF
 * F(z) = P(Z <= z). Bins: up to `maxBins` intervals of roughly equal probability (from the CDF),
 * merged until every expected count is >= 5; the outer bins are tails to ±∞.
 */
export function chiSquareGof(
  samples: readonly number[],
  cdf: (z: number) => number,
  maxBins = 40
): GofResult {
  const n = samples.length;
  // Find integer edges at quantiles.
  const quantile = (q: number): number => {
    let lo = -1;
    let hi = 1;
    while (cdf(lo) > q) lo *= 2;
    while (cdf(hi) < q) hi *= 2;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (cdf(mid) >= q) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  const edges: number[] = []; // bin i = (edges[i-1], edges[i]]
  const set = new Set<number>([-1, 0]);
  for (let i = 1; i < maxBins; i++) set.add(quantile(i / maxBins));
  for (const e of [...set].sort((a, b) => a - b)) edges.push(e);
  // Upper bins: (-∞, e0], (e0, e1], ..., (e_last, ∞)
  let probs: number[] = [];
  let prev = 0;
  for (const e of edges) {
    const c = cdf(e);
    probs.push(c - prev);
    prev = c;
  }
  probs.push(1 - prev);
  let uppers: number[] = [...edges, Infinity];
  // Merge small bins.
  const mergedP: number[] = [];
  const mergedU: number[] = [];
  for (let i = 0; i < probs.length; i++) {
    if (
      mergedP.length > 0 &&
      (mergedP[mergedP.length - 1] * n < 5 || (probs[i] * n < 5 && i === probs.length - 1))
    ) {
      mergedP[mergedP.length - 1] += probs[i];
      mergedU[mergedU.length - 1] = uppers[i];
    } else {
      mergedP.push(probs[i]);
      mergedU.push(uppers[i]);
    }
  }
  probs = mergedP;
  uppers = mergedU;
  const counts = new Array(probs.length).fill(0);
  for (const s of samples) {
    let lo = 0;
    let hi = uppers.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s <= uppers[mid]) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
  }
  let stat = 0;
  for (let i = 0; i < probs.length; i++) {
    const e = probs[i] * n;
    stat += ((counts[i] - e) * (counts[i] - e)) / e;
  }
  const df = probs.length - 1;
  return { stat, df, critical: df > 0 ? chi2Critical(df) : Infinity, bins: probs.length };
}

/** CDF of the discrete Laplace with scale s: P(Z <= z). */
export function discreteLaplaceCdf(s: number): (z: number) => number {
  const p = Math.exp(-1 / s);
  return z => (z < 0 ? Math.pow(p, -z) / (1 + p) : 1 - Math.pow(p, z + 1) / (1 + p));
}

/** CDF of the discrete Gaussian with σ (normalised by summation). */
export function discreteGaussianCdf(sigma: number): (z: number) => number {
  const M = Math.ceil(sigma * 14) + 2;
  const w: number[] = [];
  let total = 0;
  for (let z = -M; z <= M; z++) {
    const v = Math.exp(-(z * z) / (2 * sigma * sigma));
    w.push(v);
    total += v;
  }
  const cum: number[] = [];
  let acc = 0;
  for (const v of w) {
    acc += v / total;
    cum.push(acc);
  }
  return z => (z < -M ? 0 : z >= M ? 1 : cum[z + M]);
}

/** CDF of the geometric P(G = k) = (1 − e^−x)e^(−xk). */
export function geometricCdf(x: number): (z: number) => number {
  return z => (z < 0 ? 0 : 1 - Math.exp(-x * (Math.floor(z) + 1)));
}

export function laplaceCdf(b: number): (x: number) => number {
  return x => (x < 0 ? 0.5 * Math.exp(x / b) : 1 - 0.5 * Math.exp(-x / b));
}

export function normalCdf(sigma: number): (x: number) => number {
  return x => 0.5 * erfcLocal(-x / (sigma * Math.SQRT2));
}

function erfcLocal(x: number): number {
  // Numerical Recipes erfcc (relative error < 1.2e-7): plenty for KS at 0.02.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * Empirical privacy loss between two samples of releases (already discretised to bins): for every
 * bin with enough mass in both, |ln(pA/pB)| minus a z-score allowance for sampling error
 * (delta method: se of ln ratio ≈ sqrt(1/cA + 1/cB)). Returns the largest lower confidence bound
 * of the loss over the bins: a correct ε-DP mechanism gives a value <= ε except with probability
 * about 1e-6 (z = 5.5: ~4e-8 per bin; the callers compare at most ~35 bins).
 */
export function empiricalLoss(
  a: Map<string, number>,
  b: Map<string, number>,
  nA: number,
  nB: number,
  minCount = 200,
  z = 5.5
): { loss: number; worstBin: string; raw: number } {
  let loss = -Infinity;
  let raw = 0;
  let worstBin = '';
  for (const [k, ca] of a) {
    const cb = b.get(k) ?? 0;
    if (ca < minCount || cb < minCount) continue;
    const lr = Math.abs(Math.log(ca / nA) - Math.log(cb / nB));
    const lower = lr - z * Math.sqrt(1 / ca + 1 / cb);
    if (lower > loss) {
      loss = lower;
      worstBin = k;
    }
    raw = Math.max(raw, lr);
  }
  return { loss, worstBin, raw };
}

export function histogram(values: Iterable<string | number | bigint>): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) {
    const k = String(v);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}
