import { LomasError } from 'lomas-kernel/protocol';
import type { ArchiveRecord, LedgerEntry } from './types';

/** Binary string order (what SQLite's BINARY collation and MongoDB's simple collation use for ASCII). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byLedgerOrder(a: LedgerEntry, b: LedgerEntry): number {
  return compareStrings(a.dataset, b.dataset) || a.seq - b.seq;
}

/** Newest first; ties broken by queryId (descending) so the order is total. */
export function byArchiveOrder(a: ArchiveRecord, b: ArchiveRecord): number {
  return compareStrings(b.at, a.at) || compareStrings(b.queryId, a.queryId);
}

export function conflict(what: string): LomasError {
  return new LomasError('CONFLICT', { what, problem: 'it already exists' });
}

export function notFound(what: string): LomasError {
  return new LomasError('NOT_FOUND', { what });
}

/** Rejects a limit that is not a non-negative safe integer (stores must not build odd queries). */
export function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`invalid limit ${limit}`);
  return limit;
}
