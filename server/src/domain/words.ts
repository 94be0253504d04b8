/** Numbers in the sentences of a release (accuracy, caveats): short, and read the same everywhere. */

/** 3 significant digits, thousands separated: 2000 → "2,000", 0.01234 → "0.0123". */
export function figure(x: number): string {
  return Number(x.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 20 });
}

/** 0.95 → "95%", 0.999 → "99.9%". */
export function percent(p: number): string {
  return `${Number((p * 100).toPrecision(4))}%`;
}
