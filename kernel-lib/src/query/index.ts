/** The fluent, typed query builder. */
export { QueryBuilder, GroupedQuery, SendableQuery } from './builder';
export type { AggregationList } from './builder';
export { agg } from './aggregate';
export type { AggregationRequest, Aggregators } from './aggregate';
export type { QueryRunner, RunOptions } from './runner';
export type {
  AggOptions,
  BudgetOptions,
  CountOptions,
  DeriveSpec,
  GroupByOptions,
  HistogramOptions,
  QueryOptions
} from './options';
export type { QueryMetadata, QueryTarget } from './state';
export type { DeriveInput } from './derive';
export { op } from '../expr/op';
export type { Op } from '../expr/op';
export { toExpr } from '../expr/parse';
export type { ExprInput, Params, ParamValue, Row, RowFunction } from '../expr/parse';
