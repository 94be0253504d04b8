/**
 * Convenience wrappers for the most common release: a (grouped) count with discrete Laplace noise
 * (pure ε) or discrete Gaussian noise (ρ).
 */
import { Rng } from '../rng';
import type { AccountingMode } from '../accounting';
import { PrivacyUnit } from '../units';
import { AccuracySpec, NoisePlan, BudgetSpec, GroupsSpec, planAggregation } from './plan';
import { Release, releaseAggregation } from './release';

export interface CountSpec {
  groups?: GroupsSpec;
  unit?: PrivacyUnit;
  budget?: BudgetSpec;
  accuracy?: AccuracySpec;
  confidence?: number;
  mechanism?: 'laplace' | 'gaussian';
  measure?: AccountingMode;
}

/** Plans a (grouped) count: sensitivity, scale, cost, expected half-width. No data, no randomness. */
export function planCount(spec: CountSpec): NoisePlan {
  return planAggregation({ ...spec, kind: 'count' });
}

/** Releases a planned count from exact per-group row counts. */
export function releaseCount(
  plan: NoisePlan,
  counts: ReadonlyArray<{ key?: string; count: bigint }> | { count: bigint },
  rng: Rng
): Release {
  return releaseAggregation(plan, counts, rng);
}
