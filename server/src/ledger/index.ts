import type { Store } from '../store/types';
import { budgetToFractions } from './amount';
import { createAppender } from './append';
import { charge, type ChargeContext } from './charge';
import { budgetFigures, figuresAfter, spentExact } from './figures';
import { setCap, setGrant } from './settings';
import type { Ledger, LedgerOptions } from './types';
import { verifyChain } from './verify';

export { canonicalJson, entryHash, GENESIS_HASH, sha256Hex } from './chain';
export * as amount from './amount';
export type * from './types';

/*
 * The privacy ledger.
 *
 * THE ATOMIC STEP. Entries are numbered per dataset. A writer reads the dataset's latest entry
 * (seq n), THEN the user's latest entry (which therefore has seq <= n, or the writer retries),
 * checks the user's grant and the dataset cap against the running totals carried by those two
 * entries, and inserts seq n+1 with the new totals. The unique index on (dataset, seq) lets
 * exactly one writer append n+1; every other writer gets 'conflict', backs off (full jitter from
 * node:crypto) and starts again from a fresh read. So each admitted entry was checked against
 * the exact state it extends: no overspend, on any store with a unique index, from any number of
 * processes. No transaction nor conditional findOneAndUpdate is needed (FerretDB has neither).
 * Within one process charges on a dataset are also queued (serializeInProcess) so they do not
 * fight over the index needlessly; that is an optimisation, not what makes it safe.
 *
 * GRANTS AND CAPS. setGrant/setCap append an entry of kind 'grant'/'cap' through the same seq,
 * checking the new value against the spent totals of the state they extend. Entries carry the
 * user's grant (`userGrant`) and the dataset cap (`datasetCap`) as last set through the ledger,
 * and a charge is checked against min(grant passed in, userGrant) and min(cap passed in,
 * datasetCap). Races: if a charge appends n+1 first, the lowering retries, sees the new spent
 * total, and is refused when it would go below it (CONFLICT); if the lowering appends n+1 first,
 * the charge retries and is checked against the lowered value. A grant is therefore never below
 * what is spent. The GrantRecord / DatasetRecord.cap are written after the ledger entry (a view
 * for listing); because the minimum of both is used, a stale record can only make a charge be
 * refused, never admitted beyond the ledger's value. Change grants and caps only through the
 * ledger (writing a GrantRecord directly can lower it without that check).
 *
 * IDEMPOTENCY. A charge with an idempotency key is stored with it under a unique (user, key)
 * index. A retry with the same key and the same requestHash returns the stored entry (no second
 * charge); the same key with a different request is a CONFLICT.
 *
 * HASH CHAIN. Each entry stores prevHash (the previous entry's hash on the dataset, GENESIS_HASH
 * for seq 1) and hash = sha256(prevHash + canonical JSON of the entry without hash).
 */

export function createLedger(store: Store, opts: LedgerOptions = {}): Ledger {
  const appender = createAppender(store, opts);
  const digits = opts.displayDigits ?? 10;
  const ctx: ChargeContext = { store, appender, digits, now: opts.now ?? (() => new Date()) };
  return {
    charge: req => charge(ctx, req),
    setGrant: req => setGrant(ctx, req),
    setCap: req => setCap(ctx, req),
    spent: async (dataset, user) => budgetToFractions(await spentExact(store, dataset, user)),
    remaining: async req => (await budgetFigures(appender, req, digits)).remaining,
    figures: req => budgetFigures(appender, req, digits),
    figuresAfter: (entry, req) => figuresAfter(entry, req, digits),
    verifyChain: dataset => verifyChain(store, dataset),
    entries: filter => store.ledgerEntries(filter)
  };
}
