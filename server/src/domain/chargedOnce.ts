/**
 * One charge, one answer: the step every release (query, synthetic table, model) shares after
 * its plan is costed. In an admission slot the ledger is charged before any private data is
 * touched; a fresh charge computes the answer, a replayed one (a retry with the same
 * Idempotency-Key) returns what the first attempt archived — the same answer or error, no second
 * charge, no new noise.
 */
import { createHash, randomUUID } from 'node:crypto';
import { LomasError, type Budget } from 'lomas-kernel/protocol';
import { canonicalJson, type Ledger } from '../ledger';
import type { ArchiveRecord, DatasetRecord, LedgerEntry, Store } from '../store/types';
import { inSlot, type Admission } from './admission';
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
  /** This process's attempts still running, by query id: a retry waits for its first attempt. */
  inFlight: Map<string, Promise<T>>;
  answerWaitMs: number;
  now: () => Date;
}

/** One release request, costed and checked. */
export interface ChargedRequest<T> {
  who: Principal;
  dataset: DatasetRecord;
  /** The user's grant on the dataset. */
  grant: Budget;
  /** What the ledger is charged (exact fractions) and what the archive shows (decimals). */
  charge: Budget;
  display: Budget;
  /** The request as archived; its canonical hash tells a retry from a reuse of its key. */
  plan: unknown;
  /** More to archive with a replayed failure (the SQL text of a SQL query). */
  extra?: Pick<ArchiveRecord, 'sql'>;
  idempotencyKey: string | null;
  signal?: AbortSignal;
  /** Computes and archives the answer of a fresh charge; every failure in it keeps the charge. */
  answer: (queryId: string) => Promise<T>;
}

/** Charges once in a slot, then answers: fresh, or the first attempt's archived answer. */
export function chargedOnce<T>(ctx: ChargedOnceContext<T>, r: ChargedRequest<T>): Promise<T> {
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
      if (charged.replayed) return replay(ctx, r, charged.entry);
      const work = r.answer(queryId);
      ctx.inFlight.set(queryId, work);
      try {
        return await work;
      } finally {
        ctx.inFlight.delete(queryId);
      }
    }
  );
}

/** A retry of a charged request: the archived answer, or its error thrown again. */
async function replay<T>(
  ctx: ChargedOnceContext<T>,
  r: ChargedRequest<T>,
  entry: LedgerEntry
): Promise<T> {
  const lost = {
    queryId: entry.queryId,
    user: r.who.user,
    dataset: r.dataset.name,
    plan: r.plan,
    cost: r.display,
    ...r.extra
  };
  const archived = await storedAnswer(
    ctx.store,
    entry,
    lost,
    ctx.inFlight.get(entry.queryId),
    ctx.answerWaitMs,
    ctx.now
  );
  if (archived.kind === 'failure' && archived.error) throw LomasError.fromBody(archived.error);
  return archived.release as T;
}
