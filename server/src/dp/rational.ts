import { amountParts } from 'lomas-kernel/protocol';
import { invalidParameter } from './errors';
import { bitLength } from './rng';

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  if (a === 0n) return b;
  if (b === 0n) return a;
  // Dyadic fast path (float-decoded values): gcd with a power of two is a power of two.
  if ((b & (b - 1n)) === 0n) return (a & -a) < b ? a & -a : b;
  if ((a & (a - 1n)) === 0n) return (b & -b) < a ? b & -b : a;
  while (b !== 0n) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

function toBig(x: bigint | number, what: string): bigint {
  if (typeof x === 'bigint') return x;
  if (!Number.isSafeInteger(x)) throw new RangeError(`${what} must be a safe integer, got ${x}`);
  return BigInt(x);
}

/**
 * An exact rational number num/den on bigint, always in lowest terms with den > 0. Immutable.
 * Budgets, privacy parameters, scales and bounds are all Rationals: no float ever drifts.
 */
export class Rational {
  private constructor(
    readonly num: bigint,
    readonly den: bigint
  ) {}

  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);

  /** num/den reduced to lowest terms. Integers given as numbers must be safe integers. */
  static of(num: bigint | number, den: bigint | number = 1n): Rational {
    let n = toBig(num, 'numerator');
    let d = toBig(den, 'denominator');
    if (d === 0n) throw new RangeError('denominator is zero');
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    const g = gcd(n, d);
    return g === 1n ? new Rational(n, d) : new Rational(n / g, d / g);
  }

  /** 2^k exactly (k may be negative). */
  static pow2(k: number): Rational {
    return k >= 0 ? new Rational(1n << BigInt(k), 1n) : new Rational(1n, 1n << BigInt(-k));
  }

  add(o: Rational): Rational {
    if (this.den === o.den) return Rational.of(this.num + o.num, this.den);
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    if (this.den === o.den) return Rational.of(this.num - o.num, this.den);
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Rational): Rational {
    return Rational.of(this.num * o.num, this.den * o.den);
  }
  div(o: Rational): Rational {
    if (o.num === 0n) throw new RangeError('division by zero');
    return Rational.of(this.num * o.den, this.den * o.num);
  }
  mulInt(k: bigint | number): Rational {
    return Rational.of(this.num * toBig(k, 'factor'), this.den);
  }
  divInt(k: bigint | number): Rational {
    return Rational.of(this.num, this.den * toBig(k, 'divisor'));
  }
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }
  abs(): Rational {
    return this.num < 0n ? this.neg() : this;
  }
  inv(): Rational {
    return Rational.of(this.den, this.num);
  }
  /** this^k for an integer k (negative k inverts). */
  pow(k: number): Rational {
    if (!Number.isSafeInteger(k)) throw new RangeError('exponent must be an integer');
    const e = BigInt(Math.abs(k));
    const r = new Rational(this.num ** e, this.den ** e);
    return k < 0 ? r.inv() : r;
  }

  compare(o: Rational): -1 | 0 | 1 {
    const l = this.num * o.den;
    const r = o.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  eq(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }
  lt(o: Rational): boolean {
    return this.compare(o) < 0;
  }
  lte(o: Rational): boolean {
    return this.compare(o) <= 0;
  }
  gt(o: Rational): boolean {
    return this.compare(o) > 0;
  }
  gte(o: Rational): boolean {
    return this.compare(o) >= 0;
  }
  min(o: Rational): Rational {
    return this.lte(o) ? this : o;
  }
  max(o: Rational): Rational {
    return this.gte(o) ? this : o;
  }
  sign(): -1 | 0 | 1 {
    return this.num < 0n ? -1 : this.num > 0n ? 1 : 0;
  }
  isZero(): boolean {
    return this.num === 0n;
  }
  isInteger(): boolean {
    return this.den === 1n;
  }

  /** Largest integer <= this. */
  floor(): bigint {
    const q = this.num / this.den;
    return this.num < 0n && q * this.den !== this.num ? q - 1n : q;
  }
  /** Smallest integer >= this. */
  ceil(): bigint {
    const q = this.num / this.den;
    return this.num > 0n && q * this.den !== this.num ? q + 1n : q;
  }
  /** Nearest integer, ties away from zero. */
  round(): bigint {
    const twice = Rational.of(
      2n * this.num + (this.num < 0n ? -this.den : this.den),
      2n * this.den
    );
    return this.num < 0n ? twice.ceil() : twice.floor();
  }

  /** "num/den" (or "num" for integers). */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
  toJSON(): string {
    return toFraction(this);
  }
}

/** Shorthand for Rational.of. */
export function rat(num: bigint | number, den: bigint | number = 1n): Rational {
  return Rational.of(num, den);
}

/**
 * Reads a privacy amount (ε, δ, ρ, a budget) as its EXACT decimal value, in the protocol's one
 * amount grammar (lomas-kernel/protocol, amount.ts). A number is read through String(x), its
 * shortest round-trip decimal, so 0.001 is exactly 1/1000 (never the double
 * 0.001000000000000000020816681711721685…). Rejects NaN, ±Infinity, negatives and anything that
 * is not a plain decimal, with INVALID_PARAMETER naming `parameter`. Zero is accepted (callers
 * that need a positive amount check it).
 */
export function parseAmount(x: string | number, parameter = 'amount'): Rational {
  const parts = amountParts(x);
  if (parts === null) {
    if (typeof x === 'number')
      throw invalidParameter(
        parameter,
        Number.isFinite(x) ? 'must not be negative' : 'must be a finite number',
        `Got ${x}.`
      );
    throw invalidParameter(
      parameter,
      'must be a non-negative decimal such as "0.5" or "1e-6"',
      typeof x === 'string' ? `Got "${x.slice(0, 40)}".` : undefined
    );
  }
  return scaled(parts.digits, parts.exponent);
}

/** digits · 10^exponent. */
function scaled(digits: bigint, exponent: number): Rational {
  return exponent >= 0
    ? Rational.of(digits * 10n ** BigInt(exponent))
    : Rational.of(digits, 10n ** BigInt(-exponent));
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * The exact value of a decimal this server wrote itself (toDecimal's output, stored grants):
 * any number of digits, no exponent. Not for input from outside (use parseAmount).
 */
export function readDecimal(s: string): Rational {
  const m = DECIMAL.exec(s);
  if (m === null) throw new RangeError(`not a decimal: "${s.slice(0, 40)}"`);
  const frac = m[3] ?? '';
  const r = scaled(BigInt(m[2] + frac), -frac.length);
  return m[1] === '-' ? r.neg() : r;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/**
 * The exact rational value of a finite double (decoded from its IEEE-754 bits): every double is
 * m·2^e. Use it for bounds and scales that arrive as numbers; use parseAmount for budgets.
 */
export function fromFloatExact(x: number, parameter = 'value'): Rational {
  if (!Number.isFinite(x))
    throw invalidParameter(parameter, 'must be a finite number', `Got ${x}.`);
  f64[0] = x;
  const bits = u64[0];
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const mant = biased === 0 ? frac : frac | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  const n = negative ? -mant : mant;
  return e >= 0 ? Rational.of(n << BigInt(e)) : Rational.of(n, 1n << BigInt(-e));
}

/** 2^k as a double (exact for -1074 <= k <= 1023). */
export function pow2Number(k: number): number {
  if (k > 1023) return Infinity;
  if (k < -1074) return 0;
  if (k >= -1022) u64[0] = BigInt(k + 1023) << 52n;
  else u64[0] = 1n << BigInt(k + 1074);
  return f64[0];
}

/** floor(log2(|r|)) for r != 0. */
export function floorLog2(r: Rational): number {
  const n = r.num < 0n ? -r.num : r.num;
  if (n === 0n) throw new RangeError('log2 of zero');
  let e = bitLength(n) - bitLength(r.den);
  // 2^e <= n/den < 2^(e+1) ?
  if (e >= 0 ? n < r.den << BigInt(e) : n << BigInt(-e) < r.den) e--;
  return e;
}

/** ceil(log2(|r|)) for r != 0. */
export function ceilLog2(r: Rational): number {
  const e = floorLog2(r);
  const p = Rational.pow2(e);
  return r.abs().eq(p) ? e : e + 1;
}

/**
 * The double nearest to r ('nearest', ties to even), or the largest double <= r ('down'), or the
 * smallest double >= r ('up'). Overflow gives ±Infinity (or ±MAX_VALUE when rounding toward zero).
 */
export function toNumber(r: Rational, mode: 'nearest' | 'up' | 'down' = 'nearest'): number {
  if (r.num === 0n) return 0;
  const negative = r.num < 0n;
  const a = r.abs();
  // Round |r| in the direction that maps to `mode` for r's sign.
  const amode = mode === 'nearest' ? 'nearest' : (mode === 'up') !== negative ? 'up' : 'down';
  const e = floorLog2(a);
  if (e > 1023) {
    const v = amode === 'down' ? Number.MAX_VALUE : Infinity;
    return negative ? -v : v;
  }
  // m = |r|·2^shift has 53 significant bits (normal) or sits on the 2^-1074 grid (subnormal).
  const shift = e >= -1022 ? 52 - e : 1074;
  const scaled = a.mul(Rational.pow2(shift));
  let m = scaled.floor();
  const exact = scaled.isInteger();
  if (!exact) {
    if (amode === 'up') m += 1n;
    else if (amode === 'nearest') {
      const twice = scaled.sub(Rational.of(m)).mulInt(2n);
      const c = twice.compare(Rational.ONE);
      if (c > 0 || (c === 0 && (m & 1n) === 1n)) m += 1n;
    }
  }
  // m <= 2^53 is exact as a double, and m·2^-shift is representable (or overflows to Infinity).
  let v = Number(m) * pow2Number(-shift);
  if (!Number.isFinite(v) && amode === 'down') v = Number.MAX_VALUE;
  return negative ? -v : v;
}

/**
 * r as a decimal string with at most `digits` digits after the point, rounded 'up' (toward +∞) or
 * 'down' (toward −∞). Trailing zeros are dropped. Use 'up' for costs and 'down' for remaining
 * budgets.
 */
export function toDecimal(r: Rational, digits: number, mode: 'up' | 'down'): string {
  if (!Number.isSafeInteger(digits) || digits < 0)
    throw new RangeError('digits must be a non-negative integer');
  const scaled = r.mul(Rational.of(10n ** BigInt(digits)));
  const n = mode === 'up' ? scaled.ceil() : scaled.floor();
  const negative = n < 0n;
  let s = (negative ? -n : n).toString();
  if (digits > 0) {
    s = s.padStart(digits + 1, '0');
    s = `${s.slice(0, -digits)}.${s.slice(-digits)}`.replace(/\.?0+$/, '');
  }
  return negative && s !== '0' ? `-${s}` : s;
}

/**
 * A non-negative r with `significant` significant digits, rounded 'up' or 'down': plain decimals
 * for magnitudes in [1e-6, 1e21), scientific notation ("2.5e-300") beyond, as JavaScript prints
 * numbers. Exact (no float) on the way.
 */
export function toSignificant(r: Rational, significant: number, mode: 'up' | 'down'): string {
  if (r.sign() < 0) throw new RangeError('toSignificant takes a non-negative rational');
  if (r.isZero()) return '0';
  // exponent e with 10^e <= r < 10^(e+1)
  let e = r.num.toString().length - r.den.toString().length;
  const pow10 = (k: number) =>
    k >= 0 ? Rational.of(10n ** BigInt(k)) : Rational.of(1n, 10n ** BigInt(-k));
  while (r.lt(pow10(e))) e--;
  while (r.gte(pow10(e + 1))) e++;
  const scaled = r.div(pow10(e - significant + 1));
  let m = mode === 'up' ? scaled.ceil() : scaled.floor();
  if (m.toString().length > significant) {
    m /= 10n;
    e++;
  }
  const digits = m.toString().replace(/0+$/, '') || '0';
  if (e >= -6 && e < 21) {
    const v = pow10(e - digits.length + 1).mul(Rational.of(BigInt(digits)));
    return toDecimal(v, Math.max(0, digits.length - 1 - e), mode);
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mant}e${e < 0 ? '-' : '+'}${Math.abs(e)}`;
}

/** Serialises r exactly as "num/den" (lowest terms; integers as "n/1"). */
export function toFraction(r: Rational): string {
  return `${r.num}/${r.den}`;
}

const FRACTION = /^(-?\d{1,2000})(?:\/(\d{1,2000}))?$/;

/** Parses "num/den" or "num" (as written by toFraction). */
export function parseFraction(s: string, parameter = 'fraction'): Rational {
  const m = typeof s === 'string' ? FRACTION.exec(s) : null;
  if (m === null)
    throw invalidParameter(
      parameter,
      'must be an exact fraction "num/den"',
      `Got "${String(s).slice(0, 40)}".`
    );
  const den = m[2] === undefined ? 1n : BigInt(m[2]);
  if (den === 0n) throw invalidParameter(parameter, 'denominator must not be zero');
  return Rational.of(BigInt(m[1]), den);
}

/** A Rational from a Rational, a decimal string or a number (exact decimal reading). */
export type RationalLike = Rational | string | number;

export function toRational(x: RationalLike, parameter: string): Rational {
  if (x instanceof Rational) return x;
  if (typeof x === 'string' && x.includes('/')) return parseFraction(x, parameter);
  return parseAmount(x, parameter);
}

/** Validates x > 0 (and finite, not NaN) and returns it as a Rational. */
export function positive(x: RationalLike, parameter: string): Rational {
  const r = toRational(x, parameter);
  if (r.sign() <= 0)
    throw invalidParameter(parameter, 'must be greater than 0', `Got ${describe(x)}.`);
  return r;
}

/** Validates x >= 0 and returns it as a Rational. */
export function nonNegative(x: RationalLike, parameter: string): Rational {
  const r = toRational(x, parameter);
  if (r.sign() < 0)
    throw invalidParameter(parameter, 'must not be negative', `Got ${describe(x)}.`);
  return r;
}

/** Validates 0 < x < 1. */
export function openUnit(x: RationalLike, parameter: string): Rational {
  const r = toRational(x, parameter);
  if (r.sign() <= 0 || r.gte(Rational.ONE)) {
    throw invalidParameter(parameter, 'must be strictly between 0 and 1', `Got ${describe(x)}.`);
  }
  return r;
}

function describe(x: RationalLike): string {
  return x instanceof Rational ? x.toString() : String(x);
}
