/**
 * Quality metrics of synthetic tables, measured on the same public cells the synthesizer uses:
 * total-variation distance between the real and the synthetic (or dummy) one-way and pair
 * marginals, and the structural error of a tree (the distance between a real pair and the pair
 * the tree implies from the REAL pair tables along the path: what a perfect, noiseless tree model
 * would get). Used by the quality test and the benchmark.
 */
import type { ColumnDomain, MarginalCounts } from '../../src/dp';
import { loadDataset } from '../../src/engine/load';
import { countMarginals } from '../../src/engine/marginals';
import type { DatasetMetadata } from 'lomas-kernel/protocol';

type Sparse = ReadonlyArray<readonly [number, number, bigint]>;

export function tvOneWay(a: readonly bigint[], b: readonly bigint[]): number {
  const na = Number(a.reduce((x, y) => x + y, 0n)) || 1;
  const nb = Number(b.reduce((x, y) => x + y, 0n)) || 1;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(Number(a[i]) / na - Number(b[i]) / nb);
  return s / 2;
}

function dense(list: Sparse | undefined, ka: number, kb: number): Float64Array {
  const t = new Float64Array(ka * kb);
  for (const [x, y, n] of list ?? []) t[x * kb + y] += Number(n);
  return t;
}

function tvDense(a: Float64Array, b: Float64Array): number {
  const na = a.reduce((x, y) => x + y, 0) || 1;
  const nb = b.reduce((x, y) => x + y, 0) || 1;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] / na - b[i] / nb);
  return s / 2;
}

export function tvPair(
  domains: readonly ColumnDomain[],
  a: number,
  b: number,
  x: MarginalCounts,
  y: MarginalCounts
): number {
  const key = `${a},${b}`;
  const [ka, kb] = [domains[a].cells, domains[b].cells];
  return tvDense(dense(x.pairs.get(key), ka, kb), dense(y.pairs.get(key), ka, kb));
}

/** The real pair table of (u, v) oriented u × v. */
function oriented(domains: readonly ColumnDomain[], u: number, v: number, real: MarginalCounts) {
  const [a, b] = u < v ? [u, v] : [v, u];
  const t = dense(real.pairs.get(`${a},${b}`), domains[a].cells, domains[b].cells);
  if (u < v) return t;
  const [ka, kb] = [domains[a].cells, domains[b].cells];
  const o = new Float64Array(ka * kb);
  for (let i = 0; i < ka; i++) for (let j = 0; j < kb; j++) o[j * ka + i] = t[i * kb + j];
  return o;
}

function path(tree: Array<[number, number]>, from: number, to: number): number[] {
  const adj = new Map<number, number[]>();
  for (const [a, b] of tree) {
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  }
  const prev = new Map<number, number>([[from, -1]]);
  const queue = [from];
  while (queue.length) {
    const u = queue.shift() as number;
    for (const v of adj.get(u) ?? [])
      if (!prev.has(v)) {
        prev.set(v, u);
        queue.push(v);
      }
  }
  const out = [to];
  while (out[0] !== from) out.unshift(prev.get(out[0]) as number);
  return out;
}

/**
 * TV between the real (a, c) table and the one a tree implies from the real pair tables along
 * its path: P(a, c) = Σ P(a)·P(b1|a)·…·P(c|bk).
 */
export function treeStructuralTv(
  domains: readonly ColumnDomain[],
  tree: Array<[number, number]>,
  a: number,
  c: number,
  real: MarginalCounts
): number {
  const p = path(tree, a, c);
  const ka = domains[a].cells;
  let joint = new Float64Array(ka * ka);
  real.oneWay[a].forEach((n, i) => (joint[i * ka + i] = Number(n)));
  let cols = ka;
  for (let s = 0; s + 1 < p.length; s++) {
    const [u, v] = [p[s], p[s + 1]];
    const t = oriented(domains, u, v, real);
    const [ku, kv] = [domains[u].cells, domains[v].cells];
    const cond = new Float64Array(ku * kv);
    for (let i = 0; i < ku; i++) {
      let row = 0;
      for (let j = 0; j < kv; j++) row += t[i * kv + j];
      for (let j = 0; j < kv; j++) cond[i * kv + j] = row > 0 ? t[i * kv + j] / row : 0;
    }
    const next = new Float64Array(ka * kv);
    for (let x = 0; x < ka; x++)
      for (let i = 0; i < cols; i++) {
        const w = joint[x * cols + i];
        if (w) for (let j = 0; j < kv; j++) next[x * kv + j] += w * cond[i * kv + j];
      }
    joint = next;
    cols = kv;
  }
  return tvDense(oriented(domains, a, c, real), joint);
}

/** Marginal counts of in-memory rows (synthetic or dummy), loaded like a dataset. */
export async function countsOfRows(
  rows: Record<string, unknown>[],
  metadata: DatasetMetadata,
  domains: readonly ColumnDomain[]
): Promise<MarginalCounts> {
  const d = await loadDataset({ kind: 'rows', rows }, metadata);
  try {
    return await countMarginals(d, domains);
  } finally {
    d.close();
  }
}

/** Column-wise synthetic data as row objects. */
export function rowsOf(data: Record<string, unknown[]>): Record<string, unknown>[] {
  const names = Object.keys(data);
  const n = names.length ? data[names[0]].length : 0;
  return Array.from({ length: n }, (_, r) => Object.fromEntries(names.map(k => [k, data[k][r]])));
}
