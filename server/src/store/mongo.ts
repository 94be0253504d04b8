import {
  MongoClient,
  MongoServerError,
  type Collection,
  ReadConcern,
  type Db,
  type Document,
  type Filter
} from 'mongodb';
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

export interface MongoStoreOptions {
  /** Database name; defaults to the one in the URI, else "lomas". */
  dbName?: string;
  /** Passed to MongoClient (tests shorten timeouts). */
  serverSelectionTimeoutMS?: number;
  /** Emit the driver's command events on `database.client` (tests read what goes on the wire). */
  monitorCommands?: boolean;
}

type WithId<T> = T & { _id: string };
type LedgerDoc = LedgerEntry & { _id: string; idem: string };

interface LedgerView {
  seq: number;
  last: LedgerEntry | null;
  byUser: Map<string, LedgerEntry>;
}

/** Ledger documents are keyed by [dataset, seq] so that point lookups use the _id index. */
function ledgerId(dataset: string, seq: number): string {
  return JSON.stringify([dataset, seq]);
}

/** Applies the next entry (seq + 1) to a view; anything else is ignored (already applied). */
function applyToView(view: LedgerView, e: LedgerEntry): void {
  if (e.seq !== view.seq + 1) return;
  view.seq = e.seq;
  view.last = e;
  view.byUser.set(e.user, e);
}

const DUPLICATE_KEY = 11000;

/**
 * What the ledger needs from a replica set, set here on the database handle so that no
 * connection string can weaken it (URI options such as journal=false would win over client
 * options; database options win over both). The reasoning is in docs/DEPLOYMENT.md:
 * - writes `w: majority` + journal: an acknowledged charge is on a majority of members' disks,
 *   so no failover can roll it back (a rolled-back seq n could be re-used by another charge);
 *   `wtimeoutMS` bounds the wait of a primary cut off from the majority (the write then fails
 *   and the request with it, before any data is touched);
 * - reads `majority`: the state a charge is checked against (the entry it extends, its hash and
 *   totals) can never be rolled back; a majority snapshot that lags only makes the unique-index
 *   insert conflict and retry. `linearizable` is not needed: the insert on the primary is the
 *   atomic step, not the read;
 * - retryable writes ON: after a failover the driver re-sends an insert once, and a replica set
 *   recognises the retry (session + txnNumber) and applies it at most once.
 * FerretDB 1.x accepts all of these and ignores them (see server/test/store/mongo.test.ts).
 */
export const MONGO_CONCERNS = {
  writeConcern: { w: 'majority', journal: true, wtimeoutMS: 10_000 },
  readConcernLevel: 'majority',
  readPreference: 'primary',
  retryWrites: true
} as const;

/**
 * The MongoDB store (official driver). Works on MongoDB and on FerretDB 1.x: it only uses
 * single-document inserts/replaces, finds with sort/limit, and unique indexes; never transactions
 * nor a conditional findOneAndUpdate (not atomic on FerretDB). Natural keys are the `_id`s.
 *
 * Ledger uniqueness: a unique index on (dataset, seq) and a unique index on the derived field
 * `idem` — "k" + [user, idempotencyKey] when a key is given, "s" + [dataset, seq] otherwise —
 * which gives the partial unique (user, idempotencyKey) index that FerretDB lacks
 * (no partialFilterExpression) with a plain unique index.
 */
export class MongoStore implements Store {
  readonly kind = 'mongodb' as const;
  private readonly client: MongoClient;
  private db: Db | null = null;
  private readonly views = new Map<string, LedgerView>();
  private readonly loading = new Map<string, Promise<LedgerView>>();

  constructor(
    readonly uri: string,
    private readonly options: MongoStoreOptions = {}
  ) {
    this.client = new MongoClient(uri, {
      ignoreUndefined: true,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
      monitorCommands: options.monitorCommands ?? false,
      retryWrites: MONGO_CONCERNS.retryWrites
    });
  }

  async init(): Promise<void> {
    if (this.db) return;
    await this.client.connect();
    const db = this.client.db(
      this.options.dbName ?? (dbNameFromUri(this.uri) ? undefined : 'lomas'),
      {
        writeConcern: { ...MONGO_CONCERNS.writeConcern },
        readConcern: new ReadConcern(MONGO_CONCERNS.readConcernLevel),
        readPreference: MONGO_CONCERNS.readPreference
      }
    );
    this.db = db;
    await Promise.all([
      db.collection('apiKeys').createIndex({ user: 1, createdAt: 1 }),
      db.collection('grants').createIndex({ dataset: 1, user: 1 }),
      db
        .collection('ledger')
        .createIndex({ dataset: 1, seq: 1 }, { unique: true, name: 'dataset_seq_unique' }),
      db.collection('ledger').createIndex({ idem: 1 }, { unique: true, name: 'idem_unique' }),
      db.collection('ledger').createIndex({ dataset: 1, user: 1, seq: -1 }),
      db.collection('archive').createIndex({ user: 1, at: -1 }),
      db.collection('archive').createIndex({ dataset: 1, at: -1 }),
      db.collection('rateSlots').createIndex({ window: 1 })
    ]);
  }

  /** Already durable: every write is acknowledged `w: majority` with the journal. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.close();
    this.db = null;
  }

  /** The raw database handle, for tests and admin tooling (e.g. tamper-evidence tests). */
  get database(): Db {
    if (!this.db) throw new Error('MongoStore is not initialised: call init() first');
    return this.db;
  }

  private col<T extends Document>(name: string): Collection<T> {
    return this.database.collection<T>(name);
  }

  async createUser(user: UserRecord): Promise<void> {
    await insertOrConflict(
      this.col<WithId<UserRecord>>('users'),
      { _id: user.name, ...user },
      `User "${user.name}"`
    );
  }
  async getUser(name: string): Promise<UserRecord | null> {
    return this.col<WithId<UserRecord>>('users').findOne({ _id: name }, { projection: { _id: 0 } });
  }
  async listUsers(): Promise<UserRecord[]> {
    return this.col<WithId<UserRecord>>('users')
      .find({}, { projection: { _id: 0 } })
      .sort({ _id: 1 })
      .toArray();
  }
  async setUserActive(name: string, active: boolean): Promise<void> {
    const r = await this.col<WithId<UserRecord>>('users').updateOne(
      { _id: name },
      { $set: { active } }
    );
    if (r.matchedCount === 0) throw notFound(`User "${name}"`);
  }

  async addKey(key: ApiKeyRecord): Promise<void> {
    await insertOrConflict(
      this.col<WithId<ApiKeyRecord>>('apiKeys'),
      { _id: key.id, ...key },
      `API key "${key.id}"`
    );
  }
  async getKey(id: string): Promise<ApiKeyRecord | null> {
    return this.col<WithId<ApiKeyRecord>>('apiKeys').findOne(
      { _id: id },
      { projection: { _id: 0 } }
    );
  }
  async listKeys(user: string): Promise<ApiKeyRecord[]> {
    return this.col<WithId<ApiKeyRecord>>('apiKeys')
      .find({ user }, { projection: { _id: 0 } })
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
  }
  async revokeKey(id: string, at: string): Promise<void> {
    const r = await this.col<WithId<ApiKeyRecord>>('apiKeys').updateOne(
      { _id: id },
      { $set: { revokedAt: at } }
    );
    if (r.matchedCount === 0) throw notFound(`API key "${id}"`);
  }

  async putDataset(dataset: DatasetRecord): Promise<void> {
    await this.col<DatasetDoc>('datasets').replaceOne(
      { _id: dataset.name },
      datasetToDoc(dataset),
      { upsert: true }
    );
  }
  async getDataset(name: string): Promise<DatasetRecord | null> {
    const d = await this.col<DatasetDoc>('datasets').findOne(
      { _id: name },
      { projection: { _id: 0 } }
    );
    return d ? datasetFromDoc(d) : null;
  }
  async listDatasets(): Promise<DatasetRecord[]> {
    return (
      await this.col<DatasetDoc>('datasets')
        .find({}, { projection: { _id: 0 } })
        .sort({ _id: 1 })
        .toArray()
    ).map(datasetFromDoc);
  }
  async deleteDataset(name: string): Promise<void> {
    const r = await this.col<DatasetDoc>('datasets').deleteOne({ _id: name });
    if (r.deletedCount === 0) throw notFound(`Dataset "${name}"`);
  }

  async putGrant(grant: GrantRecord): Promise<void> {
    const _id = JSON.stringify([grant.user, grant.dataset]);
    await this.col<WithId<GrantRecord>>('grants').replaceOne(
      { _id },
      { ...grant },
      { upsert: true }
    );
  }
  async getGrant(user: string, dataset: string): Promise<GrantRecord | null> {
    return this.col<WithId<GrantRecord>>('grants').findOne(
      { _id: JSON.stringify([user, dataset]) },
      { projection: { _id: 0 } }
    );
  }
  async listGrants(filter: { user?: string; dataset?: string }): Promise<GrantRecord[]> {
    return this.col<WithId<GrantRecord>>('grants')
      .find(eq(filter) as Filter<WithId<GrantRecord>>, { projection: { _id: 0 } })
      .sort({ dataset: 1, user: 1 })
      .toArray();
  }

  private ledger(): Collection<LedgerDoc> {
    return this.col<LedgerDoc>('ledger');
  }

  /**
   * The dataset's ledger head and each user's latest entry, folded from the entries in seq order
   * and brought up to date by point lookups on _id = [dataset, seq+1], [dataset, seq+2], … until
   * one is missing. FerretDB 1.x (SQLite backend) pushes down only `_id` equality: any other
   * filter or sort is a full collection scan in Go, too slow for the hot path. Entries are
   * immutable and numbered 1, 2, 3… without gaps by the ledger, so this fold is exact; it
   * catches up with entries written by other processes on every call.
   */
  private async view(dataset: string): Promise<LedgerView> {
    let view = this.views.get(dataset);
    if (!view) {
      let loading = this.loading.get(dataset);
      if (!loading) {
        loading = this.loadView(dataset);
        this.loading.set(dataset, loading);
        void loading.finally(() => this.loading.delete(dataset)).catch(() => undefined);
      }
      view = await loading;
    }
    for (;;) {
      const next = await this.ledger().findOne(
        { _id: ledgerId(dataset, view.seq + 1) },
        { projection: LEDGER_PROJECTION }
      );
      if (!next) return view;
      applyToView(view, next);
    }
  }

  private async loadView(dataset: string): Promise<LedgerView> {
    const view: LedgerView = { seq: 0, last: null, byUser: new Map() };
    const cursor = this.ledger()
      .find({ dataset }, { projection: LEDGER_PROJECTION })
      .sort({ seq: 1 });
    for await (const e of cursor) {
      if (e.seq !== view.seq + 1) break; // a gap (only by tampering): stop, verifyChain reports it
      applyToView(view, e);
    }
    this.views.set(dataset, view);
    return view;
  }

  async lastLedgerEntry(dataset: string): Promise<LedgerEntry | null> {
    const v = await this.view(dataset);
    return v.last ? structuredClone(v.last) : null;
  }
  async lastLedgerEntryOfUser(dataset: string, user: string): Promise<LedgerEntry | null> {
    const e = (await this.view(dataset)).byUser.get(user);
    return e ? structuredClone(e) : null;
  }
  async appendLedgerEntry(entry: LedgerEntry): Promise<AppendResult> {
    const idem =
      entry.idempotencyKey === null
        ? 's' + JSON.stringify([entry.dataset, entry.seq])
        : 'k' + JSON.stringify([entry.user, entry.idempotencyKey]);
    try {
      // A copy: insertOne would add an _id to the object it is given.
      await this.ledger().insertOne({
        _id: ledgerId(entry.dataset, entry.seq),
        ...structuredClone(entry),
        idem
      } as LedgerDoc);
    } catch (e) {
      if (e instanceof MongoServerError && e.code === DUPLICATE_KEY) return 'conflict';
      throw e;
    }
    const view = this.views.get(entry.dataset);
    if (view) applyToView(view, structuredClone(entry));
    return 'ok';
  }
  async findLedgerEntryByIdempotencyKey(user: string, key: string): Promise<LedgerEntry | null> {
    return this.ledger().findOne(
      { idem: 'k' + JSON.stringify([user, key]) },
      { projection: LEDGER_PROJECTION }
    );
  }
  async ledgerEntries(filter: LedgerFilter): Promise<LedgerEntry[]> {
    const q: Filter<LedgerDoc> = eq({
      dataset: filter.dataset,
      user: filter.user
    }) as Filter<LedgerDoc>;
    if (filter.afterSeq !== undefined) q.seq = { $gt: filter.afterSeq };
    let cursor = this.ledger()
      .find(q, { projection: LEDGER_PROJECTION })
      .sort({ dataset: 1, seq: 1 });
    const limit = checkLimit(filter.limit);
    if (limit !== undefined) {
      if (limit === 0) return [];
      cursor = cursor.limit(limit);
    }
    return cursor.toArray();
  }

  async addArchive(record: ArchiveRecord): Promise<void> {
    await insertOrConflict(
      this.col<ArchiveDoc>('archive'),
      { _id: record.queryId, ...archiveToDoc(record) },
      `Query "${record.queryId}"`
    );
  }
  async getArchive(queryId: string): Promise<ArchiveRecord | null> {
    const d = await this.col<ArchiveDoc>('archive').findOne(
      { _id: queryId },
      { projection: { _id: 0 } }
    );
    return d ? currentArchive(archiveFromDoc(d)) : null;
  }
  async listArchive(filter: {
    user?: string;
    dataset?: string;
    limit?: number;
  }): Promise<ArchiveRecord[]> {
    let cursor = this.col<ArchiveDoc>('archive')
      .find(eq(filter) as Filter<ArchiveDoc>, { projection: { _id: 0 } })
      .sort({ at: -1, _id: -1 });
    const limit = checkLimit(filter.limit);
    if (limit !== undefined) {
      if (limit === 0) return [];
      cursor = cursor.limit(limit);
    }
    return (await cursor.toArray()).map(d => currentArchive(archiveFromDoc(d)));
  }

  /** Slots are keyed by _id = [key, window, n]: the _id index is the unique index. */
  async takeRateSlot(slot: RateSlot): Promise<AppendResult> {
    const _id = JSON.stringify([slot.key, slot.window, slot.n]);
    try {
      await this.col<WithId<{ window: number }>>('rateSlots').insertOne({
        _id,
        window: slot.window
      });
      return 'ok';
    } catch (e) {
      if (e instanceof MongoServerError && e.code === DUPLICATE_KEY) return 'conflict';
      throw e;
    }
  }
  async purgeRateSlots(beforeWindow: number): Promise<number> {
    const r = await this.col<WithId<{ window: number }>>('rateSlots').deleteMany({
      window: { $lt: beforeWindow }
    });
    return r.deletedCount;
  }
}

/*
 * Free-form JSON (connector settings, dataset metadata, query plans and releases) is stored as a
 * JSON string: FerretDB 1.x rejects nested arrays, and user-chosen keys could start with "$".
 */
type DatasetDoc = WithId<
  Omit<DatasetRecord, 'connector' | 'metadata'> & { connector: string; metadata: string }
>;
type ArchiveDoc = WithId<
  Omit<ArchiveRecord, 'plan' | 'release' | 'sql'> & { plan: string; release: string; sql?: string }
>;

function datasetToDoc(d: DatasetRecord): DatasetDoc {
  return {
    _id: d.name,
    ...d,
    connector: JSON.stringify(d.connector),
    metadata: JSON.stringify(d.metadata)
  };
}
function datasetFromDoc(d: Omit<DatasetDoc, '_id'>): DatasetRecord {
  return {
    ...d,
    connector: JSON.parse(d.connector),
    metadata: JSON.parse(d.metadata)
  } as DatasetRecord;
}
function archiveToDoc(a: ArchiveRecord): Omit<ArchiveDoc, '_id'> {
  const { sql, ...rest } = a;
  return {
    ...rest,
    plan: JSON.stringify(a.plan ?? null),
    release: JSON.stringify(a.release ?? null),
    ...(sql !== undefined ? { sql: JSON.stringify(sql) } : {})
  };
}
function archiveFromDoc(d: Omit<ArchiveDoc, '_id'>): ArchiveRecord {
  const { sql, ...rest } = d;
  return {
    ...rest,
    plan: JSON.parse(d.plan),
    release: JSON.parse(d.release),
    ...(sql !== undefined ? { sql: JSON.parse(sql) } : {})
  } as ArchiveRecord;
}

const LEDGER_PROJECTION = { _id: 0, idem: 0 } as const;

/** Equality filter on the given string fields only (values are strings, never operators). */
function eq(filter: { user?: string; dataset?: string }): Record<string, string> {
  const q: Record<string, string> = {};
  if (filter.user !== undefined) q.user = String(filter.user);
  if (filter.dataset !== undefined) q.dataset = String(filter.dataset);
  return q;
}

async function insertOrConflict<T extends Document>(
  col: Collection<T>,
  doc: T,
  what: string
): Promise<void> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await col.insertOne(doc as any);
  } catch (e) {
    if (e instanceof MongoServerError && e.code === DUPLICATE_KEY) throw conflict(what);
    throw e;
  }
}

/** The database named in a mongodb:// URI path, if any. */
export function dbNameFromUri(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(uri);
  return m ? decodeURIComponent(m[1]) : undefined;
}
