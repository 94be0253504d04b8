import { createHash, randomUUID } from 'node:crypto';
import {
  LomasError,
  checkPlan,
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
import type { Principal } from './types';
import type { Logger } from '../logger';
import type { ArchiveRecord, DatasetRecord, LedgerEntry, Store } from '../store/types';
import { datasetAccess, spendingAccess } from './access';
import { budgetStatus } from './budget';
import { postChargeFailure } from './failure';
import { checkDeltaWithinLimits, costQuery, type CostedQuery } from './planning';
import { buildRelease } from './release';
import type { QueryService, QuerySource } from './types';

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
  /** How long after its charge a retry waits for a query's answer (storedAnswer). */
  answerWaitMs?: number;
  now?: () => Date;
}

/** How long after its charge a retry waits for an answer by default (LOMAS_ANSWER_WAIT_MS). */
export const DEFAULT_ANSWER_WAIT_MS = 90_000;

/** A retry polls the archive after 50 ms, then 1.5 times longer each time, at most every second. */
const POLL = { firstMs: 50, factor: 1.5, maxMs: 1000 } as const;

/** Reads the archive until the query's answer is there or `until` (ms since the epoch) passed. */
async function pollArchive(
  store: Store,
  queryId: string,
  until: number,
  now: () => Date
): Promise<ArchiveRecord | null> {
  for (let pause: number = POLL.firstMs; ; pause = Math.min(POLL.maxMs, pause * POLL.factor)) {
    const archived = await store.getArchive(queryId);
    const left = until - now().getTime();
    if (archived || !(left > 0)) return archived;
    await new Promise(r => setTimeout(r, Math.min(pause, left)));
  }
}

/**
 * The answer archived for a charged request, for a retry with its Idempotency-Key. The first
 * attempt archives its release, or its failure, under the query id. In this process we wait for
 * it. Elsewhere it may still be running on another replica, or that replica may have died: we
 * poll the archive until `waitMs` after the charge (a deadline every replica reads alike from the
 * ledger entry), then archive the query as failed ourselves. The archive's unique query id makes
 * that a race with one winner: if the first attempt answers later, its own archive insert
 * conflicts and it answers QUERY_FAILED too (its release is dropped, never shown). Either way
 * every answer to one key is the same, and it was charged once.
 */
export async function storedAnswer(
  store: Store,
  charged: LedgerEntry,
  lost: Omit<ArchiveRecord, 'at' | 'kind' | 'release' | 'error'>,
  running: Promise<unknown> | undefined,
  waitMs: number,
  now: () => Date
): Promise<ArchiveRecord> {
  if (running) await running.catch(() => undefined);
  // Once this process's own attempt has ended there is nothing more to wait for.
  const until = running ? 0 : Date.parse(charged.at) + waitMs;
  const archived = await pollArchive(store, charged.queryId, until, now);
  if (archived) return archived;
  const failure: ArchiveRecord = {
    ...lost,
    at: now().toISOString(),
    kind: 'failure',
    release: null,
    error: new LomasError('QUERY_FAILED', {}, { queryId: charged.queryId }).toBody()
  };
  try {
    await store.addArchive(failure);
    return failure;
  } catch (e) {
    if (!(e instanceof LomasError && e.code === 'CONFLICT')) throw e;
  }
  // The first attempt archived its answer just before us; a lagging majority read may need a
  // moment to show it.
  const winner = await pollArchive(store, charged.queryId, now().getTime() + 10_000, now);
  if (winner) return winner;
  throw new LomasError('UNAVAILABLE', { problem: 'the archive of answers did not answer in time' });
}

/**
 * Parse, check against the public metadata (the protocol's plan rules, the same the notebook
 * builder runs) and cost: no private data, no randomness. The SQL front end's plans come here too.
 */
export function prepare(
  body: unknown,
  dataset: DatasetRecord
): { plan: QueryPlan; planned: CostedQuery } {
  const plan = parsePlan(body);
  const checked = checkPlan(plan, dataset);
  return { plan, planned: costQuery(checked, dataset) };
}

function datasetName(body: unknown): string {
  const name =
    body && typeof body === 'object' ? (body as { dataset?: unknown }).dataset : undefined;
  // parsePlan reports a malformed name precisely; here we only need something to look up.
  if (typeof name !== 'string') return parsePlan(body).dataset;
  return name;
}

/**
 * The query pipeline: validate → plan (cost) → charge the ledger → execute → noise → archive.
 * The charge is written BEFORE the private data is touched: a failure after it keeps the charge,
 * so no data-dependent failure can leak anything for free. Rejections before it cost nothing.
 */
export function createQueryService(deps: QueryDeps): QueryService {
  const { store, ledger, cache, rng, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const answerWaitMs = deps.answerWaitMs ?? DEFAULT_ANSWER_WAIT_MS;
  const inFlight = new Map<string, Promise<ReleaseResponse>>();

  /**
   * Executes a charged plan, noises it and archives the answer. Every failure from here on —
   * connector, timeout, memory, group cap, duplicate key, a bug — becomes the same QUERY_FAILED
   * answer (the charge is kept and archived so retries see it); the cause goes to the log only.
   */
  async function answer(
    who: Principal,
    plan: QueryPlan,
    planned: CostedQuery,
    dataset: DatasetRecord,
    grant: Budget,
    queryId: string,
    source: QuerySource
  ): Promise<ReleaseResponse> {
    const record = {
      queryId,
      user: who.user,
      dataset: dataset.name,
      plan,
      cost: planned.display,
      ...source
    };
    try {
      const exact = await cache.use(dataset, d => execute(planned.checked, d));
      const release: ReleaseResponse = {
        ...buildRelease(planned, exact, rng, 'release'),
        queryId
      };
      release.budget = await budgetStatus(ledger, who.user, dataset, grant);
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
      return {
        dataset: dataset.name,
        cost: planned.display,
        mechanisms: planned.mechanisms,
        budget: await budgetStatus(ledger, who.user, dataset, grant ? grant.budget : null)
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
        const exact = await execute(planned.checked, loaded);
        return buildRelease(planned, exact, rng, 'dummy');
      } finally {
        loaded.close();
      }
    },

    async run(
      who: Principal,
      body: unknown,
      idempotencyKey: string | null,
      source: QuerySource = {}
    ): Promise<ReleaseResponse> {
      const { dataset, grant } = await spendingAccess(store, who, datasetName(body));
      const { plan, planned } = prepare(body, dataset);
      checkDeltaWithinLimits(planned, dataset, grant.budget);
      const queryId = randomUUID();
      const requestHash = createHash('sha256').update(canonicalJson(plan)).digest('hex');
      const charged = await ledger.charge({
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
      if (charged.replayed) {
        // A retry of a charged request: the same answer (or error), no second charge, no new noise.
        const archived = await storedAnswer(
          store,
          charged.entry,
          {
            queryId: charged.entry.queryId,
            user: who.user,
            dataset: dataset.name,
            plan,
            cost: planned.display,
            ...source
          },
          inFlight.get(charged.entry.queryId),
          answerWaitMs,
          now
        );
        if (archived.kind === 'failure' && archived.error)
          throw LomasError.fromBody(archived.error);
        return archived.release as ReleaseResponse;
      }
      // Charged. From here on every failure keeps the charge.
      const work = answer(who, plan, planned, dataset, grant.budget, queryId, source);
      inFlight.set(queryId, work);
      try {
        return await work;
      } finally {
        inFlight.delete(queryId);
      }
    }
  };
}
