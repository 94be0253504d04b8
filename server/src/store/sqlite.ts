import { open, type FileHandle } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { LomasError, type Budget } from 'lomas-kernel/protocol';
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
import { checkLimit, conflict, currentArchive, notFound } from './common';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  salt TEXT NOT NULL,
  hash TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys (user, created_at, id);
CREATE TABLE IF NOT EXISTS datasets (
  name TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
  user TEXT NOT NULL,
  dataset TEXT NOT NULL,
  budget TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (user, dataset)
);
CREATE TABLE IF NOT EXISTS ledger (
  dataset TEXT NOT NULL,
  seq INTEGER NOT NULL,
  user TEXT NOT NULL,
  kind TEXT NOT NULL,
  cost TEXT NOT NULL,
  dataset_spent TEXT NOT NULL,
  user_spent TEXT NOT NULL,
  user_grant TEXT,
  dataset_cap TEXT,
  actor TEXT,
  query_id TEXT NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT NOT NULL,
  at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ledger_dataset_seq ON ledger (dataset, seq);
CREATE UNIQUE INDEX IF NOT EXISTS ledger_user_idempotency ON ledger (user, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS ledger_dataset_user_seq ON ledger (dataset, user, seq);
CREATE TABLE IF NOT EXISTS archive (
  query_id TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  dataset TEXT NOT NULL,
  at TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS archive_user ON archive (user, at);
CREATE INDEX IF NOT EXISTS archive_dataset ON archive (dataset, at);
CREATE TABLE IF NOT EXISTS rate_slots (
  key TEXT NOT NULL,
  window_no INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (key, window_no, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rate_slots_window ON rate_slots (window_no);
`;

interface LedgerRow {
  dataset: string;
  seq: number;
  user: string;
  kind: LedgerEntry['kind'];
  cost: string;
  dataset_spent: string;
  user_spent: string;
  user_grant: string | null;
  dataset_cap: string | null;
  actor: string | null;
  query_id: string;
  idempotency_key: string | null;
  request_hash: string;
  at: string;
  prev_hash: string;
  hash: string;
}

/** A prepared statement whose I/O errors stop the store (SqliteStore.failed). */
interface Guarded {
  run(...params: unknown[]): Database.RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteStoreOptions {
  /** How long a writer waits for another process's write lock (ms). */
  busyTimeoutMs?: number;
}

/**
 * The embedded store: one SQLite file (better-sqlite3), WAL journal, synchronous=FULL for the
 * administrator's writes. Ledger entries, rate-limit slots and archived answers are committed
 * without their own fsync (`relaxed`); `flush()` syncs the log on a thread of the pool, so a
 * query's DuckDB work runs while its charge goes to disk (see Store.flush). Several processes may
 * share the file.
 */
export class SqliteStore implements Store {
  readonly kind = 'embedded' as const;
  private db: Database.Database | null = null;
  private st: Record<string, Guarded> = {};
  /** The write-ahead log's path, or null when SQLite could not use WAL (then every write syncs). */
  private walPath: string | null = null;
  private wal: FileHandle | null = null;
  /** Relaxed commits so far, and how many of them a finished sync of the log covers. */
  private committed = 0;
  private synced = 0;
  private syncing: Promise<void> | null = null;
  /** The disk error that stopped the store, once one has (`stopped`): every call is refused. */
  private diskFailure: { cause: unknown } | null = null;

  constructor(
    readonly file: string,
    private readonly options: SqliteStoreOptions = {}
  ) {}

  async init(): Promise<void> {
    if (this.db) return;
    const db = new Database(this.file, { timeout: this.options.busyTimeoutMs ?? 10_000 });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    this.db = db;
    this.walPath = mode === 'wal' ? `${this.file}-wal` : null;
    const p = (sql: string) => this.guard(db.prepare(sql));
    this.st = {
      createUser: p('INSERT INTO users (name, role, active, created_at) VALUES (?, ?, ?, ?)'),
      getUser: p('SELECT * FROM users WHERE name = ?'),
      listUsers: p('SELECT * FROM users ORDER BY name'),
      setUserActive: p('UPDATE users SET active = ? WHERE name = ?'),
      addKey: p(
        'INSERT INTO api_keys (id, user, salt, hash, label, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
      ),
      getKey: p('SELECT * FROM api_keys WHERE id = ?'),
      listKeys: p('SELECT * FROM api_keys WHERE user = ? ORDER BY created_at, id'),
      revokeKey: p('UPDATE api_keys SET revoked_at = ? WHERE id = ?'),
      putDataset: p(
        'INSERT INTO datasets (name, doc) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET doc = excluded.doc'
      ),
      getDataset: p('SELECT doc FROM datasets WHERE name = ?'),
      listDatasets: p('SELECT doc FROM datasets ORDER BY name'),
      deleteDataset: p('DELETE FROM datasets WHERE name = ?'),
      putGrant: p(
        `INSERT INTO grants (user, dataset, budget, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user, dataset) DO UPDATE SET budget = excluded.budget, created_at = excluded.created_at, updated_at = excluded.updated_at`
      ),
      getGrant: p('SELECT * FROM grants WHERE user = ? AND dataset = ?'),
      lastEntry: p('SELECT * FROM ledger WHERE dataset = ? ORDER BY seq DESC LIMIT 1'),
      lastEntryOfUser: p(
        'SELECT * FROM ledger WHERE dataset = ? AND user = ? ORDER BY seq DESC LIMIT 1'
      ),
      append: p(
        `INSERT INTO ledger (dataset, seq, user, kind, cost, dataset_spent, user_spent, user_grant, dataset_cap, actor,
           query_id, idempotency_key, request_hash, at, prev_hash, hash)
         VALUES (@dataset, @seq, @user, @kind, @cost, @dataset_spent, @user_spent, @user_grant, @dataset_cap, @actor,
           @query_id, @idempotency_key, @request_hash, @at, @prev_hash, @hash)`
      ),
      byIdem: p('SELECT * FROM ledger WHERE user = ? AND idempotency_key = ?'),
      addArchive: p(
        'INSERT INTO archive (query_id, user, dataset, at, doc) VALUES (?, ?, ?, ?, ?)'
      ),
      getArchive: p('SELECT doc FROM archive WHERE query_id = ?'),
      takeRateSlot: p('INSERT INTO rate_slots (key, window_no, n) VALUES (?, ?, ?)'),
      // Prepared once: db.pragma() prepares its statement at every call (two per relaxed write).
      syncNormal: p('PRAGMA synchronous = NORMAL'),
      syncFull: p('PRAGMA synchronous = FULL'),
      purgeRateSlots: p('DELETE FROM rate_slots WHERE window_no < ?')
    };
  }

  async close(): Promise<void> {
    await this.syncing?.catch(() => undefined);
    await this.wal?.close().catch(() => undefined);
    this.wal = null;
    this.db?.close();
    this.db = null;
  }

  /**
   * Every relaxed commit so far on disk: one fdatasync of the log on libuv's pool (the main
   * thread goes on), shared by the commits it covers (group commit). SQLite appends commits to
   * the log in order and a checkpoint syncs the log before copying it into the database, so
   * syncing the log file makes every commit written before the sync started durable.
   *
   * A failed sync stops the store for good (until it is opened again): the kernel may already
   * have dropped the pages it could not write, so a second fdatasync can succeed without them
   * (PostgreSQL's fsync lesson of 2018), and SQLite's recovery ends the log at the first frame
   * that is missing, taking every later commit with it. Trying again would call later charges
   * durable that are not.
   */
  async flush(): Promise<void> {
    if (this.diskFailure) throw this.stopped();
    const target = this.committed;
    while (this.synced < target) {
      if (this.diskFailure) throw this.stopped();
      if (!this.syncing) {
        const upTo = this.committed;
        this.syncing = this.syncLog()
          .then(
            () => {
              this.synced = Math.max(this.synced, upTo);
            },
            (cause: unknown) => {
              this.diskFailure ??= { cause };
              throw cause;
            }
          )
          .finally(() => {
            this.syncing = null;
          });
      }
      await this.syncing;
    }
  }

  /**
   * The error of every call once the store's disk has failed: a sync of the log (flush), or an
   * I/O error SQLite reports (its own syncs of the administrator's writes and of checkpoints
   * included). The same reasoning as for a failed sync holds for each.
   */
  private stopped(): LomasError {
    const e = new LomasError('UNAVAILABLE', {
      problem:
        "the embedded store's disk failed (a write or a sync of its file), so it can no longer tell which charges are on disk; it answers nothing until an administrator checks the disk and restarts the server"
    });
    e.cause = this.diskFailure?.cause; // for the log only
    return e;
  }

  /** The error to throw for `e`, an error of SQLite: an I/O error stops the store (`stopped`). */
  private failed(e: unknown): unknown {
    if (!isDiskError(e)) return e;
    this.diskFailure ??= { cause: e };
    return this.stopped();
  }

  /** The statement's calls, each checked by `failed` (no closure per call: this is the hot path). */
  private guard(st: Database.Statement): Guarded {
    return {
      run: (...params) => {
        try {
          return st.run(...params);
        } catch (e) {
          throw this.failed(e);
        }
      },
      get: (...params) => {
        try {
          return st.get(...params);
        } catch (e) {
          throw this.failed(e);
        }
      },
      all: (...params) => {
        try {
          return st.all(...params);
        } catch (e) {
          throw this.failed(e);
        }
      }
    };
  }

  /** A statement made for one call (filters of the list reads), guarded like the prepared ones. */
  private adHoc(sql: string): Guarded {
    try {
      return this.guard(this.database.prepare(sql));
    } catch (e) {
      throw this.failed(e);
    }
  }

  private async syncLog(): Promise<void> {
    if (!this.walPath) return;
    // The log exists from the schema's first commit on and stays while this connection is open.
    this.wal ??= await open(this.walPath, 'r');
    await this.wal.datasync();
  }

  /** The raw handle, for tests and admin tooling (e.g. tamper-evidence tests). */
  get database(): Database.Database {
    if (!this.db) throw new Error('SqliteStore is not initialised: call init() first');
    if (this.diskFailure) throw this.stopped();
    return this.db;
  }

  private s(name: string): Guarded {
    if (!this.db) throw new Error('SqliteStore is not initialised: call init() first');
    if (this.diskFailure) throw this.stopped();
    return this.st[name];
  }

  /**
   * Runs a write without its own fsync: ledger entries, rate-limit slots and archived answers.
   * With WAL and synchronous=NORMAL the commit survives a crash of the process but not a power
   * loss until the log is synced: by `flush()`, which the ledger awaits before anything that
   * depends on an entry leaves the server, or by the next synchronous=FULL commit. Losing an
   * archived answer that way is safe: its charge is on disk, so a retry finds the charge without
   * an answer and gets QUERY_FAILED, never a second free answer. Without WAL the write syncs as
   * before. better-sqlite3 is synchronous, so no other statement runs between the two pragmas.
   */
  private relaxed<T>(write: () => T): T {
    if (!this.walPath) return write();
    this.s('syncNormal').run();
    try {
      return write();
    } finally {
      this.s('syncFull').run();
      this.committed++;
    }
  }

  async createUser(user: UserRecord): Promise<void> {
    try {
      this.s('createUser').run(user.name, user.role, user.active ? 1 : 0, user.createdAt);
    } catch (e) {
      if (isUnique(e)) throw conflict(`User "${user.name}"`);
      throw e;
    }
  }
  async getUser(name: string): Promise<UserRecord | null> {
    const r = this.s('getUser').get(name) as UserRow | undefined;
    return r ? userFromRow(r) : null;
  }
  async listUsers(): Promise<UserRecord[]> {
    return (this.s('listUsers').all() as UserRow[]).map(userFromRow);
  }
  async setUserActive(name: string, active: boolean): Promise<void> {
    if (this.s('setUserActive').run(active ? 1 : 0, name).changes === 0)
      throw notFound(`User "${name}"`);
  }

  async addKey(k: ApiKeyRecord): Promise<void> {
    try {
      this.s('addKey').run(k.id, k.user, k.salt, k.hash, k.label, k.createdAt, k.revokedAt);
    } catch (e) {
      if (isUnique(e)) throw conflict(`API key "${k.id}"`);
      throw e;
    }
  }
  async getKey(id: string): Promise<ApiKeyRecord | null> {
    const r = this.s('getKey').get(id) as KeyRow | undefined;
    return r ? keyFromRow(r) : null;
  }
  async listKeys(user: string): Promise<ApiKeyRecord[]> {
    return (this.s('listKeys').all(user) as KeyRow[]).map(keyFromRow);
  }
  async revokeKey(id: string, at: string): Promise<void> {
    if (this.s('revokeKey').run(at, id).changes === 0) throw notFound(`API key "${id}"`);
  }

  async putDataset(dataset: DatasetRecord): Promise<void> {
    this.s('putDataset').run(dataset.name, JSON.stringify(dataset));
  }
  async getDataset(name: string): Promise<DatasetRecord | null> {
    const r = this.s('getDataset').get(name) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as DatasetRecord) : null;
  }
  async listDatasets(): Promise<DatasetRecord[]> {
    return (this.s('listDatasets').all() as { doc: string }[]).map(
      r => JSON.parse(r.doc) as DatasetRecord
    );
  }
  async deleteDataset(name: string): Promise<void> {
    if (this.s('deleteDataset').run(name).changes === 0) throw notFound(`Dataset "${name}"`);
  }

  async putGrant(g: GrantRecord): Promise<void> {
    this.s('putGrant').run(g.user, g.dataset, JSON.stringify(g.budget), g.createdAt, g.updatedAt);
  }
  async getGrant(user: string, dataset: string): Promise<GrantRecord | null> {
    const r = this.s('getGrant').get(user, dataset) as GrantRow | undefined;
    return r ? grantFromRow(r) : null;
  }
  async listGrants(filter: { user?: string; dataset?: string }): Promise<GrantRecord[]> {
    const { where, params } = conditions({ user: filter.user, dataset: filter.dataset });
    const rows = this.adHoc(`SELECT * FROM grants ${where} ORDER BY dataset, user`).all(
      ...params
    ) as GrantRow[];
    return rows.map(grantFromRow);
  }

  async lastLedgerEntry(dataset: string): Promise<LedgerEntry | null> {
    const r = this.s('lastEntry').get(dataset) as LedgerRow | undefined;
    return r ? entryFromRow(r) : null;
  }
  async lastLedgerEntryOfUser(dataset: string, user: string): Promise<LedgerEntry | null> {
    const r = this.s('lastEntryOfUser').get(dataset, user) as LedgerRow | undefined;
    return r ? entryFromRow(r) : null;
  }
  async appendLedgerEntry(entry: LedgerEntry): Promise<AppendResult> {
    try {
      this.relaxed(() => this.s('append').run(entryToRow(entry)));
      return 'ok';
    } catch (e) {
      if (isUnique(e)) return 'conflict';
      throw e;
    }
  }
  async findLedgerEntryByIdempotencyKey(user: string, key: string): Promise<LedgerEntry | null> {
    const r = this.s('byIdem').get(user, key) as LedgerRow | undefined;
    return r ? entryFromRow(r) : null;
  }
  async ledgerEntries(filter: LedgerFilter): Promise<LedgerEntry[]> {
    const { where, params } = conditions(
      { dataset: filter.dataset, user: filter.user },
      filter.afterSeq
    );
    const limit = checkLimit(filter.limit);
    const sql = `SELECT * FROM ledger ${where} ORDER BY dataset, seq${limit !== undefined ? ' LIMIT ?' : ''}`;
    const rows = this.adHoc(sql).all(
      ...params,
      ...(limit !== undefined ? [limit] : [])
    ) as LedgerRow[];
    return rows.map(entryFromRow);
  }

  async addArchive(record: ArchiveRecord): Promise<void> {
    try {
      this.relaxed(() =>
        this.s('addArchive').run(
          record.queryId,
          record.user,
          record.dataset,
          record.at,
          JSON.stringify(record)
        )
      );
    } catch (e) {
      if (isUnique(e)) throw conflict(`Query "${record.queryId}"`);
      throw e;
    }
  }
  async getArchive(queryId: string): Promise<ArchiveRecord | null> {
    const r = this.s('getArchive').get(queryId) as { doc: string } | undefined;
    return r ? currentArchive(JSON.parse(r.doc) as ArchiveRecord) : null;
  }
  async listArchive(filter: {
    user?: string;
    dataset?: string;
    limit?: number;
  }): Promise<ArchiveRecord[]> {
    const { where, params } = conditions({ user: filter.user, dataset: filter.dataset });
    const limit = checkLimit(filter.limit);
    const sql = `SELECT doc FROM archive ${where} ORDER BY at DESC, query_id DESC${limit !== undefined ? ' LIMIT ?' : ''}`;
    const rows = this.adHoc(sql).all(...params, ...(limit !== undefined ? [limit] : [])) as {
      doc: string;
    }[];
    return rows.map(r => currentArchive(JSON.parse(r.doc) as ArchiveRecord));
  }

  async takeRateSlot(slot: RateSlot): Promise<AppendResult> {
    try {
      this.relaxed(() => this.s('takeRateSlot').run(slot.key, slot.window, slot.n));
      return 'ok';
    } catch (e) {
      if (isUnique(e)) return 'conflict';
      throw e;
    }
  }
  async purgeRateSlots(beforeWindow: number): Promise<number> {
    return this.relaxed(() => this.s('purgeRateSlots').run(beforeWindow).changes);
  }
}

/** WHERE clause from fixed column names (never from input) with bound values. */
function conditions(eq: Partial<Record<'user' | 'dataset', string>>, afterSeq?: number) {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [col, v] of Object.entries(eq)) {
    if (v !== undefined) {
      parts.push(`${col} = ?`);
      params.push(v);
    }
  }
  if (afterSeq !== undefined) {
    parts.push('seq > ?');
    params.push(afterSeq);
  }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** SQLite could not read, write or sync its files (SQLITE_IOERR and its extended codes). */
function isDiskError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_IOERR');
}

function isUnique(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

interface UserRow {
  name: string;
  role: UserRecord['role'];
  active: number;
  created_at: string;
}
function userFromRow(r: UserRow): UserRecord {
  return { name: r.name, role: r.role, active: r.active === 1, createdAt: r.created_at };
}

interface KeyRow {
  id: string;
  user: string;
  salt: string;
  hash: string;
  label: string;
  created_at: string;
  revoked_at: string | null;
}
function keyFromRow(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    user: r.user,
    salt: r.salt,
    hash: r.hash,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at
  };
}

interface GrantRow {
  user: string;
  dataset: string;
  budget: string;
  created_at: string;
  updated_at: string;
}
function grantFromRow(r: GrantRow): GrantRecord {
  return {
    user: r.user,
    dataset: r.dataset,
    budget: JSON.parse(r.budget) as Budget,
    createdAt: r.created_at,
    updatedAt: r.updated_at
  };
}

/** SQL NULL = field absent; JSON "null" = explicit null. */
function optJson(v: Budget | null | undefined): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

function entryToRow(e: LedgerEntry): LedgerRow {
  return {
    dataset: e.dataset,
    seq: e.seq,
    user: e.user,
    kind: e.kind,
    cost: JSON.stringify(e.cost),
    dataset_spent: JSON.stringify(e.datasetSpent),
    user_spent: JSON.stringify(e.userSpent),
    user_grant: optJson(e.userGrant),
    dataset_cap: optJson(e.datasetCap),
    actor: e.actor ?? null,
    query_id: e.queryId,
    idempotency_key: e.idempotencyKey,
    request_hash: e.requestHash,
    at: e.at,
    prev_hash: e.prevHash,
    hash: e.hash
  };
}

function entryFromRow(r: LedgerRow): LedgerEntry {
  const e: LedgerEntry = {
    dataset: r.dataset,
    seq: r.seq,
    user: r.user,
    kind: r.kind,
    cost: JSON.parse(r.cost) as Budget,
    datasetSpent: JSON.parse(r.dataset_spent) as Budget,
    userSpent: JSON.parse(r.user_spent) as Budget,
    queryId: r.query_id,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    at: r.at,
    prevHash: r.prev_hash,
    hash: r.hash
  };
  if (r.user_grant !== null) e.userGrant = JSON.parse(r.user_grant) as Budget | null;
  if (r.dataset_cap !== null) e.datasetCap = JSON.parse(r.dataset_cap) as Budget | null;
  if (r.actor !== null) e.actor = r.actor;
  return e;
}
