/**
 * Planning a model: the resolved request (columns.ts) and the dataset's accounting give the DP
 * engine's plan — every noisy step as a measurement, their composition and its exact cost — with
 * no private data and no randomness, so the cost is known (and charged) before anything runs.
 */
import {
  LomasError,
  type Budget,
  type ModelNoise,
  type ModelRequest,
  type PlanBudget
} from 'lomas-kernel/protocol';
import {
  costToBudget,
  parseAmount,
  planKMeans,
  planLinear,
  planLogistic,
  planNaiveBayes,
  Rational,
  scaleCost,
  toSignificant,
  unitFromMetadata,
  type BudgetSpec,
  type Composition,
  type Cost,
  type KMeansPlan,
  type LinearPlan,
  type LogisticPlan,
  type ModelBudget,
  type NaiveBayesPlan,
  type NoisyStep
} from '../dp';
import type { DatasetRecord } from '../store/types';
import { resolveModel, type ResolvedModel } from './columns';

export type ModelDpPlan = LinearPlan | LogisticPlan | NaiveBayesPlan | KMeansPlan;

export interface PlannedModel {
  resolved: ResolvedModel;
  dp: ModelDpPlan;
  composition: Composition;
  /** = composition.loss: what the ledger charges. */
  cost: Cost;
  /** As the ledger stores it (exact fractions) and as analysts read it (decimals, rounded up). */
  charge: Budget;
  display: Budget;
  noise: ModelNoise[];
}

function budgetSpec(b: PlanBudget): BudgetSpec {
  if (b.rho !== undefined) {
    if (b.epsilon !== undefined)
      throw new LomasError('INVALID_REQUEST', {
        problem: 'budget gives both epsilon and rho. Give one of them'
      });
    return { rho: parseAmount(b.rho, 'budget.rho') };
  }
  const epsilon = parseAmount(b.epsilon as string | number, 'budget.epsilon');
  return b.delta !== undefined && parseAmount(b.delta, 'budget.delta').sign() > 0
    ? { epsilon, delta: parseAmount(b.delta, 'budget.delta') }
    : { epsilon };
}

function dpPlan(m: ResolvedModel, budget: ModelBudget): ModelDpPlan {
  const r = m.request;
  const o = r.options ?? {};
  const features = m.features.map(f => ({
    lower: f.bounds[0],
    upper: f.bounds[1],
    integer: f.kind === 'numeric' && f.integer
  }));
  const t = m.target;
  switch (r.model) {
    case 'linear': {
      if (t?.kind !== 'numeric') throw new Error('linear target not numeric');
      const target = { lower: t.bounds[0], upper: t.bounds[1], integer: t.integer };
      return planLinear({ ...budget, features, target, ridge: o.ridge });
    }
    case 'logistic':
      if (t?.kind !== 'classes') throw new Error('logistic target has no classes');
      return planLogistic({
        ...budget,
        features,
        classes: t.classes.length,
        iterations: o.iterations,
        learningRate: o.learningRate,
        momentum: o.momentum,
        l2: o.l2,
        clip: o.clip,
        evaluate: o.evaluate
      });
    case 'naive_bayes':
      if (t?.kind !== 'classes') throw new Error('naive Bayes target has no classes');
      return planNaiveBayes({
        ...budget,
        features,
        classes: t.classes.length,
        varianceFloor: o.varianceFloor,
        evaluate: o.evaluate
      });
    case 'kmeans':
      return planKMeans({
        ...budget,
        features,
        clusters: o.clusters as number,
        iterations: o.iterations,
        init: o.init,
        evaluate: o.evaluate
      });
  }
}

/** Steps of the same kind (gradient_1…gradient_T) reported once, with their count. */
export function noiseReport(steps: readonly NoisyStep[]): ModelNoise[] {
  const out: Array<ModelNoise & { loss: Cost }> = [];
  for (const s of steps) {
    const name = s.label.replace(/_\d+$/, '');
    const last = out[out.length - 1];
    if (last && last.step === name) {
      last.invocations++;
      last.cost = costToBudget(scaleCost(last.loss, BigInt(last.invocations)));
      continue;
    }
    const unit = Rational.pow2(30 * s.power);
    out.push({
      step: name,
      mechanism: s.mechanism,
      scale: toSignificant(s.scale.div(unit), 6, 'up'),
      values: s.length,
      invocations: 1,
      cost: costToBudget(s.measurement.loss),
      loss: s.measurement.loss
    });
  }
  return out.map(({ loss: _loss, ...n }) => n);
}

/** Resolves and plans a parsed request for a dataset: public facts only. */
export function planModel(request: ModelRequest, dataset: DatasetRecord): PlannedModel {
  const resolved = resolveModel(request, dataset.metadata);
  const dp = dpPlan(resolved, {
    budget: budgetSpec(request.budget),
    mechanism: request.mechanism,
    measure: dataset.accounting,
    conversionDelta: dataset.delta,
    unit: unitFromMetadata(dataset.metadata)
  });
  return {
    resolved,
    dp,
    composition: dp.composition,
    cost: dp.cost,
    charge: costToBudget(dp.cost, 'fraction'),
    display: costToBudget(dp.cost, 'decimal'),
    noise: noiseReport(dp.steps)
  };
}
