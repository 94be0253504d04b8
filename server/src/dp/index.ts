/** The DP engine's public surface. See README.md in this folder. */
export type { Rng } from './rng';
export { cryptoRng, seededRng } from './rng';
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
