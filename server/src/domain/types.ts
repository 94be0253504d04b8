import type {
  Budget,
  BudgetStatus,
  EstimateResponse,
  ReleaseResponse
} from 'lomas-kernel/protocol';
import type { Principal } from '../http/principal';

/** What the analyst routes need from the domain. */
export interface QueryService {
  estimate(who: Principal, body: unknown): Promise<EstimateResponse>;
  dummy(who: Principal, body: unknown): Promise<ReleaseResponse>;
  /** `signal` aborts when the client goes away: before its charge, the request is dropped. */
  run(
    who: Principal,
    body: unknown,
    idempotencyKey: string | null,
    signal?: AbortSignal
  ): Promise<ReleaseResponse>;
}

export interface DatasetSummary {
  name: string;
  description?: string;
  accounting: string;
}

export interface AnalystService {
  datasets(who: Principal): Promise<DatasetSummary[]>;
  metadata(who: Principal, dataset: string): Promise<unknown>;
  budget(who: Principal, dataset: string): Promise<BudgetStatus>;
  budgets(who: Principal): Promise<BudgetStatus[]>;
  history(who: Principal, dataset: string | undefined, limit: number): Promise<unknown[]>;
  dummyRows(who: Principal, dataset: string, rows: number, seed: number): Promise<unknown>;
  /** The charge made for my request with this Idempotency-Key; NOT_FOUND when there is none. */
  charge(who: Principal, idempotencyKey: string): Promise<ChargeStatus>;
}

/** GET /v1/charges/{idempotencyKey} (http/schemas.ts ChargeStatus). */
export interface ChargeStatus {
  idempotencyKey: string;
  queryId: string;
  dataset: string;
  at: string;
  cost: Budget;
  answer: 'pending' | 'release' | 'failure';
}
