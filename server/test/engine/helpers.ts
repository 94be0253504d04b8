import {
  DatasetMetadata,
  checkPlan,
  parsePlan,
  type CheckedPlan,
  type QueryPlan
} from 'lomas-kernel/protocol';
import { loadDataset, type LoadedDataset } from '../../src/engine/load';

export const jsonBig = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** A plan from a partial (defaults: version 1, no steps, a budget). */
export function plan(
  p: Partial<QueryPlan> & { aggregations: QueryPlan['aggregations'] }
): QueryPlan {
  return parsePlan({ version: 1, dataset: 'test', steps: [], budget: { epsilon: 1 }, ...p });
}

export function resolve(
  p: Partial<QueryPlan> & { aggregations: QueryPlan['aggregations'] },
  meta: DatasetMetadata
): CheckedPlan {
  return checkPlan(plan(p), { metadata: meta });
}

export const col = (name: string) => ({ kind: 'col' as const, name });
export const lit = (value: string | number | boolean | null) => ({ kind: 'lit' as const, value });
export const bin = (op: string, left: unknown, right: unknown) =>
  ({ kind: 'binary', op, left, right }) as never;

export function meta(m: unknown): DatasetMetadata {
  return DatasetMetadata.parse(m);
}

export async function loadRows(
  m: DatasetMetadata,
  rows: Record<string, unknown>[]
): Promise<LoadedDataset> {
  return loadDataset({ kind: 'rows', rows }, m);
}
