import { randomInt } from 'node:crypto';
import { LomasError } from 'lomas-kernel/protocol';
import { keyedQueue } from '../queue';
import type { LedgerEntry, Store } from '../store/types';
import { parseBudget, ZERO_BUDGET, type ExactBudget } from './amount';
import { entryHash, GENESIS_HASH } from './chain';
import type { LedgerOptions } from './types';

/** What an entry extends: the dataset's and the user's latest entries and their totals. */
export interface State {
  last: LedgerEntry | null;
  userLast: LedgerEntry | null;
  datasetSpent: ExactBudget;
  userSpent: ExactBudget;
}

/** The atomic step of the ledger (see index.ts): read, check, append seq+1, retry on conflict. */
export interface Appender {
  /** Runs fn after the previous queued operation on the dataset (when serializing in process). */
  queued<T>(dataset: string, fn: () => Promise<T>): Promise<T>;
  /** A consistent state, or null when an append slipped in between the two reads (retry). */
  readState(dataset: string, user: string): Promise<State | null>;
  /** The entry build() makes from a fresh state each attempt, appended; or the conflict's answer. */
  append(
    dataset: string,
    user: string,
    build: (s: State) => LedgerEntry,
    onConflict?: () => Promise<LedgerEntry | null>
  ): Promise<{ entry: LedgerEntry; replayed: boolean }>;
}

/** An entry's place in the chain: seq n+1 after the state's latest, hashed onto its hash. */
export function seal(
  fields: Omit<LedgerEntry, 'hash' | 'prevHash' | 'seq'>,
  state: State
): LedgerEntry {
  const unsealed = {
    ...fields,
    seq: (state.last?.seq ?? 0) + 1,
    prevHash: state.last?.hash ?? GENESIS_HASH
  };
  return { ...unsealed, hash: entryHash(unsealed) };
}

export function createAppender(store: Store, opts: LedgerOptions): Appender {
  const maxAttempts = opts.maxAttempts ?? 500;
  const baseMs = opts.backoffBaseMs ?? 2;
  const maxMs = opts.backoffMaxMs ?? 250;
  const queue = keyedQueue();

  function queued<T>(dataset: string, fn: () => Promise<T>): Promise<T> {
    return opts.serializeInProcess === false ? fn() : queue(dataset, fn);
  }

  async function readState(dataset: string, user: string): Promise<State | null> {
    const last = await store.lastLedgerEntry(dataset);
    const userLast = await store.lastLedgerEntryOfUser(dataset, user);
    // Read in this order, the user's entry is at or before `last` unless someone appended in
    // between: then our insert of last.seq+1 would conflict anyway, so retry right away.
    if (userLast && (!last || userLast.seq > last.seq)) return null;
    return {
      last,
      userLast,
      datasetSpent: last ? parseBudget(last.datasetSpent) : ZERO_BUDGET,
      userSpent: userLast ? parseBudget(userLast.userSpent) : ZERO_BUDGET
    };
  }

  /** Full jitter from node:crypto in [0, min(maxMs, baseMs · 2^attempt)] ms. */
  async function backoff(attempt: number): Promise<void> {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
    const ms = randomInt(0, Math.max(1, Math.round(ceiling * 1000)) + 1) / 1000;
    await new Promise(r => setTimeout(r, ms));
  }

  async function append(
    dataset: string,
    user: string,
    build: (s: State) => LedgerEntry,
    onConflict?: () => Promise<LedgerEntry | null>
  ): Promise<{ entry: LedgerEntry; replayed: boolean }> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const state = await readState(dataset, user);
      if (!state) continue;
      const entry = build(state);
      if ((await store.appendLedgerEntry(entry)) === 'ok') return { entry, replayed: false };
      if (onConflict) {
        const existing = await onConflict();
        if (existing) return { entry: existing, replayed: true };
      }
      await backoff(attempt);
    }
    throw new LomasError('UNAVAILABLE', {
      problem: 'the privacy ledger is busy; nothing was charged'
    });
  }

  return { queued, readState, append };
}
