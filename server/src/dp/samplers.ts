/**
 * Exact samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
 * (NeurIPS 2020, arXiv 2004.00010), Algorithms 1–3, on bigint rationals. No floating point touches
 * a probability: every coin is an exact Bernoulli(num/den) drawn from the injected Rng.
 *
 * Speed notes (see bench/dp-samplers.ts):
 * - Bernoulli(num/den) is drawn lazily: the binary expansion of num/den is compared bit by bit
 *   with fresh random bits, so it costs 2 random bits and 2 bigint steps on average, whatever the
 *   size of den (instead of a uniform draw below den).
 * - Rationals are not reduced inside the loops (no gcd on ~1,100-bit numbers).
 * - Integer-sized parameters (below 2^48) run on JS numbers; larger ones on bigint.
 * Timing is NOT constant: loop counts depend on the noise drawn (CKS20 §5.4). The server hides
 * latency at the API boundary.
 */
import { invalidParameter } from './errors';
import { Rational } from './rational';
import { entropy, Entropy, prepareBound, Rng, uniformBelow as uniformBelowRng } from './rng';

const SMALL = 2 ** 48;
const SMALL_BIG = BigInt(SMALL);
const TWO_52 = 2 ** 52;

// ---------------------------------------------------------------------------------------------
// Bernoulli(num/den): lazy comparison of a uniform U in [0,1) with the binary expansion of p.

function bernoulliNum(e: Entropy, num: number, den: number): boolean {
  // requires 0 <= num, 0 < den < 2^52 (so 2·rem stays exact)
  if (num <= 0) return false;
  if (num >= den) return true;
  let rem = num;
  for (;;) {
    rem *= 2;
    let pbit = 0;
    if (rem >= den) {
      pbit = 1;
      rem -= den;
    }
    if (e.bit() !== pbit) return pbit === 1; // U's bit 0 where p's bit is 1: U < p
    if (rem === 0) return false; // p's expansion ended: U >= p almost surely
  }
}

function bernoulliBig(e: Entropy, num: bigint, den: bigint): boolean {
  if (num <= 0n) return false;
  if (num >= den) return true;
  let rem = num;
  for (;;) {
    rem <<= 1n;
    let pbit = 0;
    if (rem >= den) {
      pbit = 1;
      rem -= den;
    }
    if (e.bit() !== pbit) return pbit === 1;
    if (rem === 0n) return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Bernoulli(exp(-x)) (CKS20 Algorithm 1).

/** Bern(exp(-num/den)) for 0 <= num/den <= 1 (numbers: den < 2^48). */
function bernoulliExp1Num(e: Entropy, num: number, den: number): boolean {
  let k = 1;
  for (;;) {
    const d = den * k;
    const success =
      d < TWO_52 ? bernoulliNum(e, num, d) : bernoulliBig(e, BigInt(num), BigInt(den) * BigInt(k));
    if (!success) return (k & 1) === 1;
    k++;
  }
}

function bernoulliExp1Big(e: Entropy, num: bigint, den: bigint): boolean {
  let k = 1n;
  for (;;) {
    if (!bernoulliBig(e, num, den * k)) return (k & 1n) === 1n;
    k++;
  }
}

/** Bern(exp(-num/den)) for any num/den >= 0, den > 0 (unreduced is fine). */
export function bernoulliExpRaw(e: Entropy, num: bigint, den: bigint): boolean {
  // exp(-(q + r/den)) = exp(-1)^q · exp(-r/den): independent coins, stop at the first failure.
  let q = num / den;
  const r = num - q * den;
  while (q > 0n) {
    if (!bernoulliExp1Num(e, 1, 1)) return false;
    q--;
  }
  if (den < SMALL_BIG) return bernoulliExp1Num(e, Number(r), Number(den));
  return bernoulliExp1Big(e, r, den);
}

// ---------------------------------------------------------------------------------------------
// Geometric.

/** Number of successes of Bern(exp(-1)) before the first failure. */
function geometricSlow1(e: Entropy): number {
  let k = 0;
  while (bernoulliExp1Num(e, 1, 1)) k++;
  return k;
}

/** P(G = k) ∝ exp(-k·s/t) for integers s, t > 0 (CKS20 Algorithm 2, geometric part). */
export function geometricRaw(e: Entropy, s: bigint, t: bigint): bigint {
  if (t < SMALL_BIG && s < SMALL_BIG) {
    const tn = Number(t);
    const sn = Number(s);
    let u: number;
    for (;;) {
      u = e.uniformSmall(tn);
      if (bernoulliExp1Num(e, u, tn)) break;
    }
    const v = geometricSlow1(e);
    const a = u + tn * v;
    if (a < TWO_52) {
      if (sn === 1) return BigInt(a);
      let q = Math.floor(a / sn);
      if (q * sn > a) q--;
      else if ((q + 1) * sn <= a) q++;
      return BigInt(q);
    }
    return (BigInt(u) + t * BigInt(v)) / s;
  }
  const bound = prepareBound(t);
  let u: bigint;
  for (;;) {
    u = e.uniformBelow(bound);
    if (bernoulliExp1Big(e, u, t)) break;
  }
  const v = geometricSlow1(e);
  return (u + t * BigInt(v)) / s;
}

// ---------------------------------------------------------------------------------------------
// Discrete Laplace and discrete Gaussian on raw integers.

/** Discrete Laplace with scale num/den (num >= 0, den > 0): P(z) ∝ exp(-|z|·den/num). */
export function discreteLaplaceRaw(e: Entropy, num: bigint, den: bigint): bigint {
  if (num === 0n) return 0n;
  for (;;) {
    const positive = e.bit() === 1;
    const mag = geometricRaw(e, den, num);
    if (positive) return mag;
    if (mag !== 0n) return -mag;
  }
}

/** Discrete Gaussian with sigma = sn/sd: P(z) ∝ exp(-z²/(2σ²)) (CKS20 Algorithm 3). */
export function discreteGaussianRaw(e: Entropy, sn: bigint, sd: bigint): bigint {
  if (sn === 0n) return 0n;
  const t = sn / sd + 1n; // floor(σ) + 1
  const sd2 = sd * sd;
  const sn2 = sn * sn;
  // bias = (|y| - σ²/t)² / (2σ²) = (|y|·t·sd² - sn²)² / (2·t²·sd²·sn²)
  const biasDen = 2n * t * t * sd2 * sn2;
  const tsd2 = t * sd2;
  for (;;) {
    const y = discreteLaplaceRaw(e, t, 1n);
    const ay = y < 0n ? -y : y;
    const d = ay * tsd2 - sn2;
    if (bernoulliExpRaw(e, d * d, biasDen)) return y;
  }
}

// ---------------------------------------------------------------------------------------------
// Public API on Rationals (validated).

function checkNonNegative(x: Rational, parameter: string): void {
  if (x.sign() < 0) throw invalidParameter(parameter, 'must not be negative', `Got ${x}.`);
}

/** Uniform bigint in [0, n) without modulo bias; n must be >= 1. */
export function uniformBelow(n: bigint, rng: Rng): bigint {
  if (typeof n !== 'bigint' || n < 1n) throw invalidParameter('n', 'must be a bigint >= 1');
  return uniformBelowRng(n, rng);
}

/** Exact Bernoulli(p) for a rational 0 <= p <= 1. */
export function bernoulliRational(p: Rational, rng: Rng): boolean {
  if (p.sign() < 0 || p.gt(Rational.ONE)) throw invalidParameter('p', 'must be between 0 and 1');
  return bernoulliBig(entropy(rng), p.num, p.den);
}

/** Exact Bernoulli(exp(-x)) for a rational x >= 0. */
export function bernoulliExp(x: Rational, rng: Rng): boolean {
  checkNonNegative(x, 'x');
  return bernoulliExpRaw(entropy(rng), x.num, x.den);
}

/** Exact geometric: P(G = k) = (1 - e^-x)·e^(-x·k) for k >= 0, rational x > 0. */
export function geometric(x: Rational, rng: Rng): bigint {
  if (x.sign() <= 0) throw invalidParameter('x', 'must be greater than 0');
  return geometricRaw(entropy(rng), x.num, x.den);
}

/**
 * Exact discrete Laplace: P(Z = z) = (1 - p)/(1 + p) · p^|z| with p = exp(-1/scale). scale = 0
 * gives 0 (no noise); negative scales are rejected.
 */
export function sampleDiscreteLaplace(scale: Rational, rng: Rng): bigint {
  checkNonNegative(scale, 'scale');
  return discreteLaplaceRaw(entropy(rng), scale.num, scale.den);
}

/** Exact discrete Gaussian: P(Z = z) ∝ exp(-z²/(2σ²)). sigma = 0 gives 0; negative rejected. */
export function sampleDiscreteGaussian(sigma: Rational, rng: Rng): bigint {
  checkNonNegative(sigma, 'sigma');
  return discreteGaussianRaw(entropy(rng), sigma.num, sigma.den);
}
