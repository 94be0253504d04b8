/**
 * Measure casts: a privacy loss stated in a mechanism's natural measure, expressed in the measure
 * of a dataset's accounting mode. Each cast cites its source; proofs in PROOF.md beside this file.
 *
 *   natural loss            → pure        → approx (ε, δ)                 → zcdp (ρ, δ)
 *   ε-DP                      ε             (ε, 0)                          (ε²/2, 0)        BS16 Prop 1.4
 *   ρ-zCDP + one-sided δ      refused       (ε(ρ, δ'), δ + δ')   CKS20 C13  (ρ, δ)           BS16 Def 8.1
 *   ε-DP + one-sided δ        refused       (ε, δ)                          (ε²/2, δ)        BS16 Prop 1.4, Def 8.1
 *
 * "One-sided δ" is the δ of a key threshold: the failure event concerns only groups that exist in
 * the larger of two neighbouring datasets and is independent of all other noise (PROOF.md §3).
 * Every δ in this engine is of that kind, so the casts above are sound for every loss it states.
 */
import { conversionDeltaError, pureDatasetRule } from 'lomas-kernel/protocol';
import { invalidParameter } from '../errors';
import { Rational, type RationalLike, nonNegative } from '../rational';
import { zcdpToApprox } from './conversions';
import type { AccountingMode, Cost } from './cost';

/** What a mechanism's proof gives, before any cast. */
export type NaturalLoss =
  | { kind: 'pure'; epsilon: Rational }
  /** ρ-zCDP outside a one-sided event of probability ≤ delta (delta = 0: plain zCDP). */
  | { kind: 'zcdp'; rho: Rational; delta: Rational }
  /** ε-DP outside a one-sided event of probability ≤ delta. */
  | { kind: 'pure-thresholded'; epsilon: Rational; delta: Rational };

export interface CastOptions {
  /** δ' spent converting zCDP noise to an (ε, δ) budget (required for that cast). */
  conversionDelta?: RationalLike;
}

/** A pure dataset cannot state a δ or a zCDP loss: the plan rule "pure-dp-dataset", re-asserted. */
function refusePure(natural: NaturalLoss): never {
  throw pureDatasetRule(natural.kind === 'zcdp' && natural.delta.isZero() ? 'rho' : 'discover');
}

function toApprox(natural: NaturalLoss, options: CastOptions): Cost {
  if (natural.kind === 'pure')
    return { measure: 'approx', epsilon: natural.epsilon, delta: Rational.ZERO };
  if (natural.kind === 'pure-thresholded')
    return { measure: 'approx', epsilon: natural.epsilon, delta: natural.delta };
  if (natural.rho.isZero())
    return { measure: 'approx', epsilon: Rational.ZERO, delta: natural.delta };
  // The plan rule (conversionDeltaError) re-asserted: ρ converts to (ε, δ) only at some δ'.
  if (options.conversionDelta === undefined) throw conversionDeltaError('this aggregation');
  const dPrime = nonNegative(options.conversionDelta, 'delta');
  if (dPrime.isZero()) throw conversionDeltaError('this aggregation');
  if (dPrime.gte(Rational.ONE))
    throw invalidParameter('delta', 'must be strictly between 0 and 1 to convert zCDP to (ε, δ)');
  return {
    measure: 'approx',
    epsilon: zcdpToApprox(natural.rho, dPrime),
    delta: natural.delta.add(dPrime)
  };
}

/** The loss of a mechanism in the measure of `mode` (see the table above). */
export function castLoss(
  natural: NaturalLoss,
  mode: AccountingMode,
  options: CastOptions = {}
): Cost {
  if (natural.kind !== 'pure' && natural.delta.gte(Rational.ONE))
    throw invalidParameter('delta', 'must be below 1');
  switch (mode) {
    case 'pure':
      if (natural.kind !== 'pure') refusePure(natural);
      return { measure: 'pure', epsilon: natural.epsilon };
    case 'approx':
      return toApprox(natural, options);
    case 'zcdp':
      if (natural.kind === 'zcdp')
        return { measure: 'zcdp', rho: natural.rho, delta: natural.delta };
      return {
        measure: 'zcdp',
        rho: natural.epsilon.mul(natural.epsilon).divInt(2n),
        delta: natural.kind === 'pure-thresholded' ? natural.delta : Rational.ZERO
      };
  }
}
