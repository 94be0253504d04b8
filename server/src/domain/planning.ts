import {
  PLAN_LIMITS,
  deltaLimitRule,
  type Budget,
  type MechanismReport,
  type PlanBudget
} from 'lomas-kernel/protocol';
import {
  compose,
  costToBudget,
  toDecimal as amountText,
  parseAmount,
  planAggregation,
  rat,
  toSignificant,
  unitFromMetadata,
  type AggregationSpec,
  type BudgetSpec,
  type Composition,
  type Cost,
  type GroupsSpec,
  type NoisePlan
} from '../dp';
import {
  keyId,
  keyProduct,
  publicAtom,
  publicKeyLists,
  type Key,
  type KeyAtom
} from '../query/keys';
import type { CheckedPlan, KeyValue, RAggregation } from '../query/types';
import { readAmount } from '../ledger/amount';
import type { DatasetRecord } from '../store/types';
import { figure, percent } from './words';

/**
 * Costing joins the checked plan (columns, bounds, grids, public keys, each aggregation's budget)
 * with the DP engine's calibration: each aggregation's noise plan (sensitivities, scales,
 * measurements) and their composed, exact cost. It reads no private data and draws no randomness,
 * so the cost is known — and charged — before anything touches the data. The plan rules were all
 * applied by the checker (lomas-kernel/protocol, checkPlan); nothing here refuses a plan except
 * the grant-dependent "delta-within-limit" and the DP engine's own preconditions.
 */

/**
 * Group keys travel to the DP engine as strings: the exact, typed identity of the key tuple
 * (query/keys.ts), the same for a public key from the plan and for the engine's value of it.
 */
export function keyString(key: Key): string {
  return keyId(key);
}

/** Bin labels of a histogram, in order: "[e0, e1]", "(e1, e2]", … or the categories. */
export function binLabels(a: Extract<RAggregation, { op: 'histogram' }>): KeyValue[] {
  if (a.categories) return a.categories;
  const e = a.edges ?? [];
  return e.slice(0, -1).map((lo, i) => `${i === 0 ? '[' : '('}${lo}, ${e[i + 1]}]`);
}

/** The exact keys of a histogram's bins: the labels of numeric bins, or the column's categories. */
export function binKeys(a: Extract<RAggregation, { op: 'histogram' }>): KeyAtom[] {
  return binLabels(a).map(label => publicAtom(label, a.categories ? a.type : 'string'));
}

/** One aggregation of a costed query: its checked form and its noise plan. */
export interface CostedAggregation {
  agg: RAggregation;
  dp: NoisePlan;
  /** Public group keys (exact tuples) in release order; histograms add the bin as the last element. */
  publicKeys: Key[] | null;
}

/** A checked plan with every aggregation's noise plan and the cost the ledger charges. */
export interface CostedQuery {
  checked: CheckedPlan;
  aggregations: CostedAggregation[];
  /** The composition of every aggregation's measurements, in the dataset's measure. */
  composition: Composition;
  /** = composition.loss: the total cost the ledger charges (exact). */
  cost: Cost;
  /** The same as the ledger stores it (exact fractions) and as analysts read it (decimals, rounded up). */
  charge: Budget;
  display: Budget;
  mechanisms: MechanismReport[];
}

/** An aggregation's budget (its own, or its share of the plan's) as the DP engine reads it. */
function budgetSpec(b: PlanBudget, shares: number, where: string): BudgetSpec {
  const part = (x: string | number, name: string) =>
    parseAmount(x, `${where}.${name}`).div(rat(BigInt(shares)));
  if (b.rho !== undefined) return { rho: part(b.rho, 'rho') };
  const epsilon = part(b.epsilon!, 'epsilon');
  return b.delta !== undefined && parseAmount(b.delta, `${where}.delta`).sign() > 0
    ? { epsilon, delta: part(b.delta, 'delta') }
    : { epsilon };
}

function groupsFor(
  checked: CheckedPlan,
  agg: RAggregation
): { spec: GroupsSpec; keys: Key[] | null } {
  const g = checked.groupBy;
  const bins = agg.op === 'histogram' ? binKeys(agg) : null;
  if (!g) {
    if (!bins) return { spec: { kind: 'none' }, keys: null };
    const keys = bins.map(b => [b]);
    return { spec: { kind: 'public', keys: keys.map(keyString) }, keys };
  }
  if (g.mode === 'discover') {
    return {
      spec: {
        kind: 'private',
        delta: parseAmount(g.delta, 'groupby.discover.delta'),
        // The release draws noise for this many groups whatever the data holds (timing).
        padTo: PLAN_LIMITS.discoveredGroups
      },
      keys: null
    };
  }
  const lists = publicKeyLists(
    g.values,
    g.keys.map(k => k.type)
  );
  const keys = keyProduct(bins ? [...lists, bins] : lists);
  return { spec: { kind: 'public', keys: keys.map(keyString) }, keys };
}

function specFor(
  agg: RAggregation,
  checked: CheckedPlan,
  dataset: DatasetRecord,
  groups: GroupsSpec
): AggregationSpec {
  const where = agg.shares ? 'budget' : `aggregations[${agg.index}].budget`;
  const spec: AggregationSpec = {
    kind: agg.op,
    groups,
    unit: unitFromMetadata(dataset.metadata),
    // Every loss is stated in the dataset's measure; an (ε, δ) dataset converts ρ at its δ.
    measure: dataset.accounting,
    conversionDelta: dataset.delta,
    budget: agg.budget ? budgetSpec(agg.budget, agg.shares ?? 1, where) : undefined,
    accuracy: agg.accuracy,
    confidence: checked.confidence,
    mechanism: agg.mechanism
  };
  if (agg.op === 'sum' || agg.op === 'mean' || agg.op === 'variance' || agg.op === 'stdev') {
    spec.bounds = agg.bounds;
    spec.grid = agg.grid.exponent;
  } else if (agg.op === 'quantile' || agg.op === 'median') {
    spec.bounds = agg.bounds;
    spec.quantile = agg.q[0];
    spec.candidates = agg.candidates;
  }
  return spec;
}

/**
 * What the analyst is told about one aggregation's accuracy before the data is read. Counts and
 * sums have one interval for every row; a quantile has no interval in the column's unit (its
 * accuracy is a rank); a mean's, variance's or standard deviation's interval depends on each
 * group, so a single "±x" would mislead and the report says it in words.
 */
function report(p: CostedAggregation, column: string | undefined): MechanismReport {
  const stat = (name: string) => p.dp.statistics.find(s => s.name === name);
  const main = p.dp.statistics[0];
  const base = {
    aggregation: p.agg.name,
    column,
    mechanism: p.dp.mechanism,
    scale: toSignificant(main.scaleReal, 6, 'up'),
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

/** Calibrates every aggregation of a checked plan and totals the cost in the dataset's measure. */
export function costQuery(checked: CheckedPlan, dataset: DatasetRecord): CostedQuery {
  const aggregations = checked.aggregations.map(agg => {
    const groups = groupsFor(checked, agg);
    const dp = planAggregation(specFor(agg, checked, dataset, groups.spec));
    return { agg, dp, publicKeys: groups.keys };
  });
  // The one place a query's cost comes from: the composed loss of the measurements that will
  // release it (each stated in the dataset's measure by its own privacy map).
  const composition = compose(
    aggregations.map(a => a.dp.composition),
    dataset.accounting
  );
  const cost = composition.loss;
  return {
    checked,
    aggregations,
    composition,
    cost,
    charge: costToBudget(cost, 'fraction'),
    display: costToBudget(cost, 'decimal'),
    mechanisms: aggregations.map(a => report(a, 'column' in a.agg ? a.agg.column : undefined))
  };
}

/**
 * PRIVACY_RULE "delta-within-limit": a query may not ask for more δ than the analyst's grant (or
 * the dataset-wide cap) allows in total. Checked before any charge, so the refusal names the rule
 * instead of a budget figure. (The ledger checks every dimension again, atomically, on charge.)
 */
export function checkDeltaWithinLimits(
  q: Pick<CostedQuery, 'cost'>,
  dataset: DatasetRecord,
  grant: Budget | null
): void {
  if (q.cost.measure === 'pure' || q.cost.delta.isZero()) return;
  const asked = q.cost.delta;
  const limits: Array<['your grant' | 'the dataset-wide cap', Budget]> = [];
  if (grant) limits.push(['your grant', grant]);
  if (dataset.cap) limits.push(['the dataset-wide cap', dataset.cap]);
  for (const [limit, b] of limits) {
    const allowed = readAmount(b.delta);
    if (asked.lte(allowed)) continue;
    throw deltaLimitRule({
      limit,
      dataset: dataset.name,
      allowed: b.delta,
      asked: amountText(asked, 12, 'up'),
      none: allowed.isZero()
    });
  }
}
