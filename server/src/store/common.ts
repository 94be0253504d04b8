import { groupCaveats, LomasError, type RowCaveat } from 'lomas-kernel/protocol';
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

/**
 * An archived answer as this version reads it. Answers archived before caveats named their rows
 * (one `{ row, column, kind, text }` per row) are read in today's wire form (one entry per
 * sentence with its `rows`: protocol/caveats.ts), so the history, replays and the admin archive
 * of an existing data directory keep answering with bodies their schemas accept.
 */
export function currentArchive(record: ArchiveRecord): ArchiveRecord {
  const release = record.release as { caveats?: unknown } | null;
  const caveats = release && typeof release === 'object' ? release.caveats : undefined;
  if (!Array.isArray(caveats) || !caveats.some(c => c && typeof c === 'object' && 'row' in c))
    return record;
  return { ...record, release: { ...release, caveats: groupCaveats(caveats as RowCaveat[]) } };
}
