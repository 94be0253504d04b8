/**
 * DP models (one folder per model, each with its PROOF.md and statistical tests): every noisy step
 * is a measurement built before the data is read, and the ledger charges their composition.
 */
export {
  MODEL_BITS,
  ONE,
  normalise,
  fixed,
  fixedInteger,
  encode,
  integerBounds,
  denormalise,
  calibrateModel,
  type Bounds,
  type ModelBudget,
  type ModelCalibration,
  type NoisyStep
} from './common';
export { inertiaRow, type Metric } from './metric';
export {
  planLinear,
  releaseLinear,
  gramVector,
  linearStatistics,
  MAX_LINEAR_FEATURES,
  type LinearSpec,
  type LinearPlan,
  type LinearStatistics,
  type LinearFit
} from './linear';
export {
  planLogistic,
  fitLogistic,
  logisticRowGradient,
  logisticClass,
  logisticOracle,
  LOGIT_LIMIT,
  LOGISTIC_DEFAULTS,
  MAX_ITERATIONS,
  MAX_LOGISTIC_FEATURES,
  type LogisticSpec,
  type LogisticPlan,
  type LogisticOracle,
  type LogisticFit
} from './logistic';
export {
  planNaiveBayes,
  releaseNaiveBayes,
  releaseNaiveBayesAccuracy,
  predictNaiveBayes,
  naiveBayesStatistics,
  MAX_CLASSES,
  MAX_NB_FEATURES,
  type NaiveBayesSpec,
  type NaiveBayesPlan,
  type ClassStatistics,
  type NaiveBayesFit
} from './naive-bayes';
export {
  planKMeans,
  fitKMeans,
  kmeansOracle,
  nearest,
  defaultCentres,
  MAX_CLUSTERS,
  MAX_KMEANS_FEATURES,
  MAX_KMEANS_ITERATIONS,
  type KMeansSpec,
  type KMeansPlan,
  type KMeansOracle,
  type ClusterStatistics,
  type KMeansFit
} from './kmeans';
