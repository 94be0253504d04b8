/**
 * Measurements (as OpenDP's `Measurement`: a function bound to its privacy map). A mechanism
 * constructor (mechanisms/*) returns ONE object holding both the release function (`invoke`) and
 * the privacy loss of exactly that function (`loss`), computed from the same sensitivity and the
 * same noise scale the function draws with. Nothing else states a loss: a caller cannot pair a
 * release with a cost computed elsewhere.
 *
 * A query's measurements compose through {@link compose}; the ledger charges the composed loss.
 * Every part of a composition must be stated in the same measure ("Intermediate measures don't
 * match" otherwise): build the parts in the dataset's measure, or compose zCDP parts first and
 * cast the composition once with {@link castComposition} (tighter for (ε, δ) datasets).
 */
import {
  addCost,
  castLoss,
  costComponents,
  zeroCost,
  type AccountingMode,
  type CastOptions,
  type Cost,
  type NaturalLoss
} from './accounting';
import type { Rational } from './rational';
import type { Rng } from './rng';

/** Anything that states a privacy loss in a measure. */
export interface Loss {
  readonly measure: AccountingMode;
  readonly loss: Cost;
}

export interface Measurement<I, O> extends Loss {
  /** The mechanism's identifier (discrete_laplace, discrete_gaussian, threshold, …). */
  readonly mechanism: string;
  /** The noise scale `invoke` draws with, in the input's integer units (σ for Gaussian). */
  readonly scale: Rational;
  /** The sensitivity the privacy map used (its norm is the mechanism's: L1, L2², L∞ of scores). */
  readonly sensitivity: Rational;
  /** Releases `input` with the noise the loss was computed from. */
  invoke(input: I, rng: Rng): O;
}

export interface MeasurementFields<I, O> {
  mechanism: string;
  measure: AccountingMode;
  natural: NaturalLoss;
  /**
   * The loss the caller calibrated for (e.g. the requested ρ when σ was rounded up). When given,
   * the privacy map's bound must be at most the claim in every dimension, and the claim is
   * stated: a valid, slightly looser bound (as OpenDP's Context charges the requested d_mid after
   * checking map(d_in) <= d_mid). A bound above the claim is an engine error and throws.
   */
  claim?: Cost;
  scale: Rational;
  sensitivity: Rational;
  cast?: CastOptions;
  invoke(input: I, rng: Rng): O;
}

/**
 * Builds a measurement: the loss is the mechanism's natural loss cast to `measure` (casts.ts);
 * the object is frozen so neither its function nor its loss can be swapped afterwards.
 */
export function makeMeasurement<I, O>(f: MeasurementFields<I, O>): Measurement<I, O> {
  const loss = certified(castLoss(f.natural, f.measure, f.cast), f.claim);
  return Object.freeze({
    mechanism: f.mechanism,
    measure: f.measure,
    loss,
    scale: f.scale,
    sensitivity: f.sensitivity,
    invoke: f.invoke
  });
}

/** The claim when the bound is within it (every dimension), else an engine error. */
function certified(bound: Cost, claim: Cost | undefined): Cost {
  if (claim === undefined) return bound;
  const b = costComponents(bound);
  const c = costComponents(claim);
  if (claim.measure !== bound.measure || b.some((x, i) => x.gt(c[i])))
    throw new Error(
      `privacy map above the calibrated claim: ${JSON.stringify(b.map(String))} > ${JSON.stringify(c.map(String))}`
    );
  return claim;
}

/** The sequential composition of measurements (and of earlier compositions). */
export interface Composition extends Loss {
  readonly parts: readonly Loss[];
}

/**
 * Basic sequential composition: the losses add, dimension by dimension (PROOF.md in accounting/:
 * ε and δ add for (ε, δ)-DP; ρ and δ add for δ-approximate zCDP). Every part must already be in
 * `measure`; a mismatch is a programming error and fails loudly, naming both measures.
 */
export function compose(parts: readonly Loss[], measure: AccountingMode): Composition {
  let loss = zeroCost(measure);
  parts.forEach((p, i) => {
    if (p.measure !== measure || p.loss.measure !== measure)
      throw new Error(
        `Intermediate measures don't match: part ${i} is stated in ${p.measure}, the composition in ${measure}`
      );
    loss = addCost(loss, p.loss);
  });
  return Object.freeze({ measure, loss, parts: Object.freeze([...parts]) });
}

/**
 * A zCDP composition charged to another measure: the composed (ρ, δ) is cast once (casts.ts), which
 * is tighter than casting each part. Same measure: returned as is.
 */
export function castComposition(
  c: Composition,
  measure: AccountingMode,
  options: CastOptions & { claim?: Cost } = {}
): Composition {
  if (c.measure === measure) return c;
  if (c.loss.measure !== 'zcdp')
    throw new Error(`a ${c.measure} composition is built in the dataset's measure, not cast`);
  const bound = castLoss({ kind: 'zcdp', rho: c.loss.rho, delta: c.loss.delta }, measure, options);
  return Object.freeze({ measure, loss: certified(bound, options.claim), parts: c.parts });
}
