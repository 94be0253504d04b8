import {
  embeddedEngineOnly,
  LomasError,
  parseSyntheticRequest,
  SYNTHETIC_DEFAULT_BINS,
  type SyntheticEstimate,
  type SyntheticRelease,
  type SyntheticRequest
} from 'lomas-kernel/protocol';
import { dummyRows } from '../datasets/dummy';
import {
  costToBudget,
  parseAmount,
  planSynthesis,
  synthesize,
  unitFromMetadata,
  type BudgetSpec,
  type Rng,
  type SynthesisPlan
} from '../dp';
import type { DatasetCache } from '../engine';
import { loadDataset } from '../engine/load';
import { countMarginals } from '../engine/marginals';
import type { Ledger } from '../ledger';
import type { Logger } from '../logger';
import type { DatasetRecord, Store } from '../store/types';
import { datasetAccess, spendingAccess } from './access';
import type { Admission } from './admission';
import { chargedOnce, chargedOnceContext } from './chargedOnce';
import { livesInTrino } from '../engine/trino';
import { checkDeltaWithinLimits } from './planning';
import { budgetStatus } from './budget';
import type { Principal } from './types';
import { resolveColumns, type ResolvedColumns } from './syntheticColumns';
import { buildSyntheticRelease, estimateParts } from './syntheticRelease';

/** What the synthetic-data routes need from the domain. */
export interface SyntheticService {
  estimate(who: Principal, body: unknown): Promise<SyntheticEstimate>;
  dummy(who: Principal, body: unknown): Promise<SyntheticRelease>;
  /** `signal` aborts when the client goes away: before its charge, the request is dropped. */
  run(
    who: Principal,
    body: unknown,
    idempotencyKey: string | null,
    signal?: AbortSignal
  ): Promise<SyntheticRelease>;
  /** A synthetic table the caller already paid for, from the archive (post-processing: free). */
  archived(who: Principal, queryId: string): Promise<SyntheticRelease>;
}

export interface SyntheticDeps {
  store: Store;
  ledger: Ledger;
  cache: DatasetCache;
  rng: Rng;
  logger: Logger;
  /** Rows of the dummy dataset a dummy synthesis learns from. */
  dummyRowCount?: number;
  /** How long after its charge a retry waits for the answer (chargedOnce.ts, storedAnswer). */
  answerWaitMs?: number;
  /** Charged requests at once; shared with the query and model services (default: no limit). */
  admission?: Admission;
  now?: () => Date;
}

/** The archive's plan of a synthetic release (tells it apart from query plans). */
export const SYNTHETIC_PLAN_KIND = 'synthetic';

/**
 * A history entry's release: a synthetic table is listed without its rows (up to 500,000 cells
 * each); GET /v1/synthetic/{queryId} returns it whole.
 */
export function historyRelease(plan: unknown, release: unknown): unknown {
  if ((plan as { kind?: unknown } | null)?.kind !== SYNTHETIC_PLAN_KIND || !release) return release;
  const { data: _rows, ...rest } = release as SyntheticRelease;
  return rest;
}

interface Prepared {
  request: SyntheticRequest;
  columns: ResolvedColumns;
  plan: SynthesisPlan;
}

function budgetSpec(r: SyntheticRequest): BudgetSpec {
  const b = r.budget;
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

/** Parse, resolve the columns against the public metadata, plan the measurements: no data, no randomness. */
function prepare(body: unknown, dataset: DatasetRecord): Prepared {
  const request = parseSyntheticRequest(body);
  if (livesInTrino(dataset.connector)) throw embeddedEngineOnly('synthetic data', dataset.name);
  const columns = resolveColumns(dataset.name, dataset.metadata, request.columns, request.rows);
  const plan = planSynthesis({
    columns: columns.specs,
    bins: request.bins ?? SYNTHETIC_DEFAULT_BINS,
    budget: budgetSpec(request),
    mechanism: request.mechanism,
    measure: dataset.accounting,
    conversionDelta: dataset.delta,
    unit: unitFromMetadata(dataset.metadata),
    confidence: request.confidence
  });
  return { request, columns, plan };
}

function datasetName(body: unknown): string {
  const name =
    body && typeof body === 'object' ? (body as { dataset?: unknown }).dataset : undefined;
  return typeof name === 'string' ? name : parseSyntheticRequest(body).dataset;
}

/**
 * The synthetic-data pipeline, the same as a query's: validate → plan (cost) → charge the ledger →
 * count marginals on the private data → measurements (noise) → post-process and sample → archive.
 * The charge is written BEFORE the data is read; a failure after it keeps the charge and is
 * archived, so a retry with the same Idempotency-Key gets the same error, never a second try.
 */
export function createSyntheticService(deps: SyntheticDeps): SyntheticService {
  const { store, ledger, cache, rng } = deps;
  const charged = chargedOnceContext<SyntheticRelease>(deps);

  return {
    async estimate(who, body) {
      const { dataset, grant } = await datasetAccess(store, who, datasetName(body));
      const p = prepare(body, dataset);
      checkDeltaWithinLimits(p.plan, dataset, grant ? grant.budget : null);
      return {
        dataset: dataset.name,
        ...estimateParts(p.plan, p.columns.omitted),
        budget: await budgetStatus(ledger, who.user, dataset, grant ? grant.budget : null)
      };
    },

    async dummy(who, body) {
      const { dataset } = await datasetAccess(store, who, datasetName(body));
      const p = prepare(body, dataset);
      const rows = dummyRows(
        dataset.metadata,
        deps.dummyRowCount ?? 1000,
        `${dataset.name}:${dataset.version}`
      );
      const loaded = await loadDataset({ kind: 'rows', rows }, dataset.metadata);
      try {
        const s = synthesize(
          p.plan,
          await countMarginals(loaded, p.plan.domains),
          p.request.rows,
          rng
        );
        return buildSyntheticRelease(dataset.name, p.plan, p.columns.omitted, s, 'dummy');
      } finally {
        loaded.close();
      }
    },

    async run(who, body, idempotencyKey, signal) {
      const { dataset, grant } = await spendingAccess(store, who, datasetName(body));
      const p = prepare(body, dataset);
      checkDeltaWithinLimits(p.plan, dataset, grant.budget);
      return chargedOnce(charged, {
        who,
        dataset,
        grant: grant.budget,
        charge: costToBudget(p.plan.cost, 'fraction'),
        display: costToBudget(p.plan.cost, 'decimal'),
        plan: { kind: SYNTHETIC_PLAN_KIND, ...p.request },
        idempotencyKey,
        signal,
        what: 'synthesis',
        compute: async () => {
          const counts = await cache.use(dataset, d => countMarginals(d, p.plan.domains));
          const s = synthesize(p.plan, counts, p.request.rows, rng);
          return buildSyntheticRelease(dataset.name, p.plan, p.columns.omitted, s, 'release');
        }
      });
    },

    async archived(who, queryId) {
      const a = await store.getArchive(queryId);
      const plan = a?.plan as { kind?: unknown } | undefined;
      if (!a || a.user !== who.user || plan?.kind !== SYNTHETIC_PLAN_KIND)
        throw new LomasError('NOT_FOUND', { what: `Synthetic table "${queryId}"` });
      if (a.kind === 'failure' && a.error) throw LomasError.fromBody(a.error);
      return a.release as SyntheticRelease;
    }
  };
}
