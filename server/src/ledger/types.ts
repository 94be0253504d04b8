import type { AccountingMode, Budget } from 'lomas-kernel/protocol';
import type { LedgerEntry, LedgerFilter } from '../store/types';

/** The ledger's requests, answers and options (the design is in index.ts). */

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
  /**
   * Resolves once the entry would survive a power loss (Store.flush, started with the charge);
   * rejects with UNAVAILABLE when the store could not sync. The entry is visible and counted
   * from the charge on; nothing that depends on it — an answer, an error, an archive record —
   * may leave before this resolves.
   */
  durable(): Promise<void>;
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
  /** The same figures right after `entry` (the user's entry just appended): no store read. */
  figuresAfter(entry: LedgerEntry, req: RemainingRequest): BudgetFigures;
  verifyChain(dataset?: string): Promise<ChainReport>;
  entries(filter: LedgerFilter): Promise<LedgerEntry[]>;
}
