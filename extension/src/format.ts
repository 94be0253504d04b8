import {
  mechanismName,
  type Budget,
  type BudgetStatus,
  type MechanismReport
} from 'lomas-kernel/protocol';

export { mechanismName };

/** Pure formatting helpers for the renderer and the side panel (DOM-free, unit-tested). */

const LOCALE = 'en-US';

/**
 * Formats a number for display. Integers keep every digit; other values get two significant
 * digits of their uncertainty (`halfWidth`) when it is known, else up to 3 decimals.
 */
export function formatNumber(x: number, halfWidth?: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return x.toLocaleString(LOCALE);
  let decimals = 3;
  if (halfWidth !== undefined && Number.isFinite(halfWidth) && halfWidth > 0) {
    decimals = Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(halfWidth))));
  }
  return x.toLocaleString(LOCALE, { minimumFractionDigits: 0, maximumFractionDigits: decimals });
}

export function formatValue(v: unknown, halfWidth?: number): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v, halfWidth);
  return String(v);
}

/** 0.95 → "95%", 0.999 → "99.9%". */
export function formatPercent(p: number): string {
  return `${Number((p * 100).toPrecision(4))}%`;
}

/** "ε = 0.5 · δ = 0" (plus ρ under zCDP). */
export function formatCost(b: Budget): string {
  const parts = [`ε = ${b.epsilon}`, `δ = ${b.delta}`];
  if (b.rho !== undefined) parts.push(`ρ = ${b.rho}`);
  return parts.join(' · ');
}

/**
 * "±4.6 at 95%" when every row has that interval; the server's words when a single "±x" would
 * mislead (a mean's interval per group, a quantile's rank).
 */
export function formatAccuracy(
  m: Pick<MechanismReport, 'halfWidth' | 'confidence' | 'accuracy' | 'interval'>
): string {
  if (m.accuracy && m.interval !== undefined && m.interval !== 'value') return m.accuracy;
  const hw = m.halfWidth;
  const shown =
    hw >= 100 ? Math.round(hw).toLocaleString(LOCALE) : Number(hw.toPrecision(2)).toString();
  return `±${shown} at ${formatPercent(m.confidence)}`;
}

/** The half-width that sets how many digits a row's values get, when one is known. */
export function rowHalfWidth(
  m: Pick<MechanismReport, 'halfWidth' | 'interval'> | undefined,
  row: Record<string, unknown>,
  lower: string | undefined,
  upper: string | undefined
): number | undefined {
  if (!m || m.interval === 'rank' || m.interval === 'depends') return undefined;
  if (m.interval !== 'per_row') return m.halfWidth;
  const [lo, hi] = [row[lower ?? ''], row[upper ?? '']];
  return typeof lo === 'number' && typeof hi === 'number' ? (hi - lo) / 2 : undefined;
}

/** "count: discrete Laplace (scale 2), ±4.6 at 95%" (the accuracy left out when said apart). */
export function describeMechanism(m: MechanismReport, withAccuracy = true): string {
  const what = m.column ? `${m.aggregation}(${m.column})` : m.aggregation;
  const scale = m.scale ? ` (scale ${m.scale})` : '';
  const accuracy = withAccuracy ? `, ${formatAccuracy(m)}` : '';
  return `${what}: ${mechanismName(m.mechanism)}${scale}${accuracy}`;
}

/** Share of a budget that remains, in [0, 1], for a progress bar (display only, not accounting). */
export function remainingShare(remaining: string, initial: string): number {
  const r = Number(remaining);
  const i = Number(initial);
  if (!Number.isFinite(r) || !Number.isFinite(i) || i <= 0) return 0;
  return Math.min(1, Math.max(0, r / i));
}

/** The measure a dataset is budgeted in: ρ for zCDP datasets, ε otherwise. */
export function mainMeasure(b: BudgetStatus): { key: 'epsilon' | 'rho'; symbol: string } {
  return b.accounting === 'zcdp' ? { key: 'rho', symbol: 'ρ' } : { key: 'epsilon', symbol: 'ε' };
}

/** "ε 9.5 of 10 left" (pure), "… · δ 1e-5 of 1e-5" (approx, or zCDP with a δ for thresholds), "ρ 0.8 of 1 left" (zCDP). */
export function formatBudgetLeft(b: BudgetStatus): string {
  const m = mainMeasure(b);
  let text = `${m.symbol} ${b.remaining[m.key] ?? '0'} of ${b.initial[m.key] ?? '0'} left`;
  if (b.accounting === 'approx' || (b.accounting === 'zcdp' && Number(b.initial.delta) > 0))
    text += ` · δ ${b.remaining.delta} of ${b.initial.delta}`;
  return text;
}

/** Share of the main measure that remains, for the budget bar. */
export function budgetShare(b: BudgetStatus): number {
  const m = mainMeasure(b);
  return remainingShare(b.remaining[m.key] ?? '0', b.initial[m.key] ?? '0');
}

/** "14:03:12" today, "Nov 24, 14:03" on other days; the raw text when it is not a date. */
export function formatWhen(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso;
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString('en-GB');
  return `${d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })}, ${d
    .toLocaleTimeString('en-GB')
    .slice(0, 5)}`;
}
