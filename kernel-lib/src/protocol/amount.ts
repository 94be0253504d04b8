import { z } from 'zod';

/**
 * The one grammar of privacy amounts (ε, δ, ρ) that arrive from outside: plan budgets, key
 * discovery's δ, admin grants and caps. An amount is a non-negative decimal, optionally with an
 * exponent ("0.5", "0.00001", "1e-6", "2.5E3"), or a finite non-negative number read as its
 * shortest round-trip decimal (String(0.001) = "0.001", String(1e-7) = "1e-7"), never as a binary
 * float, so 1,000 charges of 0.001 fit exactly in 1.0. Amounts are read exactly by
 * {@link amountParts}; the server turns the parts into a big rational.
 *
 * Integer part: at most 1,100 digits without leading zeros; fraction: at most 1,100 digits;
 * exponent: at most 3 digits. Every finite non-negative number's String(x) fits, and so does the
 * plain decimal of every amount the grammar accepts (an amount "1e-300" is stored, and shown
 * back, as its 300-digit decimal), so what the server writes back reads with the same grammar.
 * The ledger's exact fractions "num/den" are its own storage format.
 */
export const AMOUNT_PATTERN = /^(0|[1-9]\d{0,1099})(?:\.(\d{1,1100}))?(?:[eE]([+-]?\d{1,3}))?$/;

const AMOUNT_RULE = 'a non-negative decimal such as "0.5" or "1e-6"';

/** The exact value of an amount: digits × 10^exponent. */
export interface AmountParts {
  digits: bigint;
  exponent: number;
}

/** Reads an amount exactly, or returns null when it does not follow the grammar. */
export function amountParts(x: unknown): AmountParts | null {
  let s: string;
  if (typeof x === 'number') {
    if (!Number.isFinite(x) || x < 0 || Object.is(x, -0)) return null;
    s = String(x);
  } else if (typeof x === 'string') s = x;
  else return null;
  const m = AMOUNT_PATTERN.exec(s);
  if (m === null) return null;
  const frac = m[2] ?? '';
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  return { digits: BigInt(m[1] + frac), exponent: exp - frac.length };
}

/** True when the amount is above zero (read exactly: "0.000" and 0 are not). */
export function isPositiveAmount(x: unknown): boolean {
  const p = amountParts(x);
  return p !== null && p.digits > 0n;
}

/** Compares an amount with 1 exactly (-1, 0, 1), or null when it is not an amount. */
export function compareAmountToOne(x: unknown): -1 | 0 | 1 | null {
  const p = amountParts(x);
  if (p === null) return null;
  const lhs = p.exponent >= 0 ? p.digits * 10n ** BigInt(p.exponent) : p.digits;
  const rhs = p.exponent >= 0 ? 1n : 10n ** BigInt(-p.exponent);
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

/** A privacy amount on the wire (see AMOUNT_PATTERN). */
export const Amount = z
  .union(
    [
      z.string().regex(AMOUNT_PATTERN, AMOUNT_RULE),
      z
        .number()
        .min(0, AMOUNT_RULE)
        .refine(x => amountParts(x) !== null, AMOUNT_RULE)
    ],
    { error: () => AMOUNT_RULE }
  )
  .meta({
    description:
      'An exact privacy amount: a non-negative decimal string ("0.5", "1e-6") or a finite non-negative number, read as its shortest decimal.',
    example: '0.5'
  });
export type Amount = string | number;
