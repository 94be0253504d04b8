import { randomInt, randomUUID } from 'node:crypto';
import { LomasError, type AccountingMode, type Budget } from 'lomas-kernel/protocol';
import type { LedgerEntry, LedgerFilter, Store } from '../store/types';
import {
  addBudget,
  budgetToDecimal,
  budgetToFractions,
  cmp,
  minBudget,
  parseBudget,
  subBudgetClamp,
  toDecimal,
  ZERO_BUDGET,
  type ExactBudget
} from './amount';
import { canonicalJson, entryHash, GENESIS_HASH, sha256Hex } from './chain';

export { canonicalJson, entryHash, GENESIS_HASH, sha256Hex } from './chain';
export * as amount from './amount';

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

export interface LedgerOptions {
  /** Attempts at the atomic step before giving up with UNAVAILABLE (default 500). */
  maxAttempts?: number;
  /** Backoff after a conflict: full jitter in [0, min(maxMs, baseMs * 2^attempt)] ms. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Queue a process's charges per dataset (default true). Safety never depends on it. */
  serializeInProcess?: boolean;
  /** Fractional digits of displayed amounts (default 10). */
  displayDigits?: number;
  /** Clock for entry timestamps (tests). */
  now?: () => Date;
}

export interface ChargeRequest {
  user: string;
  dataset: string;
  cost: Budget;
  /** The user's grant on the dataset (GrantRecord.budget), or null when there is none. */
  grant: Budget | null;
  /** The dataset-wide cap (DatasetRecord.cap), or null for none. */
  cap: Budget | null;
  accounting: AccountingMode;
  queryId: string;
  idempotencyKey?: string;
  /** Hash of the request (same key + different hash is a CONFLICT). */
  requestHash: string;
}

export interface ChargeResult {
  entry: LedgerEntry;
  /** True when an earlier charge with the same idempotency key was returned (nothing charged). */
  replayed: boolean;
}

export interface SetGrantRequest {
  user: string;
  dataset: string;
  budget: Budget;
  accounting: AccountingMode;
  /** Who changes it (admin user name). */
  actor: string;
}

export interface SetCapRequest {
  dataset: string;
  /** The new cap, or null for none. */
  cap: Budget | null;
  accounting: AccountingMode;
  actor: string;
}

export interface RemainingRequest {
  dataset: string;
  user: string;
  grant: Budget | null;
  cap: Budget | null;
  accounting: AccountingMode;
  digits?: number;
}

/** Display figures for an analyst: decimals, spent rounded up, remaining rounded down. */
export interface BudgetFigures {
  initial: Budget;
  spent: Budget;
  remaining: Budget;
  /** Remaining under the user's grant alone and under the dataset cap alone (null: no cap). */
  remainingGrant: Budget;
  remainingCap: Budget | null;
}

export interface ChainReport {
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** Dataset and seq of the first bad entry, with what is wrong. */
  dataset?: string;
  firstBadSeq?: number;
  problem?: string;
  /** Last (seq, hash) per dataset: record them elsewhere to detect a truncated tail later. */
  heads: Record<string, { seq: number; hash: string }>;
}

export interface Ledger {
  charge(req: ChargeRequest): Promise<ChargeResult>;
  setGrant(req: SetGrantRequest): Promise<LedgerEntry>;
  setCap(req: SetCapRequest): Promise<LedgerEntry>;
  /** Exact spent totals ("num/den") on the dataset, or of one user on it. */
  spent(dataset: string, user?: string): Promise<Budget>;
  /** What the user may still spend, rounded down (decimal strings). */
  remaining(req: RemainingRequest): Promise<Budget>;
  /** initial / spent (up) / remaining (down) for display. */
  figures(req: RemainingRequest): Promise<BudgetFigures>;
  verifyChain(dataset?: string): Promise<ChainReport>;
  entries(filter: LedgerFilter): Promise<LedgerEntry[]>;
}

type Dim = 'epsilon' | 'delta' | 'rho';

/**
 * The dimensions of each accounting mode, ALL checked against grants and caps in the atomic step:
 * pure ε (a pure dataset's grants and caps carry δ = 0, so any δ is refused); (ε, δ); and (ρ, δ)
 * for δ-approximate zCDP (δ from key discovery).
 */
const DIMS: Record<AccountingMode, Dim[]> = {
  pure: ['epsilon', 'delta'],
  approx: ['epsilon', 'delta'],
  zcdp: ['rho', 'delta']
};

const SYMBOL: Record<Dim, string> = { epsilon: 'ε', delta: 'δ', rho: 'ρ' };

interface State {
  last: LedgerEntry | null;
  userLast: LedgerEntry | null;
  datasetSpent: ExactBudget;
  userSpent: ExactBudget;
}

export function createLedger(store: Store, opts: LedgerOptions = {}): Ledger {
  const maxAttempts = opts.maxAttempts ?? 500;
  const baseMs = opts.backoffBaseMs ?? 2;
  const maxMs = opts.backoffMaxMs ?? 250;
  const digits = opts.displayDigits ?? 10;
  const now = opts.now ?? (() => new Date());
  const queues = new Map<string, Promise<unknown>>();

  /** Runs fn after the previous queued operation on the dataset (if serializing). */
  function queued<T>(dataset: string, fn: () => Promise<T>): Promise<T> {
    if (opts.serializeInProcess === false) return fn();
    const prev = queues.get(dataset) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined
    );
    queues.set(dataset, tail);
    void tail.then(() => {
      if (queues.get(dataset) === tail) queues.delete(dataset);
    });
    return run;
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

  function seal(fields: Omit<LedgerEntry, 'hash' | 'prevHash' | 'seq'>, state: State): LedgerEntry {
    const unsealed = {
      ...fields,
      seq: (state.last?.seq ?? 0) + 1,
      prevHash: state.last?.hash ?? GENESIS_HASH
    };
    return { ...unsealed, hash: entryHash(unsealed) };
  }

  async function backoff(attempt: number): Promise<void> {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
    const ms = randomInt(0, Math.max(1, Math.round(ceiling * 1000)) + 1) / 1000;
    await new Promise(r => setTimeout(r, ms));
  }

  /** The atomic step, retried: build() sees a fresh consistent state each attempt. */
  async function appendLoop(
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

  /** The grant that binds: min(grant passed in, grant set through the ledger); null = no grant. */
  function effectiveGrant(
    passed: Budget | null,
    fromLedger: Budget | null | undefined
  ): ExactBudget | null {
    if (passed === null) return null;
    const p = parseBudget(passed);
    return fromLedger ? minBudget(p, parseBudget(fromLedger)) : p;
  }

  /** The cap that binds: min(cap passed in, cap set through the ledger); null = no cap at all. */
  function effectiveCap(
    passed: Budget | null,
    fromLedger: Budget | null | undefined
  ): ExactBudget | null {
    if (passed === null) return fromLedger ? parseBudget(fromLedger) : null;
    const p = parseBudget(passed);
    return fromLedger ? minBudget(p, parseBudget(fromLedger)) : p;
  }

  /** Amounts for messages (a pure dataset's δ, always 0 there, is not shown). */
  function fmt(b: ExactBudget, dims: Dim[], mode: 'up' | 'down'): string {
    const shown = dims === DIMS.pure ? ['epsilon' as const] : dims;
    return shown.map(d => `${SYMBOL[d]} = ${toDecimal(b[d], digits, mode)}`).join(', ');
  }

  async function charge(req: ChargeRequest): Promise<ChargeResult> {
    const dims = DIMS[req.accounting];
    if (!dims)
      throw new LomasError('INVALID_PARAMETER', {
        parameter: 'accounting',
        rule: 'must be pure, approx or zcdp'
      });
    if (req.accounting === 'zcdp' && req.cost.rho === undefined) {
      throw new LomasError('INVALID_PARAMETER', {
        parameter: 'cost.rho',
        rule: 'a zCDP dataset is charged in ρ'
      });
    }
    const cost = parseCost(req.cost);
    const key = req.idempotencyKey ?? null;

    const replay = async (): Promise<LedgerEntry | null> => {
      if (key === null) return null;
      const existing = await store.findLedgerEntryByIdempotencyKey(req.user, key);
      if (!existing) return null;
      if (existing.requestHash !== req.requestHash || existing.dataset !== req.dataset) {
        throw new LomasError('CONFLICT', {
          what: `Idempotency key "${key}"`,
          problem: 'it was already used for a different request; use a new key for a new request'
        });
      }
      return existing;
    };

    // No lookup up front: the unique (user, idempotencyKey) index answers on append, and the
    // stored entry is read only when the append conflicts or the charge is refused (a retry of a
    // request that took the last of the budget must get that request's answer).
    /** Refuses the charge when `after` passes `limit` in any dimension of the accounting mode. */
    const within = (
      code: 'BUDGET_EXHAUSTED' | 'DATASET_CAP_EXHAUSTED',
      limit: ExactBudget,
      before: ExactBudget,
      after: ExactBudget
    ): void => {
      const d = dims.find(x => cmp(after[x], limit[x]) > 0);
      if (d === undefined) return;
      throw new LomasError(
        code,
        {
          cost: fmt(cost, dims, 'up'),
          remaining: fmt(subBudgetClamp(limit, before), dims, 'down'),
          dataset: req.dataset
        },
        { dimension: d, accounting: req.accounting }
      );
    };
    try {
      return await queued(req.dataset, async () => {
        return appendLoop(
          req.dataset,
          req.user,
          state => {
            const grant = effectiveGrant(req.grant, state.userLast?.userGrant);
            if (!grant) throw new LomasError('NO_GRANT', { dataset: req.dataset });
            const userSpent = addBudget(state.userSpent, cost);
            within('BUDGET_EXHAUSTED', grant, state.userSpent, userSpent);
            const cap = effectiveCap(req.cap, state.last?.datasetCap);
            const datasetSpent = addBudget(state.datasetSpent, cost);
            if (cap) within('DATASET_CAP_EXHAUSTED', cap, state.datasetSpent, datasetSpent);
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
                idempotencyKey: key,
                requestHash: req.requestHash,
                at: now().toISOString()
              },
              state
            );
          },
          replay
        );
      });
    } catch (e) {
      // A concurrent request with the same key may have taken the last of the budget: then this
      // retry must see that request's answer, not a budget error.
      if (key !== null && e instanceof LomasError && e.code !== 'CONFLICT') {
        const concurrent = await replay();
        if (concurrent) return { entry: concurrent, replayed: true };
      }
      throw e;
    }
  }

  async function setGrant(req: SetGrantRequest): Promise<LedgerEntry> {
    const dims = DIMS[req.accounting];
    const budget = parseCost(req.budget);
    const stored = budgetToFractions(budget);
    const { entry } = await queued(req.dataset, () =>
      appendLoop(req.dataset, req.user, state => {
        for (const d of dims) {
          if (cmp(budget[d], state.userSpent[d]) < 0) {
            throw new LomasError('CONFLICT', {
              what: `The grant of "${req.user}" on "${req.dataset}"`,
              problem: `${SYMBOL[d]} = ${toDecimal(budget[d], digits, 'up')} is below what is already spent (${toDecimal(state.userSpent[d], digits, 'up')})`
            });
          }
        }
        return seal(
          {
            dataset: req.dataset,
            user: req.user,
            kind: 'grant',
            cost: budgetToFractions(ZERO_BUDGET),
            datasetSpent: budgetToFractions(state.datasetSpent),
            userSpent: budgetToFractions(state.userSpent),
            userGrant: stored,
            datasetCap: state.last?.datasetCap ?? null,
            actor: req.actor,
            queryId: `grant:${randomUUID()}`,
            idempotencyKey: null,
            requestHash: sha256Hex(canonicalJson({ op: 'setGrant', ...req })),
            at: now().toISOString()
          },
          state
        );
      })
    );
    const existing = await store.getGrant(req.user, req.dataset);
    const at = entry.at;
    await store.putGrant({
      user: req.user,
      dataset: req.dataset,
      budget: req.budget,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at
    });
    return entry;
  }

  async function setCap(req: SetCapRequest): Promise<LedgerEntry> {
    const dims = DIMS[req.accounting];
    const cap = req.cap === null ? null : parseCost(req.cap);
    const { entry } = await queued(req.dataset, () =>
      appendLoop(req.dataset, req.actor, state => {
        if (cap) {
          for (const d of dims) {
            if (cmp(cap[d], state.datasetSpent[d]) < 0) {
              throw new LomasError('CONFLICT', {
                what: `The cap of "${req.dataset}"`,
                problem: `${SYMBOL[d]} = ${toDecimal(cap[d], digits, 'up')} is below what is already spent (${toDecimal(state.datasetSpent[d], digits, 'up')})`
              });
            }
          }
        }
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
            at: now().toISOString()
          },
          state
        );
      })
    );
    const record = await store.getDataset(req.dataset);
    if (record) {
      await store.putDataset({
        ...record,
        cap: req.cap,
        version: record.version + 1,
        updatedAt: entry.at
      });
    }
    return entry;
  }

  async function spentExact(dataset: string, user?: string): Promise<ExactBudget> {
    if (user === undefined) {
      const last = await store.lastLedgerEntry(dataset);
      return last ? parseBudget(last.datasetSpent) : ZERO_BUDGET;
    }
    const last = await store.lastLedgerEntryOfUser(dataset, user);
    return last ? parseBudget(last.userSpent) : ZERO_BUDGET;
  }

  async function figures(req: RemainingRequest): Promise<BudgetFigures> {
    const dg = req.digits ?? digits;
    let state: State | null = null;
    while (!state) state = await readState(req.dataset, req.user);
    const grant = effectiveGrant(req.grant, state.userLast?.userGrant) ?? ZERO_BUDGET;
    const cap = effectiveCap(req.cap, state.last?.datasetCap);
    const remainingGrant = subBudgetClamp(grant, state.userSpent);
    const remainingCap = cap ? subBudgetClamp(cap, state.datasetSpent) : null;
    const remaining = remainingCap ? minBudget(remainingGrant, remainingCap) : remainingGrant;
    const show = (b: ExactBudget, mode: 'up' | 'down') =>
      dropRho(budgetToDecimal(b, dg, mode), req.accounting);
    return {
      initial: show(grant, 'down'),
      spent: show(state.userSpent, 'up'),
      remaining: show(remaining, 'down'),
      remainingGrant: show(remainingGrant, 'down'),
      remainingCap: remainingCap ? show(remainingCap, 'down') : null
    };
  }

  async function verifyChain(dataset?: string): Promise<ChainReport> {
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

  return {
    charge,
    setGrant,
    setCap,
    spent: async (dataset, user) => budgetToFractions(await spentExact(dataset, user)),
    remaining: async req => (await figures(req)).remaining,
    figures,
    verifyChain,
    entries: filter => store.ledgerEntries(filter)
  };
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

function parseCost(b: Budget): ExactBudget {
  try {
    return parseBudget(b);
  } catch (e) {
    throw new LomasError('INVALID_PARAMETER', { parameter: 'budget', rule: (e as Error).message });
  }
}

function dropRho(b: Budget, accounting: AccountingMode): Budget {
  if (accounting === 'zcdp') return b;
  return { epsilon: b.epsilon, delta: b.delta };
}
