/**
 * Exact privacy costs and budgets. Three measures, one per accounting mode:
 *  - 'pure':   ε-DP
 *  - 'approx': (ε, δ)-DP
 *  - 'zcdp':   δ-approximate ρ-zCDP (δ = 0 is plain ρ-zCDP; δ > 0 comes from key thresholds)
 * Every amount is an exact Rational. Composition is basic (amounts add; PROOF.md §4). Costs are
 * stated by measurements (../measurement.ts), never computed here from a budget request;
 * conversions between measures live in casts.ts.
 */
import { invalidParameter } from '../errors';
import { nonNegative, Rational, RationalLike, toDecimal, toFraction } from '../rational';

export type AccountingMode = 'pure' | 'approx' | 'zcdp';

export type Cost =
  | { readonly measure: 'pure'; readonly epsilon: Rational }
  | { readonly measure: 'approx'; readonly epsilon: Rational; readonly delta: Rational }
  | { readonly measure: 'zcdp'; readonly rho: Rational; readonly delta: Rational };

const ONE = Rational.ONE;

function checkDelta(delta: Rational, parameter = 'delta'): Rational {
  if (delta.gte(ONE))
    throw invalidParameter(parameter, 'must be below 1', 'Use a δ far below 1/n, e.g. 1e-6.');
  return delta;
}

export function pureCost(epsilon: RationalLike): Cost {
  return { measure: 'pure', epsilon: nonNegative(epsilon, 'epsilon') };
}

export function approxCost(epsilon: RationalLike, delta: RationalLike): Cost {
  return {
    measure: 'approx',
    epsilon: nonNegative(epsilon, 'epsilon'),
    delta: checkDelta(nonNegative(delta, 'delta'))
  };
}

export function zcdpCost(rho: RationalLike, delta: RationalLike = Rational.ZERO): Cost {
  return {
    measure: 'zcdp',
    rho: nonNegative(rho, 'rho'),
    delta: checkDelta(nonNegative(delta, 'delta'))
  };
}

/** The zero cost in a mode's measure. */
export function zeroCost(mode: AccountingMode): Cost {
  if (mode === 'pure') return { measure: 'pure', epsilon: Rational.ZERO };
  if (mode === 'approx') return { measure: 'approx', epsilon: Rational.ZERO, delta: Rational.ZERO };
  return { measure: 'zcdp', rho: Rational.ZERO, delta: Rational.ZERO };
}

/** a + b (basic composition), both in the same measure. */
export function addCost(a: Cost, b: Cost): Cost {
  if (a.measure === 'pure' && b.measure === 'pure')
    return { measure: 'pure', epsilon: a.epsilon.add(b.epsilon) };
  if (a.measure === 'approx' && b.measure === 'approx') {
    return { measure: 'approx', epsilon: a.epsilon.add(b.epsilon), delta: a.delta.add(b.delta) };
  }
  if (a.measure === 'zcdp' && b.measure === 'zcdp') {
    return { measure: 'zcdp', rho: a.rho.add(b.rho), delta: a.delta.add(b.delta) };
  }
  throw new Error(`cannot add a ${b.measure} loss to a ${a.measure} loss: cast it first`);
}

/** Scales a cost by an integer factor (k-fold composition). */
export function scaleCost(c: Cost, k: bigint): Cost {
  if (c.measure === 'pure') return { measure: 'pure', epsilon: c.epsilon.mulInt(k) };
  if (c.measure === 'approx')
    return { measure: 'approx', epsilon: c.epsilon.mulInt(k), delta: c.delta.mulInt(k) };
  return { measure: 'zcdp', rho: c.rho.mulInt(k), delta: c.delta.mulInt(k) };
}

/** The dimensions of a cost in its measure: [ε] | [ε, δ] | [ρ, δ]. */
export function costComponents(c: Cost): Rational[] {
  return c.measure === 'pure'
    ? [c.epsilon]
    : c.measure === 'approx'
      ? [c.epsilon, c.delta]
      : [c.rho, c.delta];
}

function mapCost(c: Cost, f: (x: Rational) => Rational): Cost {
  if (c.measure === 'pure') return { measure: 'pure', epsilon: f(c.epsilon) };
  if (c.measure === 'approx')
    return { measure: 'approx', epsilon: f(c.epsilon), delta: f(c.delta) };
  return { measure: 'zcdp', rho: f(c.rho), delta: f(c.delta) };
}

const roundTo = (digits: number, mode: 'up' | 'down') => (x: Rational) =>
  Rational.of(
    mode === 'up'
      ? x.mul(Rational.of(10n ** BigInt(digits))).ceil()
      : x.mul(Rational.of(10n ** BigInt(digits))).floor(),
    10n ** BigInt(digits)
  );

/** Default decimal places of stored amounts. */
export const AMOUNT_DIGITS = 15;

/** Each component rounded UP to `digits` decimals (what is charged is never less than the cost). */
export function roundCostUp(c: Cost, digits = AMOUNT_DIGITS): Cost {
  return mapCost(c, roundTo(digits, 'up'));
}

/** Each component rounded DOWN to `digits` decimals (what remains is never overstated). */
export function roundRemainingDown(c: Cost, digits = AMOUNT_DIGITS): Cost {
  return mapCost(c, roundTo(digits, 'down'));
}

/** The wire Budget (lomas-kernel/protocol) of a cost: decimal strings rounded up, or exact fractions. */
export function costToBudget(
  c: Cost,
  format: 'decimal' | 'fraction' = 'decimal',
  digits = AMOUNT_DIGITS
): { epsilon: string; delta: string; rho?: string } {
  const s = (x: Rational) => (format === 'fraction' ? toFraction(x) : toDecimal(x, digits, 'up'));
  if (c.measure === 'pure') return { epsilon: s(c.epsilon), delta: '0' };
  if (c.measure === 'approx') return { epsilon: s(c.epsilon), delta: s(c.delta) };
  return { epsilon: '0', delta: s(c.delta), rho: s(c.rho) };
}
