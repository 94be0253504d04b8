/**
 * One charge, one answer: the step every release (query, synthetic table, model) shares after
 * its plan is costed. In an admission slot the ledger is charged before any private data is
 * touched; a fresh charge computes the answer and archives it (or its failure), a replayed one (a
 * retry with the same Idempotency-Key) returns what the first attempt archived — the same answer
 * or error, no second charge, no new noise.
 */
import { createHash, randomUUID } from 'node:crypto';
import { LomasError, type Budget, type BudgetStatus } from 'lomas-kernel/protocol';
import { canonicalJson, type Ledger } from '../ledger';
import type { ArchiveRecord, DatasetRecord, LedgerEntry, Store } from '../store/types';
import type { Logger } from '../logger';
import { createAdmission, inSlot, type Admission } from './admission';
import { budgetStatusAfter } from './budget';
import { postChargeFailure } from './failure';
import type { Principal } from './types';

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

/** What a service holds once for all its releases. */
export interface ChargedOnceContext<T> {
  admission: Admission;
  ledger: Ledger;
  store: Store;
  logger: Logger;
  /** This process's attempts still running, by query id: a retry waits for its first attempt. */
  inFlight: Map<string, Promise<T>>;
  answerWaitMs: number;
  now: () => Date;
}

/** A service's context from its dependencies (no admission limit, the clock, 90 s by default). */
export function chargedOnceContext<T>(deps: {
  store: Store;
  ledger: Ledger;
  logger: Logger;
  admission?: Admission;
  answerWaitMs?: number;
  now?: () => Date;
}): ChargedOnceContext<T> {
  return {
    store: deps.store,
    ledger: deps.ledger,
    logger: deps.logger,
    admission: deps.admission ?? createAdmission(Infinity),
    inFlight: new Map(),
    answerWaitMs: deps.answerWaitMs ?? DEFAULT_ANSWER_WAIT_MS,
    now: deps.now ?? (() => new Date())
  };
}

/** What every release carries once answered: its query id and the analyst's budget after it. */
interface Answered {
  queryId?: string;
  budget?: BudgetStatus;
}

/** One release request, costed and checked. */
export interface ChargedRequest<T extends Answered> {
  who: Principal;
  dataset: DatasetRecord;
  /** The user's grant on the dataset. */
  grant: Budget;
  /** What the ledger is charged (exact fractions) and what the archive shows (decimals). */
  charge: Budget;
  display: Budget;
  /** The request as archived; its canonical hash tells a retry from a reuse of its key. */
  plan: unknown;
  /** More to archive with the answer (the SQL text of a SQL query). */
  extra?: Pick<ArchiveRecord, 'sql'>;
  idempotencyKey: string | null;
  signal?: AbortSignal;
  /** What is released, for the log of a failure: "query", "model", "synthesis". */
  what: string;
  /** Reads the private data and makes the release, after the charge. */
  compute: () => Promise<T>;
}

/** Charges once in a slot, then answers: fresh, or the first attempt's archived answer. */
export function chargedOnce<T extends Answered>(
  ctx: ChargedOnceContext<T>,
  r: ChargedRequest<T>
): Promise<T> {
  const queryId = randomUUID();
  const requestHash = createHash('sha256').update(canonicalJson(r.plan)).digest('hex');
  const charge = () =>
    ctx.ledger.charge({
      user: r.who.user,
      dataset: r.dataset.name,
      cost: r.charge,
      grant: r.grant,
      cap: r.dataset.cap,
      accounting: r.dataset.accounting,
      queryId,
      idempotencyKey: r.idempotencyKey ?? undefined,
      requestHash
    });
  return inSlot(
    ctx.admission,
    { user: r.who.user, idempotencyKey: r.idempotencyKey, signal: r.signal },
    charge,
    async charged => {
      if (charged.replayed) {
        await charged.durable();
        return replay(ctx, r, charged.entry);
      }
      const work = answer(ctx, r, charged.entry, charged.durable);
      ctx.inFlight.set(queryId, work);
      try {
        return await work;
      } finally {
        ctx.inFlight.delete(queryId);
      }
    }
  );
}

/** The archive record of a request, without its outcome. */
function recordOf<T extends Answered>(r: ChargedRequest<T>, queryId: string) {
  return {
    queryId,
    user: r.who.user,
    dataset: r.dataset.name,
    plan: r.plan,
    cost: r.display,
    ...r.extra
  };
}

/**
 * A fresh charge: computes the release, adds the budget after it and archives it. Every failure
 * from here on — connector, timeout, memory, group cap, a bug — becomes the same QUERY_FAILED
 * answer, archived so retries see it; the charge is kept; the cause goes to the log only. The
 * archive insert is inside: if a retry on another replica gave up and archived a failure first,
 * it conflicts and this attempt answers QUERY_FAILED too (storedAnswer).
 *
 * The computation runs while the charge goes to disk; nothing is archived or answered, not even
 * a failure, before it is there (`durable`). A crash before that loses the charge and the
 * computation with it: nothing was released.
 */
async function answer<T extends Answered>(
  ctx: ChargedOnceContext<T>,
  r: ChargedRequest<T>,
  entry: LedgerEntry,
  durable: () => Promise<void>
): Promise<T> {
  const { queryId } = entry;
  const record = recordOf(r, queryId);
  const computed = (async () => r.compute())().then(
    value => ({ value }),
    (cause: unknown) => ({ cause })
  );
  try {
    await durable();
  } catch (e) {
    await computed; // the admission slot stays taken while the computation runs
    throw e;
  }
  try {
    const outcome = await computed;
    if ('cause' in outcome) throw outcome.cause;
    const release: T = { ...outcome.value, queryId };
    release.budget = budgetStatusAfter(ctx.ledger, entry, r.dataset, r.grant);
    await ctx.store.addArchive({
      ...record,
      at: ctx.now().toISOString(),
      kind: 'release',
      release
    });
    return release;
  } catch (err) {
    throw await postChargeFailure(err, {
      store: ctx.store,
      logger: ctx.logger,
      record,
      at: ctx.now().toISOString(),
      what: r.what
    });
  }
}

/** A retry of a charged request: the archived answer, or its error thrown again. */
async function replay<T extends Answered>(
  ctx: ChargedOnceContext<T>,
  r: ChargedRequest<T>,
  entry: LedgerEntry
): Promise<T> {
  const archived = await storedAnswer(
    ctx.store,
    entry,
    recordOf(r, entry.queryId),
    ctx.inFlight.get(entry.queryId),
    ctx.answerWaitMs,
    ctx.now
  );
  if (archived.kind === 'failure' && archived.error) throw LomasError.fromBody(archived.error);
  return archived.release as T;
}
