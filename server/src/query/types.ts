import { PLAN_LIMITS } from 'lomas-kernel/protocol';

/**
 * The checked plan the SQL compiler and the engine read. Its types live with the plan rules in
 * lomas-kernel/protocol (rules/types.ts); they are re-exported here for the engine's modules.
 */
export type {
  AggOp,
  ArithOp,
  CheckedPlan,
  ColumnInfo,
  CompareOp,
  Domain,
  FixedPointGrid,
  FnName,
  KeyValue,
  RAggregation,
  RExpr,
  RGroupBy,
  RGroupKey,
  RStep,
  ValueType
} from 'lomas-kernel/protocol';
/** The checked plan's former name, still read by engine/execute.ts. */
export type { CheckedPlan as ResolvedPlan } from 'lomas-kernel/protocol';

/**
 * The engine's name for the key-discovery limit (engine/execute.ts reads it); its value is the
 * one table's, PLAN_LIMITS.discoveredGroups.
 */
export const LIMITS = { maxDiscoveredGroups: PLAN_LIMITS.discoveredGroups } as const;
