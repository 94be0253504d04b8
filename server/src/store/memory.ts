import type {
  ApiKeyRecord,
  AppendResult,
  ArchiveRecord,
  DatasetRecord,
  GrantRecord,
  LedgerEntry,
  LedgerFilter,
  RateSlot,
  Store,
  UserRecord
} from './types';
import {
  byArchiveOrder,
  byLedgerOrder,
  checkLimit,
  compareStrings,
  conflict,
  currentArchive,
  notFound
} from './common';

/**
 * An in-memory Store for unit tests. It passes the same contract suite as the real stores:
 * records are copied in and out, so callers cannot mutate stored state by accident.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private users = new Map<string, UserRecord>();
  private keys = new Map<string, ApiKeyRecord>();
  private datasets = new Map<string, DatasetRecord>();
  private grants = new Map<string, GrantRecord>();
  private ledger = new Map<string, LedgerEntry[]>();
  private idem = new Map<string, LedgerEntry>();
  private archive = new Map<string, ArchiveRecord>();
  private rateSlots = new Map<string, number>();

  async init(): Promise<void> {}
  async close(): Promise<void> {}
  /** Nothing to sync: a memory store survives nothing. */
  async flush(): Promise<void> {}

  async createUser(user: UserRecord): Promise<void> {
    if (this.users.has(user.name)) throw conflict(`User "${user.name}"`);
    this.users.set(user.name, copy(user));
  }
  async getUser(name: string): Promise<UserRecord | null> {
    return copyOrNull(this.users.get(name));
  }
  async listUsers(): Promise<UserRecord[]> {
    return [...this.users.values()].sort((a, b) => compareStrings(a.name, b.name)).map(copy);
  }
  async setUserActive(name: string, active: boolean): Promise<void> {
    const u = this.users.get(name);
    if (!u) throw notFound(`User "${name}"`);
    u.active = active;
  }

  async addKey(key: ApiKeyRecord): Promise<void> {
    if (this.keys.has(key.id)) throw conflict(`API key "${key.id}"`);
    this.keys.set(key.id, copy(key));
  }
  async getKey(id: string): Promise<ApiKeyRecord | null> {
    return copyOrNull(this.keys.get(id));
  }
  async listKeys(user: string): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()]
      .filter(k => k.user === user)
      .sort((a, b) => compareStrings(a.createdAt, b.createdAt) || compareStrings(a.id, b.id))
      .map(copy);
  }
  async revokeKey(id: string, at: string): Promise<void> {
    const k = this.keys.get(id);
    if (!k) throw notFound(`API key "${id}"`);
    k.revokedAt = at;
  }

  async putDataset(dataset: DatasetRecord): Promise<void> {
    this.datasets.set(dataset.name, copy(dataset));
  }
  async getDataset(name: string): Promise<DatasetRecord | null> {
    return copyOrNull(this.datasets.get(name));
  }
  async listDatasets(): Promise<DatasetRecord[]> {
    return [...this.datasets.values()].sort((a, b) => compareStrings(a.name, b.name)).map(copy);
  }
  async deleteDataset(name: string): Promise<void> {
    if (!this.datasets.delete(name)) throw notFound(`Dataset "${name}"`);
  }

  async putGrant(grant: GrantRecord): Promise<void> {
    this.grants.set(JSON.stringify([grant.user, grant.dataset]), copy(grant));
  }
  async getGrant(user: string, dataset: string): Promise<GrantRecord | null> {
    return copyOrNull(this.grants.get(JSON.stringify([user, dataset])));
  }
  async listGrants(filter: { user?: string; dataset?: string }): Promise<GrantRecord[]> {
    return [...this.grants.values()]
      .filter(
        g =>
          (filter.user === undefined || g.user === filter.user) &&
          (filter.dataset === undefined || g.dataset === filter.dataset)
      )
      .sort((a, b) => compareStrings(a.dataset, b.dataset) || compareStrings(a.user, b.user))
      .map(copy);
  }

  async lastLedgerEntry(dataset: string): Promise<LedgerEntry | null> {
    const list = this.ledger.get(dataset);
    return list && list.length ? copy(list[list.length - 1]) : null;
  }
  async lastLedgerEntryOfUser(dataset: string, user: string): Promise<LedgerEntry | null> {
    const list = this.ledger.get(dataset) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i].user === user) return copy(list[i]);
    return null;
  }
  async appendLedgerEntry(entry: LedgerEntry): Promise<AppendResult> {
    const list = this.ledger.get(entry.dataset) ?? [];
    if (list.some(e => e.seq === entry.seq)) return 'conflict';
    const ik =
      entry.idempotencyKey === null ? null : JSON.stringify([entry.user, entry.idempotencyKey]);
    if (ik !== null && this.idem.has(ik)) return 'conflict';
    const stored = copy(entry);
    list.push(stored);
    list.sort((a, b) => a.seq - b.seq);
    this.ledger.set(entry.dataset, list);
    if (ik !== null) this.idem.set(ik, stored);
    return 'ok';
  }
  async findLedgerEntryByIdempotencyKey(user: string, key: string): Promise<LedgerEntry | null> {
    return copyOrNull(this.idem.get(JSON.stringify([user, key])));
  }
  async ledgerEntries(filter: LedgerFilter): Promise<LedgerEntry[]> {
    const all =
      filter.dataset !== undefined
        ? (this.ledger.get(filter.dataset) ?? [])
        : [...this.ledger.values()].flat();
    const out = all
      .filter(
        e =>
          (filter.user === undefined || e.user === filter.user) &&
          (filter.afterSeq === undefined || e.seq > filter.afterSeq)
      )
      .sort(byLedgerOrder);
    return (checkLimit(filter.limit) !== undefined ? out.slice(0, filter.limit) : out).map(copy);
  }

  async addArchive(record: ArchiveRecord): Promise<void> {
    if (this.archive.has(record.queryId)) throw conflict(`Query "${record.queryId}"`);
    this.archive.set(record.queryId, copy(record));
  }
  async getArchive(queryId: string): Promise<ArchiveRecord | null> {
    const a = copyOrNull(this.archive.get(queryId));
    return a ? currentArchive(a) : null;
  }
  async listArchive(filter: {
    user?: string;
    dataset?: string;
    limit?: number;
  }): Promise<ArchiveRecord[]> {
    const out = [...this.archive.values()]
      .filter(
        a =>
          (filter.user === undefined || a.user === filter.user) &&
          (filter.dataset === undefined || a.dataset === filter.dataset)
      )
      .sort(byArchiveOrder);
    return (checkLimit(filter.limit) !== undefined ? out.slice(0, filter.limit) : out).map(a =>
      currentArchive(copy(a))
    );
  }

  async takeRateSlot(slot: RateSlot): Promise<AppendResult> {
    const id = JSON.stringify([slot.key, slot.window, slot.n]);
    if (this.rateSlots.has(id)) return 'conflict';
    this.rateSlots.set(id, slot.window);
    return 'ok';
  }
  async purgeRateSlots(beforeWindow: number): Promise<number> {
    let removed = 0;
    for (const [id, window] of this.rateSlots)
      if (window < beforeWindow && this.rateSlots.delete(id)) removed++;
    return removed;
  }
}

function copy<T>(x: T): T {
  return structuredClone(x);
}
function copyOrNull<T>(x: T | undefined): T | null {
  return x === undefined ? null : copy(x);
}
