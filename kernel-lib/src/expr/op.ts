/**
 * `op`: the helper namespace for functions in query expressions, e.g.
 * `.filter(d => op.year(d.date) >= 2020)`. Inside a query the call is never executed: the
 * expression parser reads it as data (`{ kind: 'call', fn: 'year', ... }`) and the server
 * evaluates it. The implementations below give the same answers locally (on dummy rows, in
 * tests), with dates read in UTC.
 */

type DateLike = Date | string | number;

function toDate(d: DateLike): Date {
  return d instanceof Date ? d : new Date(d);
}

export const op = {
  abs: (x: number): number => Math.abs(x),
  round: (x: number): number => Math.round(x),
  floor: (x: number): number => Math.floor(x),
  ceil: (x: number): number => Math.ceil(x),
  log: (x: number): number => Math.log(x),
  exp: (x: number): number => Math.exp(x),
  sqrt: (x: number): number => Math.sqrt(x),
  min: (...xs: number[]): number => Math.min(...xs),
  max: (...xs: number[]): number => Math.max(...xs),
  startsWith: (s: string, prefix: string): boolean => s.startsWith(prefix),
  endsWith: (s: string, suffix: string): boolean => s.endsWith(suffix),
  includes: (s: string, part: string): boolean => s.includes(part),
  lower: (s: string): string => s.toLowerCase(),
  upper: (s: string): string => s.toUpperCase(),
  length: (s: string): number => s.length,
  /** Calendar year, UTC. */
  year: (d: DateLike): number => toDate(d).getUTCFullYear(),
  /** Month 1–12, UTC. */
  month: (d: DateLike): number => toDate(d).getUTCMonth() + 1,
  /** Day of the month 1–31, UTC. */
  day: (d: DateLike): number => toDate(d).getUTCDate(),
  /** Hour 0–23, UTC. */
  hour: (d: DateLike): number => toDate(d).getUTCHours(),
  /** Day of the week, 0 = Sunday … 6 = Saturday, UTC. */
  weekday: (d: DateLike): number => toDate(d).getUTCDay()
};

export type Op = typeof op;
