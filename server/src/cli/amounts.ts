/**
 * The ledger stores amounts as exact fractions ("20/1", "1/6"); people read decimals. A fraction
 * whose decimal ends is shown exactly ("20", "0.0001"); one that does not is shown to 12 decimals,
 * rounded up (amounts are privacy losses: never show less than was spent), with the exact
 * fraction beside it.
 */

const FRACTION = /^(\d{1,80})\/(\d{1,80})$/;
const ROUNDED_DIGITS = 12;

function decimal(num: bigint, den: bigint, digits: number, up: boolean): string {
  const scale = 10n ** BigInt(digits);
  let scaled = (num * scale) / den;
  if (up && (num * scale) % den !== 0n) scaled += 1n;
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** The number of decimals of num/den when finite (den has no prime factor but 2 and 5), else null. */
function finiteDigits(den: bigint): number | null {
  let twos = 0;
  let fives = 0;
  let d = den;
  for (; d % 2n === 0n; twos++) d /= 2n;
  for (; d % 5n === 0n; fives++) d /= 5n;
  return d === 1n ? Math.max(twos, fives) : null;
}

/** "20/1" → "20", "1/10000" → "0.0001", "1/6" → "0.166666666667 (exactly 1/6)"; others unchanged. */
export function fractionText(value: string): string {
  const m = FRACTION.exec(value);
  if (!m) return value;
  const [num, den] = [BigInt(m[1]), BigInt(m[2])];
  if (den === 0n) return value;
  const digits = finiteDigits(den);
  if (digits !== null) return decimal(num, den, digits, false);
  return `${decimal(num, den, ROUNDED_DIGITS, true)} (exactly ${value})`;
}

/** A copy of a JSON value with every "num/den" string shown as a decimal. */
export function withDecimals(value: unknown): unknown {
  if (typeof value === 'string') return fractionText(value);
  if (Array.isArray(value)) return value.map(withDecimals);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDecimals(v)]));
  return value;
}
