import {
  LomasError,
  type Budget,
  type DatasetMetadata,
  type MechanismReport,
  type PlanBudget,
  type QueryPlan
} from 'lomas-kernel/protocol';
import {
  compose,
  costToBudget,
  parseAmount,
  planAggregation,
  rat,
  toDecimal,
  unitFromMetadata,
  type AggregationPlan,
  type AggregationSpec,
  type BudgetSpec,
  type Cost,
  type GroupsSpec
} from '../dp';
import type { KeyValue, RAggregation, ResolvedPlan } from '../query/types';
import type { DatasetRecord } from '../store/types';
import { figure, percent } from './words';

/**
 * Planning joins the resolved query (columns, bounds, grids, public keys) with the DP engine's
 * calibration: sensitivities, noise scales and the exact cost. It reads no private data and draws
 * no randomness, so the cost is known — and charged — before anything touches the data.
 */

/** Group keys travel to the DP engine as strings: the JSON of the key tuple. */
export function keyString(values: readonly KeyValue[]): string {
  return JSON.stringify(values);
}

function product(lists: readonly KeyValue[][]): KeyValue[][] {
  return lists.reduce<KeyValue[][]>(
    (acc, list) => acc.flatMap(prefix => list.map(v => [...prefix, v])),
    [[]]
  );
}

/** Bin labels of a histogram, in order: "[e0, e1]", "(e1, e2]", … or the categories. */
export function binLabels(a: Extract<RAggregation, { op: 'histogram' }>): KeyValue[] {
  if (a.categories) return a.categories;
  const e = a.edges ?? [];
  return e.slice(0, -1).map((lo, i) => `${i === 0 ? '[' : '('}${lo}, ${e[i + 1]}]`);
}

export interface PlannedAggregation {
  agg: RAggregation;
  dp: AggregationPlan;
  /** Public group keys (tuples) in release order; histograms add the bin as the last element. */
  publicKeys: KeyValue[][] | null;
}

export interface PlannedQuery {
  resolved: ResolvedPlan;
  aggregations: PlannedAggregation[];
  /** Total cost in the dataset's accounting measure (exact). */
  cost: Cost;
  /** The same as the ledger stores it (exact fractions) and as analysts read it (decimals, rounded up). */
  charge: Budget;
  display: Budget;
  mechanisms: MechanismReport[];
}

function budgetSpec(
  b: PlanBudget | undefined,
  share: bigint,
  where: string
): BudgetSpec | undefined {
  if (!b) return undefined;
  const part = (x: string | number, name: string) =>
    parseAmount(x, `${where}.${name}`).div(rat(share));
  if (b.rho !== undefined) {
    if (b.epsilon !== undefined)
      throw new LomasError('INVALID_PLAN', {
        problem: `${where} gives both epsilon and rho`,
        fix: 'Give one of them.'
      });
    return { rho: part(b.rho, 'rho') };
  }
  if (b.epsilon === undefined)
    throw new LomasError('INVALID_PLAN', {
      problem: `${where} has no epsilon or rho`,
      fix: 'Write { epsilon: 0.5 }.'
    });
  return b.delta !== undefined && parseAmount(b.delta, `${where}.delta`).sign() > 0
    ? { epsilon: part(b.epsilon, 'epsilon'), delta: part(b.delta, 'delta') }
    : { epsilon: part(b.epsilon, 'epsilon') };
}

function groupsFor(
  resolved: ResolvedPlan,
  agg: RAggregation
): { spec: GroupsSpec; keys: KeyValue[][] | null } {
  const g = resolved.groupBy;
  const bins = agg.op === 'histogram' ? binLabels(agg) : null;
  if (!g) {
    if (!bins) return { spec: { kind: 'none' }, keys: null };
    const keys = bins.map(b => [b]);
    return { spec: { kind: 'public', keys: keys.map(keyString) }, keys };
  }
  if (g.mode === 'discover') {
    if (bins)
      throw new LomasError('INVALID_PLAN', {
        problem: 'a histogram cannot be combined with private key discovery',
        fix: 'Group by public keys (metadata categories or explicit values), or drop the histogram.'
      });
    return {
      spec: { kind: 'private', delta: parseAmount(g.delta, 'groupby.discover.delta') },
      keys: null
    };
  }
  const keys = product(bins ? [...g.values, bins] : g.values);
  return { spec: { kind: 'public', keys: keys.map(keyString) }, keys };
}

function specFor(
  agg: RAggregation,
  plan: QueryPlan,
  metadata: DatasetMetadata,
  groups: GroupsSpec,
  shared: BudgetSpec | undefined
): AggregationSpec {
  const own = plan.aggregations[agg.index];
  const budget = own.budget
    ? budgetSpec(own.budget, 1n, `aggregations[${agg.index}].budget`)
    : own.accuracy
      ? undefined
      : shared;
  const spec: AggregationSpec = {
    kind: agg.op,
    groups,
    unit: unitFromMetadata(metadata),
    budget,
    accuracy: own.accuracy
      ? { halfWidth: own.accuracy.halfWidth, confidence: own.accuracy.confidence }
      : undefined,
    confidence: plan.confidence,
    mechanism: own.mechanism
  };
  if (agg.op === 'sum' || agg.op === 'mean' || agg.op === 'variance' || agg.op === 'stdev') {
    spec.bounds = agg.bounds;
    spec.grid = agg.grid.exponent;
  } else if (agg.op === 'quantile' || agg.op === 'median') {
    spec.bounds = agg.bounds;
    spec.quantile = agg.q[0];
    spec.candidates = agg.candidates;
  }
  if (!spec.budget && !spec.accuracy)
    throw new LomasError('INVALID_PLAN', {
      problem: `aggregation ${agg.name} has no budget`,
      fix: 'Give the query a budget ({ epsilon: 0.5 }), the aggregation its own, or a target accuracy.'
    });
  return spec;
}

/**
 * What the analyst is told about one aggregation's accuracy before the data is read. Counts and
 * sums have one interval for every row; a quantile has no interval in the column's unit (its
 * accuracy is a rank); a mean's, variance's or standard deviation's interval depends on each
 * group, so a single "±x" would mislead and the report says it in words.
 */
function report(p: PlannedAggregation, column: string | undefined): MechanismReport {
  const stat = (name: string) => p.dp.statistics.find(s => s.name === name);
  const main = p.dp.statistics[0];
  const base = {
    aggregation: p.agg.name,
    column,
    mechanism: p.dp.mechanism,
    scale: toDecimal(main.scaleReal, 6, 'up'),
    confidence: p.dp.confidence,
    cost: costToBudget(p.dp.cost),
    kind: p.agg.op
  };
  const at = percent(p.dp.confidence);
  const unit = column ? `the unit of ${column}` : "the column's unit";
  if (p.dp.halfWidth !== undefined)
    return { ...base, halfWidth: p.dp.halfWidth, interval: 'value' };
  if (p.agg.op === 'quantile' || p.agg.op === 'median') {
    const rows = (stat('quantile') ?? main).halfWidth / Number(p.dp.level!.den);
    const which = p.agg.op === 'median' ? 'the median' : `the ${p.agg.q[0]}-quantile`;
    return {
      ...base,
      halfWidth: rows,
      interval: 'rank',
      note: `±${rows.toPrecision(3)} is a rank error: the released value's rank is within that many rows of the requested one; its error in ${unit} depends on the data`,
      accuracy: `no interval in ${unit}: the released value's rank is within ±${figure(rows)} rows of ${which}'s, at ${at}`
    };
  }
  const count = stat('count');
  const sum = stat('centered_sum');
  if (p.agg.op === 'mean' && count && sum && 'bounds' in p.agg) {
    // mean = mid + Σ(x − mid)/n: the sum's noise over n, plus the count's noise moving the
    // denominator of values at most (U − L)/2 from mid. First order in (count noise)/n.
    const [lo, hi] = p.agg.bounds;
    const k = sum.halfWidth + (count.halfWidth * (hi - lo)) / 2;
    return {
      ...base,
      halfWidth: k,
      interval: 'depends',
      note: `the interval of a mean depends on each group's size n: up to about ±${k.toPrecision(4)}/n`,
      accuracy: `depends on each group's size n: up to about ±${figure(k)}/n at ${at} (±${figure(k / 100)} for 100 rows); each released row carries its own interval`
    };
  }
  return {
    ...base,
    halfWidth: main.halfWidth,
    interval: 'depends',
    note: `the interval of a ${p.agg.op} depends on the data (each row carries its own)`,
    accuracy: `depends on each group's size and spread: each released row carries its own interval, at ${at}`
  };
}

/** Calibrates every aggregation of a resolved plan and totals the cost in the dataset's measure. */
export function planQuery(
  plan: QueryPlan,
  resolved: ResolvedPlan,
  dataset: DatasetRecord
): PlannedQuery {
  if (resolved.groupBy?.mode === 'discover' && resolved.aggregations.length > 1)
    throw new LomasError('INVALID_PLAN', {
      problem: 'private key discovery releases one aggregation per query',
      fix: 'Run one aggregation per query when keys are discovered, or group by public keys.'
    });
  if (resolved.aggregations.some(a => a.op === 'histogram') && resolved.aggregations.length > 1)
    throw new LomasError('INVALID_PLAN', {
      problem: 'a histogram must be the only aggregation of its query',
      fix: 'Send the histogram as a query of its own.'
    });
  const sharing = plan.aggregations.filter(a => !a.budget && !a.accuracy).length;
  const shared = sharing > 0 ? budgetSpec(plan.budget, BigInt(sharing), 'budget') : undefined;
  const aggregations = resolved.aggregations.map(agg => {
    const groups = groupsFor(resolved, agg);
    const dp = planAggregation(specFor(agg, plan, dataset.metadata, groups.spec, shared));
    return { agg, dp, publicKeys: groups.keys };
  });
  const cost = compose(
    aggregations.map(a => a.dp.cost),
    dataset.accounting,
    dataset.delta ? { conversionDelta: parseAmount(dataset.delta, 'dataset.delta') } : {}
  );
  return {
    resolved,
    aggregations,
    cost,
    charge: costToBudget(cost, 'fraction'),
    display: costToBudget(cost, 'decimal'),
    mechanisms: aggregations.map(a => report(a, 'column' in a.agg ? a.agg.column : undefined))
  };
}
