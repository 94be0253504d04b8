import type { LedgerEntry, Store } from '../store/types';
import { addBudget, cmp, parseBudget, ZERO_BUDGET, type ExactBudget } from './amount';
import { entryHash, GENESIS_HASH } from './chain';
import type { ChainReport } from './types';

/**
 * The audit: every entry in order, per dataset — seq without gaps, prevHash and hash, totals that
 * are the sums of the costs, no cost on grant or cap entries. Stops at the first bad entry.
 */
export async function verifyChain(store: Store, dataset?: string): Promise<ChainReport> {
  const all = await store.ledgerEntries(dataset === undefined ? {} : { dataset });
  const report: ChainReport = { ok: true, entries: 0, heads: {} };
  let current: string | null = null;
  let prev: LedgerEntry | null = null;
  let userTotals = new Map<string, ExactBudget>();
  let datasetTotal = ZERO_BUDGET;
  for (const e of all) {
    if (e.dataset !== current) {
      current = e.dataset;
      prev = null;
      userTotals = new Map();
      datasetTotal = ZERO_BUDGET;
    }
    report.entries++;
    const problem = checkEntry(e, prev, datasetTotal, userTotals.get(e.user) ?? ZERO_BUDGET);
    if (problem) return { ...report, ok: false, dataset: e.dataset, firstBadSeq: e.seq, problem };
    const cost = parseBudget(e.cost);
    datasetTotal = addBudget(datasetTotal, cost);
    userTotals.set(e.user, addBudget(userTotals.get(e.user) ?? ZERO_BUDGET, cost));
    report.heads[e.dataset] = { seq: e.seq, hash: e.hash };
    prev = e;
  }
  return report;
}
function checkEntry(
  e: LedgerEntry,
  prev: LedgerEntry | null,
  datasetTotal: ExactBudget,
  userTotal: ExactBudget
): string | null {
  const expectedSeq = (prev?.seq ?? 0) + 1;
  if (e.seq !== expectedSeq)
    return `seq ${e.seq} where ${expectedSeq} was expected (an entry is missing)`;
  if (e.prevHash !== (prev?.hash ?? GENESIS_HASH))
    return 'prevHash does not match the previous entry';
  if (entryHash(e) !== e.hash) return 'hash does not match the entry (it was altered)';
  let cost: ExactBudget;
  try {
    cost = parseBudget(e.cost);
    if (!sameBudget(parseBudget(e.datasetSpent), addBudget(datasetTotal, cost)))
      return 'datasetSpent is not the sum of the costs';
    if (!sameBudget(parseBudget(e.userSpent), addBudget(userTotal, cost)))
      return "userSpent is not the sum of the user's costs";
  } catch {
    return 'an amount is not an exact non-negative number';
  }
  if (e.kind !== 'charge' && !sameBudget(cost, ZERO_BUDGET))
    return `a ${e.kind} entry has a non-zero cost`;
  return null;
}

function sameBudget(a: ExactBudget, b: ExactBudget): boolean {
  return cmp(a.epsilon, b.epsilon) === 0 && cmp(a.delta, b.delta) === 0 && cmp(a.rho, b.rho) === 0;
}
