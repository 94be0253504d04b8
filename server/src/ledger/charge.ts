import { LomasError } from 'lomas-kernel/protocol';
import type { LedgerEntry, Store } from '../store/types';
import { addBudget, budgetToFractions, subBudgetClamp, type ExactBudget } from './amount';
import { seal, type Appender, type State } from './append';
import { checkWithin, DIMS, effectiveCap, effectiveGrant, parseCost } from './limits';
import type { ChargeRequest, ChargeResult } from './types';

export interface ChargeContext {
  store: Store;
  appender: Appender;
  digits: number;
  now: () => Date;
}

/** The stored charge of an idempotency key, if any; the same key for another request conflicts. */
async function replayOf(store: Store, req: ChargeRequest): Promise<LedgerEntry | null> {
  const key = req.idempotencyKey ?? null;
  if (key === null) return null;
  const existing = await store.findLedgerEntryByIdempotencyKey(req.user, key);
  if (!existing) return null;
  if (existing.requestHash !== req.requestHash || existing.dataset !== req.dataset)
    throw new LomasError('CONFLICT', {
      what: `Idempotency key "${key}"`,
      problem: 'it was already used for a different request; use a new key for a new request'
    });
  return existing;
}

function checkRequest(req: ChargeRequest): void {
  if (!DIMS[req.accounting])
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'accounting',
      rule: 'must be pure, approx or zcdp'
    });
  if (req.accounting === 'zcdp' && req.cost.rho === undefined)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'cost.rho',
      rule: 'a zCDP dataset is charged in ρ'
    });
}

/** The charge entry extending `state`, refused when it passes the grant or the cap. */
function chargeEntry(
  ctx: ChargeContext,
  req: ChargeRequest,
  cost: ExactBudget,
  state: State
): LedgerEntry {
  const f = { dims: DIMS[req.accounting], digits: ctx.digits, ...req };
  const grant = effectiveGrant(req.grant, state.userLast?.userGrant);
  if (!grant) throw new LomasError('NO_GRANT', { dataset: req.dataset });
  const userSpent = addBudget(state.userSpent, cost);
  const userLeft = subBudgetClamp(grant, state.userSpent);
  checkWithin('BUDGET_EXHAUSTED', f, cost, grant, userLeft, userSpent);
  const cap = effectiveCap(req.cap, state.last?.datasetCap);
  const datasetSpent = addBudget(state.datasetSpent, cost);
  if (cap) {
    const capLeft = subBudgetClamp(cap, state.datasetSpent);
    checkWithin('DATASET_CAP_EXHAUSTED', f, cost, cap, capLeft, datasetSpent);
  }
  return seal(
    {
      dataset: req.dataset,
      user: req.user,
      kind: 'charge',
      cost: budgetToFractions(cost),
      datasetSpent: budgetToFractions(datasetSpent),
      userSpent: budgetToFractions(userSpent),
      userGrant: state.userLast?.userGrant ?? null,
      datasetCap: state.last?.datasetCap ?? null,
      queryId: req.queryId,
      idempotencyKey: req.idempotencyKey ?? null,
      requestHash: req.requestHash,
      at: ctx.now().toISOString()
    },
    state
  );
}

/**
 * Charges a query's cost in the atomic step. No idempotency lookup up front: the unique (user,
 * idempotencyKey) index answers on append, and the stored entry is read only when the append
 * conflicts or the charge is refused (a retry of a request that took the last of the budget must
 * get that request's answer).
 */
export async function charge(ctx: ChargeContext, req: ChargeRequest): Promise<ChargeResult> {
  checkRequest(req);
  const cost = parseCost(req.cost);
  const replay = () => replayOf(ctx.store, req);
  try {
    const appended = await ctx.appender.queued(req.dataset, () =>
      ctx.appender.append(req.dataset, req.user, s => chargeEntry(ctx, req, cost, s), replay)
    );
    return { ...appended, durable: syncing(ctx.store) };
  } catch (e) {
    // A concurrent request with the same key may have taken the last of the budget: then this
    // retry must see that request's answer, not a budget error.
    if (req.idempotencyKey !== undefined && e instanceof LomasError && e.code !== 'CONFLICT') {
      const concurrent = await replay();
      if (concurrent) return { entry: concurrent, replayed: true, durable: syncing(ctx.store) };
    }
    throw e;
  }
}

/**
 * Starts the store's sync now (it runs while the caller computes) and returns how to wait for it.
 * A replayed entry is synced too: its first attempt may not have reached disk yet.
 */
export function syncing(store: Store): () => Promise<void> {
  const outcome = store.flush().then(
    () => null,
    (cause: unknown) => ({ cause })
  );
  return async () => {
    const failed = await outcome;
    if (!failed) return;
    const e = new LomasError('UNAVAILABLE', {
      problem: 'the privacy ledger could not be written to disk; nothing was released'
    });
    e.cause = failed.cause; // for the log only: a LomasError's body carries its facts, not this
    throw e;
  };
}
