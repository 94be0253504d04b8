/**
 * Sampling rows from a tree-structured model (post-processing: only released estimates and the
 * engine's Rng are used). The model is a forest over the columns: each edge carries a consistent,
 * non-negative pair table; P(rows) = Π_edges P(a, b) / Π_columns P(c)^(degree − 1). Rows are drawn
 * root first, then each column given its parent in the tree.
 *
 * Allocation is SYSTEMATIC (controlled rounding) rather than independent draws: a group of g rows
 * with probabilities p gets ⌊g·p_k⌋ or ⌈g·p_k⌉ rows of value k (one uniform offset U per group:
 * value k gets #{t : g·P_{k−1} ≤ U + t < g·P_k}, P the cumulative sums), so each count is unbiased
 * and the sample's marginals follow the model up to rounding. Within a group, values are assigned
 * to rows in a uniformly random order (Fisher–Yates). Randomness: the Rng's uniform integers
 * (exact) and 53-bit uniforms for the offsets; cumulative sums are doubles (precision ~1e-16 of a
 * group's size, documented; this is post-processing and cannot affect privacy).
 */
import type { Entropy } from '../rng';
import { shuffle, uniform01 } from './random';

/**
 * Systematic allocation of g rows to values with weights w (non-negative; all zero → uniform).
 * Each count is ⌊g·p_k⌋ or ⌈g·p_k⌉ and its expectation is g·p_k.
 */
export function allocate(g: number, w: ArrayLike<number>, e: Entropy): Int32Array {
  const k = w.length;
  const out = new Int32Array(k);
  if (g === 0 || k === 0) return out;
  let total = 0;
  for (let i = 0; i < k; i++) total += w[i] > 0 ? w[i] : 0;
  const u = uniform01(e);
  let prev = 0;
  let acc = 0;
  for (let i = 0; i < k; i++) {
    acc += total > 0 ? (w[i] > 0 ? w[i] : 0) : 1;
    const bound = i === k - 1 ? g : (g * acc) / (total > 0 ? total : k);
    // #{t ≥ 0 : U + t < bound} = ⌈bound − U⌉ (clamped to [prev, g]).
    const upTo = Math.min(g, Math.max(prev, Math.ceil(bound - u)));
    out[i] = upTo - prev;
    prev = upTo;
  }
  return out;
}

/** `counts[k]` copies of k, in a uniformly random order. */
function shuffledValues(counts: Int32Array, e: Entropy): Int32Array {
  let n = 0;
  for (const c of counts) n += c;
  const out = new Int32Array(n);
  let p = 0;
  counts.forEach((c, k) => {
    out.fill(k, p, p + c);
    p += c;
  });
  shuffle(out, e);
  return out;
}

export interface TreeModel {
  /** Values of each column (compressed domain sizes). */
  sizes: readonly number[];
  /** Each column's one-way estimate (non-negative), over its values. */
  oneWay: readonly Float64Array[];
  /** The tree's pair tables: a's values × b's values, row-major, consistent with oneWay. */
  edges: ReadonlyArray<{ a: number; b: number; table: Float64Array }>;
}

/** Codes of `child` for each row, given the parent's codes and the edge table. */
function sampleChild(
  parentCodes: Int32Array,
  parentSize: number,
  weightOf: (parentValue: number) => Float64Array,
  e: Entropy
): Int32Array {
  const rows = parentCodes.length;
  const groupSize = new Int32Array(parentSize);
  for (const v of parentCodes) groupSize[v]++;
  const start = new Int32Array(parentSize + 1);
  for (let v = 0; v < parentSize; v++) start[v + 1] = start[v] + groupSize[v];
  const order = new Int32Array(rows);
  const fill = start.slice(0, parentSize);
  parentCodes.forEach((v, r) => (order[fill[v]++] = r));
  const out = new Int32Array(rows);
  for (let v = 0; v < parentSize; v++) {
    const g = groupSize[v];
    if (g === 0) continue;
    const values = shuffledValues(allocate(g, weightOf(v), e), e);
    for (let t = 0; t < g; t++) out[order[start[v] + t]] = values[t];
  }
  return out;
}

/** The conditional weights of `child` given each value of `parent`, read from the edge table. */
function conditional(
  edge: { a: number; b: number; table: Float64Array },
  parent: number,
  sizes: readonly number[],
  fallback: Float64Array
): (v: number) => Float64Array {
  const kb = sizes[edge.b];
  const child = parent === edge.a ? kb : sizes[edge.a];
  return v => {
    const w = new Float64Array(child);
    let s = 0;
    for (let j = 0; j < child; j++) {
      w[j] = parent === edge.a ? edge.table[v * kb + j] : edge.table[j * kb + v];
      s += w[j];
    }
    return s > 0 ? w : fallback;
  };
}

/**
 * Draws `rows` rows of value codes (one Int32Array per column) from the forest model: every
 * component from its first column (the root, allocated systematically), then breadth first.
 */
export function sampleTree(model: TreeModel, rows: number, e: Entropy): Int32Array[] {
  const d = model.sizes.length;
  const adj: Array<Array<{ a: number; b: number; table: Float64Array }>> = Array.from(
    { length: d },
    () => []
  );
  for (const edge of model.edges) {
    adj[edge.a].push(edge);
    adj[edge.b].push(edge);
  }
  const codes: Int32Array[] = new Array(d);
  for (let root = 0; root < d; root++) {
    if (codes[root]) continue;
    codes[root] = shuffledValues(allocate(rows, model.oneWay[root], e), e);
    const queue = [root];
    while (queue.length > 0) {
      const u = queue.shift() as number;
      for (const edge of adj[u]) {
        const v = edge.a === u ? edge.b : edge.a;
        if (codes[v]) continue;
        const weights = conditional(edge, u, model.sizes, model.oneWay[v]);
        codes[v] = sampleChild(codes[u], model.sizes[u], weights, e);
        queue.push(v);
      }
    }
  }
  return codes;
}
