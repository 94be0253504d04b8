/**
 * Running a planned synthesis on the engine's EXACT marginal counts: invoke the plan's
 * measurements in order (one-way marginals → tree selection → the tree's pair marginals), then
 * post-process the released values into a consistent non-negative model and sample rows from it.
 *
 * Only the measurements see the exact counts; everything after a measurement's output is
 * post-processing (estimate.ts, sample.ts, domain.ts). Between steps 1 and 2 the released one-way
 * estimates decide, publicly, which rare values share one merged value in the pair marginals
 * ("compression", as MST does); the pair counts the selection scores and the pair measurements
 * read are the exact counts on that merged domain.
 *
 * Engine contract (per column i and pair a < b, cells as in domain.ts, after the same row filter):
 *   oneWay[i][cell] = #rows in that cell (bigint); pairs.get("a,b") = [[cellA, cellB, count], …]
 *   for the observed combinations (absent combinations count 0). Malformed counts throw (an engine
 *   bug: the budget is already charged and the failure is archived).
 */
import { SYNTHETIC_LIMITS } from 'lomas-kernel/protocol';
import { invalidParameter } from '../errors';
import { entropy, type Rng } from '../rng';
import { sampleValue, type ColumnDomain } from './domain';
import { combine, combineScalar, fitTable, projectSimplex, type Measured } from './estimate';
import type { SynthesisPlan } from './plan';
import { allocate, sampleTree } from './sample';
import { shuffle } from './random';
import { pairScore, selectTree } from './select';

export interface MarginalCounts {
  oneWay: ReadonlyArray<readonly bigint[]>;
  pairs: ReadonlyMap<string, ReadonlyArray<readonly [number, number, bigint]>>;
}

export type SyntheticCell = string | number | boolean | null;

export interface MarginalReport {
  columns: number[];
  cells: number;
  /** Expected TV distance of the raw noisy marginal, estimated with the noisy row count. */
  expectedTv: number;
}

export interface Synthesis {
  /** One array of values per column, `rows` long. */
  data: SyntheticCell[][];
  /** The pairs measured (column indices). */
  tree: Array<[number, number]>;
  /** Values kept distinct per column in the pair marginals. */
  kept: number[];
  /** The noisy number of rows (post-processed). */
  rowsEstimate: number;
  marginals: MarginalReport[];
}

/** How a column's cells map to the values of its pair marginals (kept cells, then one merged value). */
interface Compression {
  /** Code of each cell. */
  code: Int32Array;
  /** Cells of each code (the merged code lists every rare cell). */
  cells: number[][];
  /** The merged code, or −1 when every cell is kept. */
  merged: number;
}

function toNumbers(v: readonly bigint[]): Float64Array {
  return Float64Array.from(v, Number);
}

function checkCounts(plan: SynthesisPlan, counts: MarginalCounts): void {
  if (!counts || !Array.isArray(counts.oneWay) || counts.oneWay.length !== plan.domains.length)
    throw invalidParameter('counts.oneWay', 'must hold one marginal per column');
  plan.domains.forEach((d, i) => {
    const m = counts.oneWay[i];
    if (!Array.isArray(m) || m.length !== d.cells || m.some(x => typeof x !== 'bigint' || x < 0n))
      throw invalidParameter(
        'counts.oneWay',
        `must hold ${d.cells} non-negative bigints for column ${i}`
      );
  });
  for (const [key, list] of counts.pairs) {
    const [a, b] = key.split(',').map(Number);
    const da = plan.domains[a];
    const db = plan.domains[b];
    if (!da || !db || !(a < b))
      throw invalidParameter('counts.pairs', `has an unknown pair ${key}`);
    for (const [x, y, n] of list)
      if (!(x >= 0 && x < da.cells && y >= 0 && y < db.cells && typeof n === 'bigint' && n >= 0n))
        throw invalidParameter('counts.pairs', `has a malformed cell in pair ${key}`);
  }
}

/** Kept cells: estimate ≥ threshold, the largest SYNTHETIC_LIMITS.keptValues; the others merge. */
function compress(estimate: Float64Array, threshold: number): Compression {
  const order = Array.from(estimate.keys()).sort((i, j) => estimate[j] - estimate[i] || i - j);
  const kept = order.filter(i => estimate[i] >= threshold).slice(0, SYNTHETIC_LIMITS.keptValues);
  const keptSet = new Set(kept);
  const rare = order.filter(i => !keptSet.has(i)).sort((i, j) => i - j);
  const cells = rare.length <= 1 ? order.map(i => [i]) : [...kept.map(i => [i]), rare];
  const code = new Int32Array(estimate.length);
  cells.forEach((list, k) => list.forEach(c => (code[c] = k)));
  return { code, cells, merged: rare.length <= 1 ? -1 : cells.length - 1 };
}

function compressVector(v: ArrayLike<number>, c: Compression): Float64Array {
  const out = new Float64Array(c.cells.length);
  for (let i = 0; i < v.length; i++) out[c.code[i]] += v[i];
  return out;
}

/** The exact pair table on the merged domains (row-major, a's codes × b's codes). */
function pairTable(
  list: ReadonlyArray<readonly [number, number, bigint]> | undefined,
  ca: Compression,
  cb: Compression
): Float64Array {
  const kb = cb.cells.length;
  const t = new Float64Array(ca.cells.length * kb);
  for (const [x, y, n] of list ?? []) t[ca.code[x] * kb + cb.code[y]] += Number(n);
  return t;
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

/** Margin of a (ka × kb) table over a (rows) or b (columns). */
function margin(t: ArrayLike<number>, ka: number, kb: number, over: 'a' | 'b'): Float64Array {
  const out = new Float64Array(over === 'a' ? ka : kb);
  for (let i = 0; i < ka; i++)
    for (let j = 0; j < kb; j++) out[over === 'a' ? i : j] += t[i * kb + j];
  return out;
}

/** Replaces merged codes by one of their cells, allocated systematically by the one-way estimate. */
function decompress(
  codes: Int32Array,
  c: Compression,
  estimate: Float64Array,
  rng: Rng
): Int32Array {
  const out = new Int32Array(codes.length);
  const rareRows: number[] = [];
  codes.forEach((k, r) => {
    if (k === c.merged) rareRows.push(r);
    else out[r] = c.cells[k][0];
  });
  if (rareRows.length === 0) return out;
  const rare = c.cells[c.merged];
  const e = entropy(rng);
  const counts = allocate(
    rareRows.length,
    Float64Array.from(rare, i => estimate[i]),
    e
  );
  const picks = new Int32Array(rareRows.length);
  let p = 0;
  counts.forEach((n, k) => {
    picks.fill(rare[k], p, p + n);
    p += n;
  });
  shuffle(picks, e);
  rareRows.forEach((r, t) => (out[r] = picks[t]));
  return out;
}

function expectedTv(cells: number, meanAbs: number, rows: number): number {
  return rows > 0 ? Math.min(1, (cells * meanAbs) / (2 * rows)) : 1;
}

/**
 * Synthesizes `rows` rows: invokes the plan's measurements on the exact counts (and nothing else
 * on them), then post-processes and samples with `rng`.
 */
export function synthesize(
  plan: SynthesisPlan,
  counts: MarginalCounts,
  rows: number,
  rng: Rng
): Synthesis {
  checkCounts(plan, counts);
  const d = plan.domains.length;
  const v1 = plan.stages.oneWay.variance;
  // 1. One-way marginals.
  const y1 = plan.oneWay.map((m, i) => toNumbers(m.invoke(counts.oneWay[i], rng)));
  const n1 = Math.max(0, combineScalar(y1.map(y => [sum(y), v1 * y.length])));
  const x1 = y1.map(y => projectSimplex(y, n1));
  const comp = x1.map(x => compress(x, 3 * Math.sqrt(v1)));
  const sizes = comp.map(c => c.cells.length);
  // 2. The tree, chosen privately on exact pair tables vs the independence prediction.
  const exact = new Map<string, Float64Array>();
  const scores = new Map<string, bigint>();
  for (let a = 0; a < d; a++)
    for (let b = a + 1; b < d; b++) {
      const t = pairTable(counts.pairs.get(`${a},${b}`), comp[a], comp[b]);
      exact.set(`${a},${b}`, t);
      scores.set(
        `${a},${b}`,
        pairScore(t, compressVector(x1[a], comp[a]), compressVector(x1[b], comp[b]), n1)
      );
    }
  const tree = selectTree(d, scores, plan.selection, rng);
  // 3. The tree's pair marginals.
  const y2 = tree.map(([a, b], r) =>
    toNumbers(plan.pairs[r].invoke(Array.from(exact.get(`${a},${b}`) as Float64Array, BigInt), rng))
  );
  return model(plan, { y1, x1, comp, sizes, tree, y2 }, rows, rng);
}

interface Released {
  y1: Float64Array[];
  x1: Float64Array[];
  comp: Compression[];
  sizes: number[];
  tree: Array<[number, number]>;
  y2: Float64Array[];
}

/** Post-processing of the released values: a consistent non-negative model, then rows. */
function model(plan: SynthesisPlan, r: Released, rows: number, rng: Rng): Synthesis {
  const v1 = plan.stages.oneWay.variance;
  const v2 = plan.stages.pairs?.variance ?? 0;
  const total = Math.max(
    0,
    combineScalar([
      ...r.y1.map((y): [number, number] => [sum(y), v1 * y.length]),
      ...r.y2.map((y): [number, number] => [sum(y), v2 * y.length])
    ])
  );
  const oneWay = r.comp.map((c, i) => {
    const parts: Measured[] = [
      { values: compressVector(r.y1[i], c), variance: c.cells.map(list => v1 * list.length) }
    ];
    r.tree.forEach(([a, b], e) => {
      if (a !== i && b !== i) return;
      const other = r.sizes[a === i ? b : a];
      parts.push({
        values: margin(r.y2[e], r.sizes[a], r.sizes[b], a === i ? 'a' : 'b'),
        variance: v2 * other
      });
    });
    return projectSimplex(combine(parts), total);
  });
  const edges = r.tree.map(([a, b], e) => ({
    a,
    b,
    table: fitTable(r.y2[e], oneWay[a], oneWay[b])
  }));
  const codes = sampleTree({ sizes: r.sizes, oneWay, edges }, rows, entropy(rng));
  const e = entropy(rng);
  const data = plan.domains.map((dm: ColumnDomain, i) =>
    Array.from(decompress(codes[i], r.comp[i], r.x1[i], rng), cell => sampleValue(dm, cell, e))
  );
  const m1 = plan.stages.oneWay.meanAbs;
  const m2 = plan.stages.pairs?.meanAbs ?? 0;
  const tvOne = plan.domains.map(dm => expectedTv(dm.cells, m1, total));
  // A pair with merged values also carries its columns' one-way errors inside the merged values.
  const mergeTv = (i: number) => (r.comp[i].merged >= 0 ? tvOne[i] : 0);
  return {
    data,
    tree: r.tree,
    kept: r.comp.map(c => (c.merged >= 0 ? c.cells.length - 1 : c.cells.length)),
    rowsEstimate: total,
    marginals: [
      ...plan.domains.map((dm, i) => ({ columns: [i], cells: dm.cells, expectedTv: tvOne[i] })),
      ...r.tree.map(([a, b]) => {
        const cells = r.sizes[a] * r.sizes[b];
        const tv = expectedTv(cells, m2, total) + mergeTv(a) + mergeTv(b);
        return { columns: [a, b], cells, expectedTv: Math.min(1, tv) };
      })
    ]
  };
}
