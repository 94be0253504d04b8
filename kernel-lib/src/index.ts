/**
 * lomas-kernel: differentially private queries from a notebook.
 *
 *   const lomas = await connect();
 *   const r = await lomas.dataset('penguins').query().groupby('species').count({ epsilon: 0.5 }).run();
 */
export { connect, Lomas, type DatasetInfo } from './client/connect';
export { connectAdmin, LomasAdmin, type DatasetRegistration } from './client/admin';
export type { ConnectOptions } from './client/config';
export { Dataset } from './client/dataset';
export { QueryResult } from './client/result';
export { show } from './client/show';
export { Runner } from './client/runner';
export type { SqlQuery, SqlTag, SqlCallOptions } from './client/sql';
export {
  SyntheticRequestBuilder,
  SyntheticResult,
  compareChart,
  showChart,
  type SyntheticOptions,
  type CompareEncoding
} from './client/synthetic';
export { ModelBuilder, type ModelSpec } from './client/model';
export { Model } from './client/modelResult';
export * from './query';
export {
  LomasError,
  RESULT_MIME,
  type Budget,
  type BudgetStatus,
  type DatasetMetadata,
  type ErrorCode,
  type EstimateResponse,
  type QueryPlan,
  type ReleaseResponse,
  type ResultBundle,
  type SqlOptions,
  type SqlRequest
} from './protocol';
