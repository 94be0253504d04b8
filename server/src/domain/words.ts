/** Numbers in the sentences of a release (accuracy, caveats): short, and read the same everywhere. */

/**
 * One formatter for every figure: `toLocaleString` with options builds a new Intl.NumberFormat at
 * each call (about 50 µs), which a release calls for each of thousands of groups (flights-3m by
 * origin: 320 ms of 800 ms per request in bench/anchors/profile.sh). Same output by definition.
 */
const FIGURE_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 20 });

/** 3 significant digits, thousands separated: 2000 → "2,000", 0.01234 → "0.0123". */
export function figure(x: number): string {
  return FIGURE_FORMAT.format(Number(x.toPrecision(3)));
}

/** 0.95 → "95%", 0.999 → "99.9%". */
export function percent(p: number): string {
  return `${Number((p * 100).toPrecision(4))}%`;
}
