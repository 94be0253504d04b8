import type { AccountingMode } from '../budget';
import { DEFAULT_CONFIDENCE, type GroupBy, type QueryPlan } from '../plan';
import type { DatasetMetadata } from '../metadata';
import { checkAggregation } from './aggregations';
import { checkNoiseRequest } from './budget';
import { checkGroupBy } from './groupby';
import { invalidPlan } from './messages';
import { scopeOf, type CheckContext } from './scope';
import { checkStep } from './steps';
import type { CheckedPlan, RAggregation, RGroupBy, RStep } from './types';

/** What the checker knows of the dataset: all of it public. */
export interface CheckTarget {
  metadata: DatasetMetadata;
  /** The dataset's accounting mode; when unknown, the rules that depend on it are left to the server. */
  accounting?: AccountingMode;
  /** The dataset's δ at which ρ is stated as ε ((ε, δ) and zCDP datasets), if it has one. */
  delta?: string;
}

/**
 * THE plan checker: the type, domain and privacy rules of a (schema-valid) plan against the
 * dataset's public metadata. The notebook builder runs it to fail early, the server runs it as the
 * authority: same code, same errors. It reads no private data; the result depends only on the plan
 * and the metadata.
 *
 * Order: steps, then the group-by, then each aggregation, then the rules across aggregations.
 */
export function checkPlan(plan: QueryPlan, target: CheckTarget): CheckedPlan {
  let ctx: CheckContext = { dataset: plan.dataset, scope: scopeOf(target.metadata) };
  const steps: RStep[] = [];
  for (const s of plan.steps) {
    const r = checkStep(s, ctx);
    steps.push(r.step);
    ctx = { ...ctx, scope: r.scope };
  }
  const groupBy = plan.groupby ? checkGroupBy(plan.groupby, ctx) : null;
  const aggregations = plan.aggregations.map((a, i) => checkAggregation(a, i, ctx));
  checkQueryShape(aggregations, plan.groupby);
  shareBudget(plan, aggregations);
  for (const a of aggregations)
    checkNoiseRequest({ ...a, step: gridStep(a) }, groupBy?.mode === 'discover', target);
  return {
    dataset: plan.dataset,
    steps,
    groupBy,
    aggregations,
    columns: [...ctx.scope.values()],
    groupCount: groupCount(groupBy),
    confidence: plan.confidence ?? DEFAULT_CONFIDENCE
  };
}

/** Rules across the aggregations of one query. */
export function checkQueryShape(
  aggregations: ReadonlyArray<Pick<RAggregation, 'op'>>,
  groupby: GroupBy | undefined
): void {
  const histogram = aggregations.some(a => a.op === 'histogram');
  if (groupby?.discover && histogram)
    throw invalidPlan(
      'a histogram cannot be combined with private key discovery',
      'Group by public keys (metadata categories or explicit values), or drop the histogram.'
    );
  if (groupby?.discover && aggregations.length > 1)
    throw invalidPlan(
      'private key discovery releases one aggregation per query',
      'Run one aggregation per query when keys are discovered, or group by public keys.'
    );
  if (histogram && aggregations.length > 1)
    throw invalidPlan(
      'a histogram must be the only aggregation of its query',
      'Send the histogram as a query of its own.'
    );
}

/**
 * Every aggregation needs a budget (the schema says so): its own, or an accuracy target, or an
 * equal share of the plan's budget among the aggregations that have neither.
 */
function shareBudget(plan: QueryPlan, aggregations: RAggregation[]): void {
  const sharing = aggregations.filter(a => !a.budget && !a.accuracy);
  if (sharing.length === 0 || !plan.budget) return;
  for (const a of sharing) {
    a.budget = plan.budget;
    a.shares = sharing.length;
  }
}

/** The grid step of a released value: 1 for counts, 2^exponent for a sum. */
function gridStep(a: RAggregation): number | undefined {
  if (a.op === 'count' || a.op === 'histogram') return 1;
  if (a.op === 'sum') return 2 ** a.grid.exponent;
  return undefined;
}

function groupCount(g: RGroupBy | null): number | null {
  if (!g) return 1;
  return g.mode === 'public' ? g.values.reduce((n, v) => n * v.length, 1) : null;
}
