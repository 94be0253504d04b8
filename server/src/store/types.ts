import type {
  AccountingMode,
  Budget,
  DatasetMetadata,
  ErrorCode,
  SqlRecord
} from 'lomas-kernel/protocol';

/**
 * The persistence seam. Two implementations (embedded SQLite, MongoDB) pass one contract suite
 * (server/test/store/contract.ts); an in-memory one serves unit tests.
 * Every method is a single-document/row operation that both stores perform atomically; the
 * privacy ledger's safety rests only on the unique index behind appendLedgerEntry.
 *
 * Error conventions (LomasError from 'lomas-kernel/protocol'): creating something that exists
 * (createUser, addKey, addArchive) throws CONFLICT; changing something missing (setUserActive,
 * revokeKey, deleteDataset) throws NOT_FOUND; put* are upserts; get* return null when missing.
 * Lists are ordered: users/datasets by name, keys by createdAt then id, grants by (dataset, user),
 * ledger entries by (dataset, seq), archive newest first.
 */

export type Role = 'analyst' | 'admin';

export interface UserRecord {
  name: string;
  role: Role;
  active: boolean;
  createdAt: string;
}

/** An API key: `lomas_<id>_<secret>`; only a salted hash of the secret is stored. */
export interface ApiKeyRecord {
  id: string;
  user: string;
  salt: string;
  hash: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Where a dataset's rows come from; the connector module interprets `kind`. */
export interface ConnectorSettings {
  kind: string;
  [setting: string]: unknown;
}

export interface DatasetRecord {
  name: string;
  description?: string;
  connector: ConnectorSettings;
  metadata: DatasetMetadata;
  accounting: AccountingMode;
  /** For zcdp datasets: the δ at which ρ is shown as ε. Decimal string. */
  delta?: string;
  /** Dataset-wide cap across all analysts, or null for none. */
  cap: Budget | null;
  /** Bumped on every update; caches keyed on it are invalidated. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface GrantRecord {
  user: string;
  dataset: string;
  /** Initial budget granted (exact decimal strings). */
  budget: Budget;
  createdAt: string;
  updatedAt: string;
}

/**
 * One append-only entry of the privacy ledger. Entries are numbered per dataset (seq = 1, 2, …);
 * the unique index on (dataset, seq) is the atomic step: two writers cannot both append seq n.
 * Totals after the entry are carried so that the latest entry answers "how much is spent".
 * Amounts are exact fractions "num/den" (reduced; rho always present), see ledger/amount.
 *
 * kind 'charge': a query's cost. kind 'grant': the user's grant was set to `userGrant` (cost 0).
 * kind 'cap': the dataset-wide cap was set to `datasetCap` (cost 0). Grant and cap changes go
 * through the same seq as charges, so they are serialised with them (see ledger/index.ts).
 */
export interface LedgerEntry {
  dataset: string;
  seq: number;
  user: string;
  kind: 'charge' | 'grant' | 'cap';
  cost: Budget;
  /** Sum of all charges on the dataset up to and including this entry. */
  datasetSpent: Budget;
  /** Sum of this user's charges on the dataset up to and including this entry. */
  userSpent: Budget;
  /**
   * The user's grant as last set through the ledger (carried forward on every entry of the user),
   * or null when grants of this user were never set through the ledger.
   */
  userGrant?: Budget | null;
  /** The dataset cap as last set through the ledger (carried forward), or null when never set. */
  datasetCap?: Budget | null;
  /** Who made a grant/cap change (admin user name); absent on charges. */
  actor?: string;
  queryId: string;
  idempotencyKey: string | null;
  /** Hash of the request that produced the entry (detects idempotency-key reuse). */
  requestHash: string;
  at: string;
  prevHash: string;
  hash: string;
}

export interface ArchiveRecord {
  queryId: string;
  user: string;
  dataset: string;
  at: string;
  /** 'failure': the query was charged, then failed; retries with its key get the same error. */
  kind: 'release' | 'failure';
  plan: unknown;
  /** Set when the query was sent as SQL: the text and what it compiled to besides the plan. */
  sql?: SqlRecord;
  /** The release (null for a failure). */
  release: unknown;
  error?: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  cost: Budget;
}

export interface LedgerFilter {
  dataset?: string;
  user?: string;
  afterSeq?: number;
  limit?: number;
}

export type AppendResult = 'ok' | 'conflict';

/**
 * One numbered slot of a rate limit shared by every server on the store: the n-th request
 * admitted for `key` (a credential) in fixed time window number `window`. The unique key
 * (key, window, n) is the atomic step, as (dataset, seq) is for the ledger: two servers cannot
 * both take slot n, so at most `limit` requests pass per window however many servers there are.
 */
export interface RateSlot {
  key: string;
  window: number;
  n: number;
}

export interface Store {
  readonly kind: 'embedded' | 'mongodb' | 'memory';
  init(): Promise<void>;
  close(): Promise<void>;

  createUser(user: UserRecord): Promise<void>;
  getUser(name: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  setUserActive(name: string, active: boolean): Promise<void>;

  addKey(key: ApiKeyRecord): Promise<void>;
  getKey(id: string): Promise<ApiKeyRecord | null>;
  listKeys(user: string): Promise<ApiKeyRecord[]>;
  revokeKey(id: string, at: string): Promise<void>;

  putDataset(dataset: DatasetRecord): Promise<void>;
  getDataset(name: string): Promise<DatasetRecord | null>;
  listDatasets(): Promise<DatasetRecord[]>;
  deleteDataset(name: string): Promise<void>;

  putGrant(grant: GrantRecord): Promise<void>;
  getGrant(user: string, dataset: string): Promise<GrantRecord | null>;
  listGrants(filter: { user?: string; dataset?: string }): Promise<GrantRecord[]>;

  lastLedgerEntry(dataset: string): Promise<LedgerEntry | null>;
  lastLedgerEntryOfUser(dataset: string, user: string): Promise<LedgerEntry | null>;
  /**
   * 'conflict' when (dataset, seq) or (user, idempotencyKey) already exists. The ledger appends
   * seq 1, 2, 3… without gaps per dataset; stores may rely on that to find the latest entries
   * (the MongoDB store does: FerretDB cannot use secondary indexes for lookups).
   */
  appendLedgerEntry(entry: LedgerEntry): Promise<AppendResult>;
  /**
   * Resolves once every write this store has acknowledged would survive a power loss. An
   * appended ledger entry is visible and ordered at once (the atomic step needs no more), but may
   * reach disk only here: the ledger awaits flush() before anything that depends on an entry
   * leaves the server, so the embedded store syncs while a query computes. Stores whose
   * acknowledged writes are already durable resolve at once. A store whose sync failed may refuse
   * every later call: it can no longer tell what is on disk (the embedded store does).
   */
  flush(): Promise<void>;
  findLedgerEntryByIdempotencyKey(user: string, key: string): Promise<LedgerEntry | null>;
  /** Ordered by (dataset, seq); afterSeq keeps entries with seq > afterSeq; limit caps the count. */
  ledgerEntries(filter: LedgerFilter): Promise<LedgerEntry[]>;

  addArchive(record: ArchiveRecord): Promise<void>;
  getArchive(queryId: string): Promise<ArchiveRecord | null>;
  listArchive(filter: {
    user?: string;
    dataset?: string;
    limit?: number;
  }): Promise<ArchiveRecord[]>;

  /** 'conflict' when (key, window, n) was already taken, by this process or any other. */
  takeRateSlot(slot: RateSlot): Promise<AppendResult>;
  /** Forgets the slots of every window before `window`; returns how many were removed. */
  purgeRateSlots(beforeWindow: number): Promise<number>;
}
