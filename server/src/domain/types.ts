import type { BudgetStatus, EstimateResponse, ReleaseResponse } from 'lomas-kernel/protocol';
import type { Principal } from '../http/principal';

/** What the analyst routes need from the domain. */
export interface QueryService {
  estimate(who: Principal, body: unknown): Promise<EstimateResponse>;
  dummy(who: Principal, body: unknown): Promise<ReleaseResponse>;
  run(who: Principal, body: unknown, idempotencyKey: string | null): Promise<ReleaseResponse>;
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
}
