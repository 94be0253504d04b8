/**
 * Post-processing of noisy marginals into a consistent, non-negative model. Everything here reads
 * only RELEASED values (noisy counts) and public facts (domains, noise variances), never the data,
 * and draws no randomness: it cannot change the privacy loss (post-processing).
 *
 *  - projectSimplex: the Euclidean projection of a noisy histogram onto {x ≥ 0, Σx = total}
 *    (Held, Wolfe & Crowder 1974; Duchi et al. 2008): subtracts one common shift and clips at 0,
 *    which removes most of the noise on empty cells.
 *  - combine: inverse-variance weighted mean of several noisy measurements of the same cells.
 *  - fitTable: the Euclidean projection of a noisy pair table onto the tables with given row and
 *    column sums and no negative cell (Dykstra's alternating projections between the affine set of
 *    the margins and the non-negative orthant; Boyle & Dykstra 1986), finished by a few
 *    proportional-fitting sweeps so the margins hold to float precision.
 */

/** Euclidean projection of y onto {x ≥ 0, Σx = total} (total ≤ 0 gives all zeros). */
export function projectSimplex(y: ArrayLike<number>, total: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  if (!(total > 0) || n === 0) return out;
  const u = Float64Array.from(y).sort().reverse();
  let acc = 0;
  let theta = 0;
  for (let j = 0; j < n; j++) {
    acc += u[j];
    const t = (acc - total) / (j + 1);
    if (u[j] - t > 0) theta = t;
  }
  for (let i = 0; i < n; i++) out[i] = Math.max(0, y[i] - theta);
  return out;
}

/** One noisy measurement of a vector: its values and the noise variance of each value. */
export interface Measured {
  values: ArrayLike<number>;
  variance: ArrayLike<number> | number;
}

/** The inverse-variance weighted mean of measurements of the same cells. */
export function combine(parts: readonly Measured[]): Float64Array {
  const n = parts[0].values.length;
  const num = new Float64Array(n);
  const den = new Float64Array(n);
  for (const p of parts) {
    if (p.values.length !== n) throw new Error('measurements of different lengths');
    for (let i = 0; i < n; i++) {
      const v = typeof p.variance === 'number' ? p.variance : p.variance[i];
      const w = v > 0 ? 1 / v : 1e300;
      num[i] += w * p.values[i];
      den[i] += w;
    }
  }
  for (let i = 0; i < n; i++) num[i] /= den[i];
  return num;
}

/** The weighted mean of scalar measurements (value, variance). */
export function combineScalar(parts: ReadonlyArray<[number, number]>): number {
  let num = 0;
  let den = 0;
  for (const [v, variance] of parts) {
    const w = variance > 0 ? 1 / variance : 1e300;
    num += w * v;
    den += w;
  }
  return num / den;
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

/** Projects X (r×c, row-major) onto {row sums = rows, column sums = cols} in place (Σrows = Σcols). */
function projectMargins(x: Float64Array, rows: Float64Array, cols: Float64Array): void {
  const r = rows.length;
  const c = cols.length;
  const dr = Float64Array.from(rows);
  const dc = Float64Array.from(cols);
  let total = 0;
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      const v = x[i * c + j];
      dr[i] -= v;
      dc[j] -= v;
      total += v;
    }
  const d = sum(rows) - total;
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) x[i * c + j] += dr[i] / c + dc[j] / r - d / (r * c);
}

/** Largest absolute error of X's margins. */
function marginError(x: Float64Array, rows: Float64Array, cols: Float64Array): number {
  const r = rows.length;
  const c = cols.length;
  const rs = new Float64Array(r);
  const cs = new Float64Array(c);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      rs[i] += x[i * c + j];
      cs[j] += x[i * c + j];
    }
  let e = 0;
  for (let i = 0; i < r; i++) e = Math.max(e, Math.abs(rs[i] - rows[i]));
  for (let j = 0; j < c; j++) e = Math.max(e, Math.abs(cs[j] - cols[j]));
  return e;
}

/** Proportional fitting: rows, then columns, scaled to their targets; empty lines get the other margin's shape. */
function proportionalSweep(x: Float64Array, rows: Float64Array, cols: Float64Array): void {
  const r = rows.length;
  const c = cols.length;
  const total = sum(cols);
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += x[i * c + j];
    if (s > 0) for (let j = 0; j < c; j++) x[i * c + j] *= rows[i] / s;
    else if (rows[i] > 0 && total > 0)
      for (let j = 0; j < c; j++) x[i * c + j] = (rows[i] * cols[j]) / total;
  }
  const rtotal = sum(rows);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let i = 0; i < r; i++) s += x[i * c + j];
    if (s > 0) for (let i = 0; i < r; i++) x[i * c + j] *= cols[j] / s;
    else if (cols[j] > 0 && rtotal > 0)
      for (let i = 0; i < r; i++) x[i * c + j] = (rows[i] * cols[j]) / rtotal;
  }
}

export interface FitOptions {
  /** Stop when every margin is within this many rows (default 1e-6 of the total). */
  tolerance?: number;
  /** Upper bound on cell updates (iterations × cells), to bound the time (default 4e7). */
  work?: number;
}

/**
 * The non-negative table closest (Euclidean) to the noisy `y` (r×c, row-major) with row sums
 * `rows` and column sums `cols` (both ≥ 0, equal totals). Dykstra's algorithm converges to that
 * projection; it stops at the tolerance or the work bound, and proportional sweeps then make the
 * margins exact to float precision without negative cells.
 */
export function fitTable(
  y: ArrayLike<number>,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  options: FitOptions = {}
): Float64Array {
  const r = rows.length;
  const c = cols.length;
  if (y.length !== r * c) throw new Error('table and margins do not match');
  const rt = Float64Array.from(rows, v => Math.max(0, v));
  const ct = Float64Array.from(cols, v => Math.max(0, v));
  const total = sum(rt);
  const cs = sum(ct);
  if (cs > 0) for (let j = 0; j < c; j++) ct[j] *= total / cs;
  const n = r * c;
  const x = Float64Array.from(y);
  if (!(total > 0)) return new Float64Array(n);
  const tol = options.tolerance ?? 1e-6 * total;
  const maxIter = Math.max(20, Math.floor((options.work ?? 4e7) / n));
  const q = new Float64Array(n);
  const u = new Float64Array(n);
  for (let it = 0; it < maxIter; it++) {
    // Affine step (no correction term is needed for an affine set), then the orthant with Dykstra's.
    u.set(x);
    projectMargins(u, rt, ct);
    for (let i = 0; i < n; i++) {
      const v = u[i] + q[i];
      x[i] = v > 0 ? v : 0;
      q[i] = v - x[i];
    }
    if (it % 10 === 9 && marginError(x, rt, ct) <= tol) break;
  }
  for (let k = 0; k < 50 && marginError(x, rt, ct) > tol; k++) proportionalSweep(x, rt, ct);
  return x;
}
