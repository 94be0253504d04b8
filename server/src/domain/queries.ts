import { createHash, randomUUID } from 'node:crypto';
import {
  LomasError,
  parsePlan,
  type Budget,
  type QueryPlan,
  type ReleaseResponse
} from 'lomas-kernel/protocol';
import { dummyRows } from '../datasets/dummy';
import type { Rng } from '../dp';
import { canonicalJson, type Ledger } from '../ledger';
import { execute, type DatasetCache, type EngineLimits } from '../engine';
import { loadDataset } from '../engine/load';
import type { Principal } from '../http/principal';
import type { Logger } from '../logger';
import { validatePlan } from '../query/validate';
import type { DatasetRecord, Store } from '../store/types';
import { datasetAccess, spendingAccess } from './access';
import { checkDeltaWithinLimits, planQuery, type PlannedQuery } from './planning';
import { createAdmission, type Admission } from './admission';
import { postChargeFailure } from './failure';
import { buildRelease } from './release';
import type { QueryService } from './types';

export interface QueryDeps {
  store: Store;
  ledger: Ledger;
  cache: DatasetCache;
  rng: Rng;
  logger: Logger;
  /** Rows of the dummy dataset a dummy run executes on. */
  dummyRowCount?: number;
  /** Resource limits of the dummy datasets' instances (the cache has its own for private data). */
  limits?: Partial<EngineLimits>;
  /** Charged requests at once; shared with the synthetic service (default: no limit). */
  admission?: Admission;
  now?: () => Date;
}

/**
 * The stored answer of a charged request. A retry may arrive while the first attempt still runs:
 * in this process we wait for it; on another replica we poll the archive briefly.
 */
export async function storedAnswer(
  store: Store,
  queryId: string,
  running: Promise<unknown> | undefined
) {
  if (running) await running.catch(() => undefined);
  const deadline = Date.now() + (running ? 0 : 2000);
  for (;;) {
    const archived = await store.getArchive(queryId);
    if (archived || Date.now() >= deadline) return archived;
    await new Promise(r => setTimeout(r, 100));
  }
}

/** Parse, validate against the public metadata and calibrate: no private data, no randomness. */
function prepare(
  body: unknown,
  dataset: DatasetRecord
): { plan: QueryPlan; planned: PlannedQuery } {
  const plan = parsePlan(body);
  const resolved = validatePlan(plan, dataset.metadata);
  return { plan, planned: planQuery(plan, resolved, dataset) };
}

function datasetName(body: unknown): string {
  const name =
    body && typeof body === 'object' ? (body as { dataset?: unknown }).dataset : undefined;
  // parsePlan reports a malformed name precisely; here we only need something to look up.
  if (typeof name !== 'string') return parsePlan(body).dataset;
  return name;
}

/**
 * The query pipeline: validate → plan (cost) → wait for a slot → charge the ledger → execute →
 * noise → archive. The charge is written BEFORE the private data is touched: a failure after it
 * keeps the charge, so no data-dependent failure can leak anything for free. Rejections before it
 * cost nothing, and so does a request whose client went away before it was admitted.
 */
export function createQueryService(deps: QueryDeps): QueryService {
  const { store, ledger, cache, rng, logger } = deps;
  const admission = deps.admission ?? createAdmission(Infinity);
  const now = deps.now ?? (() => new Date());
  const inFlight = new Map<string, Promise<ReleaseResponse>>();

  /**
   * Executes a charged plan, noises it and archives the answer. Every failure from here on —
   * connector, timeout, memory, group cap, duplicate key, a bug — becomes the same QUERY_FAILED
   * answer (the charge is kept and archived so retries see it); the cause goes to the log only.
   */
  async function answer(
    who: Principal,
    plan: QueryPlan,
    planned: PlannedQuery,
    dataset: DatasetRecord,
    grant: Budget,
    queryId: string
  ): Promise<ReleaseResponse> {
    const record = { queryId, user: who.user, dataset: dataset.name, plan, cost: planned.display };
    try {
      const exact = await cache.use(dataset, d => execute(planned.resolved, d));
      const release: ReleaseResponse = {
        ...buildRelease(planned, exact, rng, 'release'),
        queryId
      };
      const figures = await ledger.figures({
        dataset: dataset.name,
        user: who.user,
        grant,
        cap: dataset.cap,
        accounting: dataset.accounting
      });
      release.budget = { dataset: dataset.name, accounting: dataset.accounting, ...figures };
      await store.addArchive({ ...record, at: now().toISOString(), kind: 'release', release });
      return release;
    } catch (err) {
      throw await postChargeFailure(err, {
        store,
        logger,
        record,
        at: now().toISOString(),
        what: 'query'
      });
    }
  }

  return {
    async estimate(who, body) {
      const { dataset, grant } = await datasetAccess(store, who, datasetName(body));
      const { planned } = prepare(body, dataset);
      checkDeltaWithinLimits(planned, dataset, grant ? grant.budget : null);
      const figures = await ledger.figures({
        dataset: dataset.name,
        user: who.user,
        grant: grant ? grant.budget : null,
        cap: dataset.cap,
        accounting: dataset.accounting
      });
      return {
        dataset: dataset.name,
        cost: planned.display,
        mechanisms: planned.mechanisms,
        budget: { dataset: dataset.name, accounting: dataset.accounting, ...figures }
      };
    },

    async dummy(who, body) {
      const { dataset } = await datasetAccess(store, who, datasetName(body));
      const { planned } = prepare(body, dataset);
      const rows = dummyRows(
        dataset.metadata,
        deps.dummyRowCount ?? 1000,
        `${dataset.name}:${dataset.version}`
      );
      const loaded = await loadDataset({ kind: 'rows', rows }, dataset.metadata, deps.limits);
      try {
        const exact = await execute(planned.resolved, loaded);
        return buildRelease(planned, exact, rng, 'dummy');
      } finally {
        loaded.close();
      }
    },

    async run(
      who: Principal,
      body: unknown,
      idempotencyKey: string | null,
      signal?: AbortSignal
    ): Promise<ReleaseResponse> {
      const { dataset, grant } = await spendingAccess(store, who, datasetName(body));
      const { plan, planned } = prepare(body, dataset);
      checkDeltaWithinLimits(planned, dataset, grant.budget);
      const ticket = await admission.admit(who.user, idempotencyKey, signal);
      try {
        const queryId = randomUUID();
        const requestHash = createHash('sha256').update(canonicalJson(plan)).digest('hex');
        let charged;
        try {
          charged = await ledger.charge({
            user: who.user,
            dataset: dataset.name,
            cost: planned.charge,
            grant: grant.budget,
            cap: dataset.cap,
            accounting: dataset.accounting,
            queryId,
            idempotencyKey: idempotencyKey ?? undefined,
            requestHash
          });
        } finally {
          ticket.charged();
        }
        if (charged.replayed) {
          // A retry of a charged request: the same answer (or error), no second charge, no new noise.
          const archived = await storedAnswer(
            store,
            charged.entry.queryId,
            inFlight.get(charged.entry.queryId)
          );
          if (!archived)
            throw new LomasError('CONFLICT', {
              what: 'This idempotency key',
              problem:
                'it was charged but its answer was lost (the server stopped mid-query); send the query again with a new key'
            });
          if (archived.kind === 'failure' && archived.error)
            throw LomasError.fromBody(archived.error);
          return archived.release as ReleaseResponse;
        }
        // Charged. From here on every failure keeps the charge.
        const work = answer(who, plan, planned, dataset, grant.budget, queryId);
        inFlight.set(queryId, work);
        try {
          return await work;
        } finally {
          inFlight.delete(queryId);
        }
      } finally {
        ticket.leave();
      }
    }
  };
}
