import { randomUUID } from 'node:crypto';
import type { LedgerEntry } from '../store/types';
import { budgetToFractions, ZERO_BUDGET } from './amount';
import { seal } from './append';
import type { ChargeContext } from './charge';
import { canonicalJson, sha256Hex } from './chain';
import { checkNotBelowSpent, DIMS, parseCost } from './limits';
import type { SetCapRequest, SetGrantRequest } from './types';

/**
 * Grants and caps change through the ledger: an entry of kind 'grant' or 'cap' in the same seq as
 * charges, refused (CONFLICT) when the new value is below what the state it extends has spent.
 */
export async function setGrant(ctx: ChargeContext, req: SetGrantRequest): Promise<LedgerEntry> {
  const budget = parseCost(req.budget);
  const { entry } = await ctx.appender.queued(req.dataset, () =>
    ctx.appender.append(req.dataset, req.user, state => {
      const what = `The grant of "${req.user}" on "${req.dataset}"`;
      checkNotBelowSpent(what, budget, state.userSpent, DIMS[req.accounting], ctx.digits);
      return seal(
        {
          dataset: req.dataset,
          user: req.user,
          kind: 'grant',
          cost: budgetToFractions(ZERO_BUDGET),
          datasetSpent: budgetToFractions(state.datasetSpent),
          userSpent: budgetToFractions(state.userSpent),
          userGrant: budgetToFractions(budget),
          datasetCap: state.last?.datasetCap ?? null,
          actor: req.actor,
          queryId: `grant:${randomUUID()}`,
          idempotencyKey: null,
          requestHash: sha256Hex(canonicalJson({ op: 'setGrant', ...req })),
          at: ctx.now().toISOString()
        },
        state
      );
    })
  );
  await ctx.store.flush();
  // The grant record is a view for listing, written after the ledger entry (see index.ts).
  const existing = await ctx.store.getGrant(req.user, req.dataset);
  await ctx.store.putGrant({
    user: req.user,
    dataset: req.dataset,
    budget: req.budget,
    createdAt: existing?.createdAt ?? entry.at,
    updatedAt: entry.at
  });
  return entry;
}

export async function setCap(ctx: ChargeContext, req: SetCapRequest): Promise<LedgerEntry> {
  const cap = req.cap === null ? null : parseCost(req.cap);
  const { entry } = await ctx.appender.queued(req.dataset, () =>
    ctx.appender.append(req.dataset, req.actor, state => {
      const what = `The cap of "${req.dataset}"`;
      if (cap) checkNotBelowSpent(what, cap, state.datasetSpent, DIMS[req.accounting], ctx.digits);
      return seal(
        {
          dataset: req.dataset,
          user: req.actor,
          kind: 'cap',
          cost: budgetToFractions(ZERO_BUDGET),
          datasetSpent: budgetToFractions(state.datasetSpent),
          userSpent: budgetToFractions(state.userSpent),
          userGrant: state.userLast?.userGrant ?? null,
          // null here means "no cap"; a later charge then uses the cap passed in (min of both).
          datasetCap: cap ? budgetToFractions(cap) : null,
          actor: req.actor,
          queryId: `cap:${randomUUID()}`,
          idempotencyKey: null,
          requestHash: sha256Hex(canonicalJson({ op: 'setCap', ...req })),
          at: ctx.now().toISOString()
        },
        state
      );
    })
  );
  await ctx.store.flush();
  const record = await ctx.store.getDataset(req.dataset);
  if (record)
    await ctx.store.putDataset({
      ...record,
      cap: req.cap,
      version: record.version + 1,
      updatedAt: entry.at
    });
  return entry;
}
