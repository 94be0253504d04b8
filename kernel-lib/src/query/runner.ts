import type { EstimateResponse, ReleaseResponse } from '../protocol/result';
import type { QueryPlan } from '../protocol/plan';

export interface RunOptions {
  /** Sent as the Idempotency-Key header: a retried run with the same key is charged once. */
  idempotencyKey?: string;
  /** Draw progress and the result in the notebook (default: the connection's `display`). */
  display?: boolean;
}

/**
 * What a sendable query needs to reach the server. The notebook client implements it over HTTP
 * and may wrap the responses (E: what estimate resolves to, R: what dummy and run resolve to).
 */
export interface QueryRunner<E = EstimateResponse, R = ReleaseResponse> {
  /** Cost and accuracy of the plan. Free. */
  estimate(plan: QueryPlan): Promise<E>;
  /** The plan run on dummy data. Free. */
  dummy(plan: QueryPlan): Promise<R>;
  /** The plan run on the private data. Spends budget. */
  run(plan: QueryPlan, opts?: RunOptions): Promise<R>;
}
