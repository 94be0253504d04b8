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
  toSignificant,
  toNumber,
  toFraction,
  parseFraction
} from './rational';

// The raw samplers are not exported: noise reaches a release only through a measurement
// (measurement.ts, noise.ts). Tests and benchmarks import './samplers' directly.
export { uniformBelow } from './samplers';

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

export type { AccountingMode, Cost, CastOptions, NaturalLoss } from './accounting';
export {
  pureCost,
  approxCost,
  zcdpCost,
  zeroCost,
  addCost,
  scaleCost,
  castLoss,
  costComponents,
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

export type { Loss, Measurement, Composition } from './measurement';
export { makeMeasurement, compose, castComposition } from './measurement';
export type { NoiseDraw, NoiseFamily } from './noise';
export { observeNoise } from './noise';

export {
  LAPLACE,
  laplaceEpsilon,
  laplaceScale,
  makeLaplace,
  makeLaplaceFloat,
  laplaceFloatEpsilon
} from './mechanisms/laplace';
export {
  GAUSSIAN,
  gaussianRho,
  gaussianSigma,
  makeGaussian,
  makeGaussianFloat,
  gaussianFloatRho
} from './mechanisms/gaussian';
export {
  PERMUTE_AND_FLIP,
  EXPONENTIAL,
  makeSelection,
  selectionEpsilon,
  selectionRho
} from './mechanisms/permute-and-flip';
export { thresholdFor, thresholdDelta, makeThreshold } from './mechanisms/threshold';
export { quantileScores, quantileSensitivity } from './mechanisms/quantile';

export type {
  AggregationKind,
  AggregationSpec,
  NoisePlan,
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

export type {
  ColumnSpec,
  ColumnDomain,
  SynthesisSpec,
  SynthesisPlan,
  NoiseStage,
  MarginalCounts,
  Synthesis,
  SyntheticCell,
  MarginalReport
} from './synthetic';
export { discretise, binEdges, valueIndex, planSynthesis, synthesize } from './synthetic';
export * from './models';
