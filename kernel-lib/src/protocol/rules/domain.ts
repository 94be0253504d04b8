import type { ArithOp, Domain, ValueType } from './types';

/**
 * Interval arithmetic on PUBLIC domains. Used to give derived columns bounds (and categories)
 * that follow from the metadata alone; recomputed at every node, never copied from an input
 * column. A domain is a claim used for utility (clamping bounds, public key sets): the engine
 * clamps to the bounds it aggregates with, so a wrong claim can cost accuracy, never privacy.
 */

const LIMIT = 2 ** 53;

function finiteOrUndef(x: number | undefined): number | undefined {
  return x !== undefined && Number.isFinite(x) && Math.abs(x) <= Number.MAX_VALUE ? x : undefined;
}

export function hasBounds(d: Domain): d is Domain & { lower: number; upper: number } {
  return d.lower !== undefined && d.upper !== undefined;
}

export function bounded(
  lower: number | undefined,
  upper: number | undefined,
  nullable: boolean,
  intResult = false
): Domain {
  let lo = finiteOrUndef(lower);
  let hi = finiteOrUndef(upper);
  if (intResult) {
    // Integer results beyond ±2^53 are not exactly representable in JS; drop such bounds.
    if (lo !== undefined && (lo < -LIMIT || lo > LIMIT)) lo = undefined;
    if (hi !== undefined && (hi < -LIMIT || hi > LIMIT)) hi = undefined;
  }
  if (lo === undefined || hi === undefined) return { nullable };
  return { lower: lo, upper: hi, nullable };
}

export function unionDomains(a: Domain, b: Domain): Domain {
  const nullable = a.nullable || b.nullable;
  const out: Domain = { nullable };
  if (hasBounds(a) && hasBounds(b)) {
    out.lower = Math.min(a.lower, b.lower);
    out.upper = Math.max(a.upper, b.upper);
  }
  if (a.categories && b.categories)
    out.categories = [...new Set([...a.categories, ...b.categories])];
  return out;
}

/** Interval for a binary arithmetic op; `nullable` is set where the op can produce NULL. */
export function arithDomain(op: ArithOp, a: Domain, b: Domain, resultType: ValueType): Domain {
  const nullable = a.nullable || b.nullable;
  const isInt = resultType === 'int';
  if (!hasBounds(a) || !hasBounds(b)) {
    // Unknown bounds: integer ops may overflow (→ NULL), division by zero → NULL.
    return { nullable: nullable || isInt || op === '/' || op === '%' };
  }
  let d: Domain;
  switch (op) {
    case '+':
      d = bounded(a.lower + b.lower, a.upper + b.upper, nullable, isInt);
      break;
    case '-':
      d = bounded(a.lower - b.upper, a.upper - b.lower, nullable, isInt);
      break;
    case '*': {
      const ps = [a.lower * b.lower, a.lower * b.upper, a.upper * b.lower, a.upper * b.upper];
      d = bounded(Math.min(...ps), Math.max(...ps), nullable, isInt);
      break;
    }
    case '/': {
      const zero = b.lower <= 0 && b.upper >= 0;
      if (zero) {
        // The divisor can be 0 (→ NULL); quotients by values near 0 are unbounded.
        return { nullable: true };
      }
      const qs = [a.lower / b.lower, a.lower / b.upper, a.upper / b.lower, a.upper / b.upper];
      d = bounded(Math.min(...qs), Math.max(...qs), nullable);
      break;
    }
    case '%': {
      // JS/DuckDB remainder: sign of the dividend, |r| < |divisor|, |r| ≤ |dividend|.
      const m = Math.max(Math.abs(b.lower), Math.abs(b.upper));
      const zero = b.lower <= 0 && b.upper >= 0;
      const lo = a.lower >= 0 ? 0 : Math.max(-m, a.lower);
      const hi = a.upper <= 0 ? 0 : Math.min(m, a.upper);
      d = bounded(lo, hi, nullable || zero, isInt);
      break;
    }
  }
  // Integer overflow (→ NULL) is impossible when the result bounds are within ±2^53.
  if (isInt && !hasBounds(d)) d.nullable = true;
  return d;
}

export function negDomain(a: Domain, isInt: boolean): Domain {
  return hasBounds(a)
    ? bounded(-a.upper, -a.lower, a.nullable, isInt)
    : { nullable: a.nullable || isInt };
}

/** Monotone non-decreasing function applied to an interval. */
export function monotone(
  a: Domain,
  f: (x: number) => number,
  isInt: boolean,
  extraNull = false
): Domain {
  if (!hasBounds(a)) return { nullable: a.nullable || extraNull };
  return bounded(f(a.lower), f(a.upper), a.nullable || extraNull, isInt);
}
