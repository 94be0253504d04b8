/**
 * Private choice of the tree of pairs (MST's "select", after Kruskal): the score of a pair is the
 * L1 distance between its EXACT pair marginal and the pair table predicted by the released one-way
 * estimates alone (independence): a large score means the pair's dependence is not captured yet.
 * Each round picks, with one selection measurement, one pair among those that join two different
 * components of the tree built so far, until the tree spans every column.
 *
 * Sensitivity: the prediction is computed from released values only (fixed once the one-way
 * marginals are out), so adding or removing one person (≤ k rows) moves every pair marginal by at
 * most k in L1 and every score by at most k: the selection measurements are built with that
 * L∞ sensitivity (plan.ts). Scores are whole numbers: the prediction is rounded to whole rows.
 */
import type { Measurement } from '../measurement';
import type { Rng } from '../rng';

/** Pairs (a, b) with a < b, in a fixed public order. */
export function allPairs(columns: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let a = 0; a < columns; a++) for (let b = a + 1; b < columns; b++) out.push([a, b]);
  return out;
}

/**
 * Σ_cells |exact − round(est)| with est(i, j) = rowModel[i]·colModel[j]/total, as a bigint. `exact`
 * is the pair's exact table (row-major, counts as safe integers).
 */
export function pairScore(
  exact: ArrayLike<number>,
  rowModel: ArrayLike<number>,
  colModel: ArrayLike<number>,
  total: number
): bigint {
  const c = colModel.length;
  let s = 0;
  for (let i = 0; i < rowModel.length; i++)
    for (let j = 0; j < c; j++) {
      const est = total > 0 ? Math.round((rowModel[i] * colModel[j]) / total) : 0;
      s += Math.abs(exact[i * c + j] - est);
    }
  return BigInt(s);
}

class Components {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    while (this.parent[x] !== x) x = this.parent[x] = this.parent[this.parent[x]];
    return x;
  }
  union(a: number, b: number): void {
    this.parent[this.find(a)] = this.find(b);
  }
}

/**
 * Runs the selection rounds: round r offers the pairs that join two components and invokes
 * `rounds[r]` (a selection measurement with goal 'max') on their scores. Returns the chosen pairs.
 */
export function selectTree(
  columns: number,
  scores: ReadonlyMap<string, bigint>,
  rounds: ReadonlyArray<Measurement<ReadonlyArray<readonly bigint[]>, number[]>>,
  rng: Rng
): Array<[number, number]> {
  const comps = new Components(columns);
  const pairs = allPairs(columns);
  const chosen: Array<[number, number]> = [];
  for (const m of rounds) {
    const candidates = pairs.filter(([a, b]) => comps.find(a) !== comps.find(b));
    if (candidates.length === 0) break;
    const values = candidates.map(([a, b]) => {
      const s = scores.get(`${a},${b}`);
      if (s === undefined) throw new Error(`no score for pair ${a},${b}`);
      return s;
    });
    const [pick] = m.invoke([values], rng);
    const [a, b] = candidates[pick];
    comps.union(a, b);
    chosen.push([a, b]);
  }
  return chosen;
}
