import type {
  BudgetStatus,
  DatasetInfo,
  DatasetSummary,
  DummyRows,
  EstimateResponse,
  HistoryEntry,
  ReleaseResponse,
  SqlEstimateResponse,
  SqlRecord,
  SqlReleaseResponse
} from 'lomas-kernel/protocol';
import type { Role } from '../store/types';

/** Who is calling, established by the HTTP layer's authentication from the credential alone. */
export interface Principal {
  user: string;
  role: Role;
  /** What the caller signed in with (rate limits count per credential): `key:<key id>` or `oidc:<user>`. */
  credential: string;
}

/** What a charged query was written as, kept in the archive beside its plan. */
export interface QuerySource {
  sql?: SqlRecord;
}

/** What the analyst routes need from the domain. */
export interface QueryService {
  estimate(who: Principal, body: unknown): Promise<EstimateResponse>;
  dummy(who: Principal, body: unknown): Promise<ReleaseResponse>;
  run(
    who: Principal,
    body: unknown,
    idempotencyKey: string | null,
    source?: QuerySource
  ): Promise<ReleaseResponse>;
}

/** The SQL front end: compiles SQL into a plan, then answers it through the QueryService. */
export interface SqlService {
  estimate(who: Principal, body: unknown): Promise<SqlEstimateResponse>;
  dummy(who: Principal, body: unknown): Promise<SqlReleaseResponse>;
  run(who: Principal, body: unknown, idempotencyKey: string | null): Promise<SqlReleaseResponse>;
}

export interface AnalystService {
  datasets(who: Principal): Promise<DatasetSummary[]>;
  metadata(who: Principal, dataset: string): Promise<DatasetInfo>;
  budget(who: Principal, dataset: string): Promise<BudgetStatus>;
  budgets(who: Principal): Promise<BudgetStatus[]>;
  history(who: Principal, dataset: string | undefined, limit: number): Promise<HistoryEntry[]>;
  dummyRows(who: Principal, dataset: string, rows: number, seed: number): Promise<DummyRows>;
}
