/**
 * Exact privacy costs and budgets. Three measures:
 *  - 'pure':   ε-DP
 *  - 'approx': (ε, δ)-DP
 *  - 'zcdp':   δ-approximate ρ-zCDP (δ = 0 is plain ρ-zCDP; δ > 0 comes from key thresholds)
 * Every amount is an exact Rational. Composition is basic (amounts add), which is exact for ρ and
 * for pure ε.
 */
import { invalidParameter, privacyRule } from '../errors';
import { nonNegative, Rational, RationalLike, toDecimal, toFraction } from '../rational';
import { zcdpToApprox } from './conversions';

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

export interface ConversionOptions {
  /**
   * For a zCDP cost charged to an (ε, δ) budget: the δ spent on the conversion (ρ → ε at this δ,
   * by the tight CKS20 conversion, rounded up). Required in that case.
   */
  conversionDelta?: RationalLike;
}

/**
 * Expresses a cost in the measure of a dataset's accounting mode, conservatively:
 *  pure → zcdp: ρ = ε²/2 (BS16 Prop. 1.4), exact;
 *  approx (ε, δ) → zcdp: δ-approximate ε²/2-zCDP (Bun & Steinke 2016, §8 approximate zCDP), exact;
 *  pure → approx: (ε, 0);
 *  zcdp (ρ, δ₀) → approx: (ε(ρ, δ'), δ₀ + δ') with ε rounded up (needs conversionDelta = δ');
 *  anything but pure → pure: refused with PRIVACY_RULE.
 */
export function toMode(cost: Cost, mode: AccountingMode, options: ConversionOptions = {}): Cost {
  if (mode === 'pure') {
    if (cost.measure === 'pure') return cost;
    if (cost.measure === 'approx' && cost.delta.isZero()) return pureCost(cost.epsilon);
    throw privacyRule(
      'pure-dp-dataset',
      'this dataset is accounted in pure ε-DP, and this query needs δ > 0 or zCDP noise.',
      'Use Laplace noise and public group keys, or ask an administrator for an (ε, δ) or zCDP dataset.'
    );
  }
  if (mode === 'zcdp') {
    if (cost.measure === 'zcdp') return cost;
    const eps = cost.epsilon;
    const delta = cost.measure === 'approx' ? cost.delta : Rational.ZERO;
    return { measure: 'zcdp', rho: eps.mul(eps).divInt(2n), delta };
  }
  // approx
  if (cost.measure === 'approx') return cost;
  if (cost.measure === 'pure')
    return { measure: 'approx', epsilon: cost.epsilon, delta: Rational.ZERO };
  if (cost.rho.isZero()) return { measure: 'approx', epsilon: Rational.ZERO, delta: cost.delta };
  if (options.conversionDelta === undefined) {
    throw invalidParameter(
      'delta',
      'is needed to charge zCDP noise to an (ε, δ) budget',
      'Give the query a δ (e.g. 1e-7) or use Laplace noise.'
    );
  }
  const dPrime = nonNegative(options.conversionDelta, 'delta');
  if (dPrime.isZero())
    throw invalidParameter('delta', 'must be greater than 0 to convert zCDP to (ε, δ)');
  const eps = zcdpToApprox(cost.rho, dPrime);
  return { measure: 'approx', epsilon: eps, delta: checkDelta(cost.delta.add(dPrime)) };
}

/** Basic composition: the cost of running all of `costs` (converted to `mode`). */
export function compose(
  costs: readonly Cost[],
  mode?: AccountingMode,
  options: ConversionOptions = {}
): Cost {
  const target: AccountingMode =
    mode ??
    (costs.some(c => c.measure === 'zcdp')
      ? 'zcdp'
      : costs.some(c => c.measure === 'approx')
        ? 'approx'
        : 'pure');
  let total = zeroCost(target);
  for (const c0 of costs) {
    const c = toMode(c0, target, options);
    total = add(total, c);
  }
  return total;
}

function add(a: Cost, b: Cost): Cost {
  if (a.measure === 'pure' && b.measure === 'pure')
    return { measure: 'pure', epsilon: a.epsilon.add(b.epsilon) };
  if (a.measure === 'approx' && b.measure === 'approx') {
    return { measure: 'approx', epsilon: a.epsilon.add(b.epsilon), delta: a.delta.add(b.delta) };
  }
  if (a.measure === 'zcdp' && b.measure === 'zcdp') {
    return { measure: 'zcdp', rho: a.rho.add(b.rho), delta: a.delta.add(b.delta) };
  }
  throw new Error(`cannot add ${a.measure} to ${b.measure}`);
}

/** Scales a cost by an integer factor (k-fold composition). */
export function scaleCost(c: Cost, k: bigint): Cost {
  if (c.measure === 'pure') return { measure: 'pure', epsilon: c.epsilon.mulInt(k) };
  if (c.measure === 'approx')
    return { measure: 'approx', epsilon: c.epsilon.mulInt(k), delta: c.delta.mulInt(k) };
  return { measure: 'zcdp', rho: c.rho.mulInt(k), delta: c.delta.mulInt(k) };
}

function components(c: Cost): Rational[] {
  return c.measure === 'pure'
    ? [c.epsilon]
    : c.measure === 'approx'
      ? [c.epsilon, c.delta]
      : [c.rho, c.delta];
}

/**
 * Does `cost` fit in `remaining` (both in, or converted to, the measure of `mode`)? Exact
 * comparison, every component must fit. Use roundCostUp / roundRemainingDown first when the
 * amounts come from or go to decimal storage.
 */
export function fits(
  cost: Cost,
  remaining: Cost,
  mode: AccountingMode,
  options: ConversionOptions = {}
): boolean {
  const c = components(toMode(cost, mode, options));
  const r = components(toMode(remaining, mode, options));
  return c.every((x, i) => x.lte(r[i]));
}

/** remaining − cost, exactly (throws if it does not fit). */
export function subtract(
  remaining: Cost,
  cost: Cost,
  mode: AccountingMode,
  options: ConversionOptions = {}
): Cost {
  if (!fits(cost, remaining, mode, options))
    throw new RangeError('cost does not fit in remaining budget');
  const c = toMode(cost, mode, options);
  const r = toMode(remaining, mode, options);
  if (r.measure === 'pure' && c.measure === 'pure')
    return { measure: 'pure', epsilon: r.epsilon.sub(c.epsilon) };
  if (r.measure === 'approx' && c.measure === 'approx') {
    return { measure: 'approx', epsilon: r.epsilon.sub(c.epsilon), delta: r.delta.sub(c.delta) };
  }
  if (r.measure === 'zcdp' && c.measure === 'zcdp') {
    return { measure: 'zcdp', rho: r.rho.sub(c.rho), delta: r.delta.sub(c.delta) };
  }
  throw new Error('unreachable');
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
