/**
 * The two sides of a plan's verdict: the notebook builder and the server.
 *
 * - Server: the query service's `estimate` (what POST /v1/queries/estimate runs): dataset lookup,
 *   parsePlan, checkPlan, costing by the DP engine, and the grant's δ limit. A generous grant, so
 *   only the plan decides.
 * - Builder: what a notebook does — `lomas.dataset(name).metadata()` (which the server refuses for
 *   an unknown dataset), then the plan replayed verb by verb through `dataset.query()`, each verb
 *   with its own arguments, and `.agg([...], budget)`. A plan the builder cannot write (a wrong
 *   version, an unknown field, duplicate select columns, ...) goes through the builder's door for
 *   ready-made plans, `new SendableQuery(plan)`.
 *
 * A verdict is "accepted" or an error (code and message).
 */
import {
  LomasError,
  isPlan,
  type AccountingMode,
  type QueryPlan,
  type Step
} from 'lomas-kernel/protocol';
import { QueryBuilder, SendableQuery } from '../../../kernel-lib/src/query';
import { demoDatasets } from '../../src/datasets/demo';
import { seededRng } from '../../src/dp';
import { createQueryService } from '../../src/domain/queries';
import { DatasetCache } from '../../src/engine';
import { createLedger } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { MemoryStore } from '../../src/store/memory';
import type { DatasetRecord } from '../../src/store/types';

export type Verdict = { ok: true; plan?: QueryPlan } | { ok: false; code: string; message: string };

const penguins = demoDatasets().find(d => d.name === 'penguins')!;

/** The penguins dataset in each accounting mode (approx without and with a δ). */
export const DATASETS: Record<string, DatasetRecord> = Object.fromEntries(
  (
    [
      ['pure', 'pure', undefined],
      ['approx', 'approx', undefined],
      ['approx+delta', 'approx', '0.000001'],
      ['zcdp', 'zcdp', '0.000001']
    ] as Array<[string, AccountingMode, string | undefined]>
  ).map(([label, accounting, delta]) => [
    label,
    {
      ...penguins,
      accounting,
      ...(delta ? { delta } : {}),
      cap: null,
      version: 1,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z'
    }
  ])
);

const GRANT = { epsilon: '1000000', delta: '0.9', rho: '1000000' };
const WHO = { user: 'alice', role: 'analyst' as const, credential: 'key:k' };

/** One query service per accounting mode, on a memory store holding that dataset and a grant. */
async function serviceFor(dataset: DatasetRecord) {
  const store = new MemoryStore();
  await store.init();
  await store.putDataset(dataset);
  const at = '2026-01-01T00:00:00Z';
  await store.putGrant({
    user: WHO.user,
    dataset: dataset.name,
    budget: GRANT,
    createdAt: at,
    updatedAt: at
  });
  return createQueryService({
    store,
    ledger: createLedger(store),
    cache: new DatasetCache(),
    rng: seededRng('agreement'),
    logger: createLogger('silent')
  });
}

const services = new Map<string, ReturnType<typeof serviceFor>>();

function verdictOf(e: unknown): Verdict {
  if (e instanceof LomasError) return { ok: false, code: e.code, message: e.message };
  throw e;
}

export async function serverVerdict(plan: unknown, mode: string): Promise<Verdict> {
  const dataset = DATASETS[mode];
  if (!services.has(mode)) services.set(mode, serviceFor(dataset));
  const service = await services.get(mode)!;
  try {
    await service.estimate(WHO, plan);
    return { ok: true };
  } catch (e) {
    return verdictOf(e);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const only = (o: Record<string, unknown>, keys: string[]) =>
  Object.keys(o).every(k => keys.includes(k));

/** Can the builder's verbs write this plan (with each verb's own arguments)? */
function writable(p: unknown): p is QueryPlan {
  if (!isObject(p) || p.version !== 1 || typeof p.dataset !== 'string') return false;
  const top = ['version', 'dataset', 'steps', 'groupby', 'aggregations', 'budget', 'confidence'];
  if (!only(p, top) || !Array.isArray(p.steps) || !Array.isArray(p.aggregations)) return false;
  if (!p.steps.every(writableStep)) return false;
  if (p.groupby !== undefined && !writableGroupBy(p.groupby)) return false;
  if (p.aggregations.some(a => isObject(a) && 'aggregation' in a)) return false;
  if (p.budget !== undefined) {
    if (!isObject(p.budget) || Object.keys(p.budget).length === 0) return false;
    if (!only(p.budget, ['epsilon', 'delta', 'rho'])) return false;
  }
  return true;
}

function writableStep(s: unknown): boolean {
  if (!isObject(s)) return false;
  if (s.op === 'filter') return only(s, ['op', 'predicate']) && isObject(s.predicate);
  if (s.op === 'select')
    return (
      only(s, ['op', 'columns']) &&
      Array.isArray(s.columns) &&
      s.columns.every(c => typeof c === 'string') &&
      new Set(s.columns).size === s.columns.length
    );
  if (s.op === 'derive')
    return (
      only(s, ['op', 'columns']) &&
      isObject(s.columns) &&
      Object.values(s.columns).every(c => isObject(c) && 'expr' in c && !('kind' in c))
    );
  return false;
}

function writableGroupBy(g: unknown): boolean {
  return (
    isObject(g) &&
    only(g, ['keys', 'values', 'discover']) &&
    Array.isArray(g.keys) &&
    (g.values === undefined || isObject(g.values))
  );
}

/** The plan written with the builder's verbs, checked as a notebook would check it. */
function write(p: QueryPlan, target: DatasetRecord): QueryPlan {
  let b = new QueryBuilder<unknown, unknown>(p.dataset, undefined, target);
  for (const s of p.steps as Step[]) {
    if (s.op === 'filter') b = b.filter(s.predicate);
    else if (s.op === 'select') b = b.select(s.columns);
    else b = b.derive(s.columns);
  }
  const g = p.groupby
    ? b.groupby(p.groupby.keys, { values: p.groupby.values, discover: p.groupby.discover })
    : b;
  return g.agg(p.aggregations, { ...p.budget, confidence: p.confidence }).plan;
}

export function builderVerdict(plan: unknown, mode: string): Verdict {
  const dataset = DATASETS[mode];
  const name = isObject(plan) ? plan.dataset : undefined;
  try {
    // lomas.dataset(name).metadata(): the server answers only for a dataset the analyst may see.
    if (typeof name === 'string' && name !== dataset.name)
      throw new LomasError('DATASET_NOT_FOUND', { dataset: name });
    if (writable(plan)) return { ok: true, plan: write(plan, dataset) };
    new SendableQuery(plan as QueryPlan);
    // Every plan the verbs cannot write is one the schema refuses; reaching here is a bug.
    throw new Error(`a plan the builder cannot write was accepted: ${JSON.stringify(plan)}`);
  } catch (e) {
    return verdictOf(e);
  }
}

/** True when the plan passes the schema (then both sides must give the same error, word for word). */
export const schemaValid = (plan: unknown): boolean => isPlan(plan);
