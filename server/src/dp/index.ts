/**
 * The DP engine's public surface (see README.md in this folder). Everything a caller needs is
 * exported here; internal helpers stay in their modules.
 */
export type { Rng } from './rng';
export { cryptoRng, seededRng } from './rng';

export type { RationalLike } from './rational';
export {
  Rational,
  rat,
  parseAmount,
  fromFloatExact,
  toDecimal,
  toNumber,
  toFraction,
  parseFraction
} from './rational';

export {
  uniformBelow,
  bernoulliRational,
  bernoulliExp,
  geometric,
  sampleDiscreteLaplace,
  sampleDiscreteGaussian
} from './samplers';

export {
  DEFAULT_GRID_BITS,
  MIN_GRID,
  defaultGrid,
  clamp,
  roundToGrid,
  gridToNumber
} from './float';

export type { PrivacyUnit, Contributions } from './units';
export { contributions, unitFromMetadata } from './units';

export type { AccountingMode, Cost, ConversionOptions } from './accounting';
export {
  pureCost,
  approxCost,
  zcdpCost,
  zeroCost,
  toMode,
  compose,
  scaleCost,
  fits,
  subtract,
  roundCostUp,
  roundRemainingDown,
  costToBudget,
  AMOUNT_DIGITS,
  pureToZcdp,
  zcdpToApprox,
  zcdpToApproxSimple,
  approxToZcdp
} from './accounting';

export {
  alphaOf,
  discreteLaplaceHalfWidth,
  discreteGaussianHalfWidth,
  discreteLaplaceScaleFor,
  discreteGaussianSigmaFor
} from './accuracy';

export {
  LAPLACE,
  laplaceEpsilon,
  laplaceScale,
  laplaceIntegerVector,
  laplaceFloatVector,
  laplaceFloatEpsilon
} from './mechanisms/laplace';
export {
  GAUSSIAN,
  gaussianRho,
  gaussianSigma,
  gaussianIntegerVector,
  gaussianFloatVector,
  gaussianFloatRho
} from './mechanisms/gaussian';
export {
  PERMUTE_AND_FLIP,
  EXPONENTIAL,
  permuteAndFlip,
  exponentialMechanism,
  selectionEpsilon,
  selectionRho
} from './mechanisms/permute-and-flip';
export { thresholdFor, thresholdDelta, releaseAboveThreshold } from './mechanisms/threshold';
export { quantileScores, quantileSensitivity } from './mechanisms/quantile';

export type {
  AggregationKind,
  AggregationSpec,
  AggregationPlan,
  StatisticPlan,
  GroupsSpec,
  BudgetSpec,
  AccuracySpec,
  GroupStatistics,
  ReleasedValue,
  Release,
  CountSpec
} from './aggregations';
export { planAggregation, releaseAggregation, planCount, releaseCount } from './aggregations';
