/**
 * Small dense linear algebra for the models' POST-PROCESSING (noisy statistics → coefficients).
 * Floats are fine here: nothing below touches private data or draws noise; it only transforms
 * releases that are already differentially private. Matrices are arrays of rows.
 */

export type Matrix = number[][];

export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))
  );
}

export function transpose(a: Matrix): Matrix {
  return a.length === 0 ? [] : a[0].map((_, j) => a.map(row => row[j]));
}

export function multiply(a: Matrix, b: Matrix): Matrix {
  return a.map(row => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

export function multiplyVector(a: Matrix, x: readonly number[]): number[] {
  return a.map(row => row.reduce((s, v, k) => s + v * x[k], 0));
}

export function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * b[i], 0);
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (exact enough for
 * the ≤ 40×40 matrices of a model). vectors[i] is the eigenvector of values[i] (as a column of V).
 */
export function symmetricEigen(a: Matrix): { values: number[]; vectors: Matrix } {
  const n = a.length;
  const m = a.map(row => [...row]);
  const v = identity(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i][j] * m[i][j];
    if (off < 1e-30 * (1 + m.reduce((s, row, i) => s + row[i] * row[i], 0))) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (m[p][q] === 0) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p];
          const mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k];
          const mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: m.map((row, i) => row[i]), vectors: transpose(v) };
}

/** The smallest eigenvalue of a symmetric matrix. */
export function minEigenvalue(a: Matrix): number {
  return Math.min(...symmetricEigen(a).values);
}

/**
 * Inverse of a symmetric positive-definite matrix through its eigen-decomposition; eigenvalues
 * below `floor` are raised to it, so the result always exists (callers regularise first).
 */
export function inverseSymmetric(a: Matrix, floor = 1e-12): Matrix {
  const { values, vectors } = symmetricEigen(a);
  const n = a.length;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  values.forEach((lambda, k) => {
    const inv = 1 / Math.max(lambda, floor);
    const u = vectors[k];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i][j] += inv * u[i] * u[j];
  });
  return out;
}

/** a + λI (a copy). */
export function addDiagonal(a: Matrix, lambda: number): Matrix {
  return a.map((row, i) => row.map((v, j) => (i === j ? v + lambda : v)));
}
