/** The rules of a query plan, run by the notebook builder (to fail early) and the server (as the authority). */
export { checkPlan, checkQueryShape, type CheckTarget } from './check';
export { checkStep } from './steps';
export { checkGroupBy } from './groupby';
export {
  checkAggregation,
  clampBounds,
  needsSumSquares,
  varianceBoundsError,
  varianceBoundsFit
} from './aggregations';
export {
  ACCURACY_TARGETS,
  accuracyTargetError,
  accuracyTooFine,
  checkNoiseRequest,
  conversionDeltaError,
  gaussianNeedsDelta,
  rhoNeedsGaussian,
  type NoiseRequest,
  type NoiseTarget
} from './budget';
export { checkExpr, show as showExpr } from './expr';
export { columnOf, scopeOf, type CheckContext, type Scope } from './scope';
export { gridFor, quantileCandidates, SCALED_BITS } from './grid';
export { FUNCTION_RULES, type FunctionRule } from './functions';
export {
  boundsRule,
  deltaLimitRule,
  invalidPlan,
  publicCategoriesRule,
  publicKeysRule,
  pureDatasetRule,
  typeMismatch,
  unknownColumn,
  type PrivacyRuleName,
  type PureRefusal,
  exactSumRange,
  embeddedEngineOnly
} from './messages';
export * from './types';
