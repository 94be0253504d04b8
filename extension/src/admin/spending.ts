import type { LedgerEntryView } from 'lomas-kernel/protocol';

/** What the charts read of a ledger entry. */
export type SpendEntry = Pick<LedgerEntryView, 'dataset' | 'seq' | 'user' | 'kind' | 'cost' | 'at'>;

/**
 * Spending over time, from the ledger's charges, as Vega-Lite v5 specs for the admin panel: the
 * cumulative amount spent per dataset, and per analyst on each dataset. Each dataset is counted
 * in its own measure (ε, or ρ under zCDP), never mixed. Amounts are exact fractions in the ledger
 * ("1/2"); here they become numbers for drawing only. Pure and DOM-free (unit-tested).
 */

/** "1/2" → 0.5, "0.25" → 0.25; NaN when it is neither. */
export function amountNumber(value: string | undefined): number {
  if (value === undefined) return 0;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (m) return Number(m[1]) / Number(m[2]);
  return Number(value);
}

export type Measure = 'ε' | 'ρ';

export function measureOf(accounting: string | undefined): Measure {
  return accounting === 'zcdp' ? 'ρ' : 'ε';
}

export interface SpendPoint {
  at: string;
  series: string;
  dataset: string;
  user: string;
  /** Cumulative spent of the series at `at`, in the dataset's measure. */
  spent: number;
}

/**
 * Cumulative spending per series ('dataset': one per dataset; 'analyst': one per analyst and
 * dataset), one point per charge, oldest first.
 */
export function spendingSeries(
  entries: SpendEntry[],
  accountingOf: (dataset: string) => string | undefined,
  by: 'dataset' | 'analyst'
): SpendPoint[] {
  const charges = entries
    .filter(e => e.kind === 'charge')
    .slice()
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq));
  const totals = new Map<string, number>();
  return charges.map(e => {
    const measure = measureOf(accountingOf(e.dataset));
    const amount = amountNumber(measure === 'ρ' ? e.cost.rho : e.cost.epsilon);
    const series =
      by === 'dataset' ? `${e.dataset} (${measure})` : `${e.user} · ${e.dataset} (${measure})`;
    const spent = (totals.get(series) ?? 0) + (Number.isFinite(amount) ? amount : 0);
    totals.set(series, spent);
    return { at: e.at, series, dataset: e.dataset, user: e.user, spent };
  });
}

/** A step line per series: the budget spent so far, over time. */
export function spendingSpec(points: SpendPoint[], title: string): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after', point: true, tooltip: true },
    encoding: {
      x: { field: 'at', type: 'temporal', title: 'time' },
      y: {
        field: 'spent',
        type: 'quantitative',
        title: 'spent so far (ε or ρ, as the series says)'
      },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } }
    },
    width: 'container'
  };
}

/** The last total of each series, largest first (the table beside the charts). */
export function totals(points: SpendPoint[]): Array<{ series: string; spent: number }> {
  const last = new Map<string, number>();
  for (const p of points) last.set(p.series, p.spent);
  return [...last.entries()]
    .map(([series, spent]) => ({ series, spent }))
    .sort((a, b) => b.spent - a.spent || a.series.localeCompare(b.series));
}
