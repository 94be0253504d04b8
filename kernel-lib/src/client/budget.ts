import type { BudgetStatus } from '../protocol';
import { escapeHtml, INSPECT, MIME_BUNDLE, type MimeBundle } from './display';

const ACCOUNTING: Record<BudgetStatus['accounting'], string> = {
  pure: 'pure DP',
  approx: 'approximate DP',
  zcdp: 'zCDP'
};

/** The main measure of a budget (ρ for zCDP datasets, ε otherwise). */
function main(s: BudgetStatus): { symbol: string; spent: string; initial: string; left: string } {
  const key = s.accounting === 'zcdp' ? 'rho' : 'epsilon';
  return {
    symbol: key === 'rho' ? 'ρ' : 'ε',
    spent: s.spent[key] ?? '0',
    initial: s.initial[key] ?? '0',
    left: s.remaining[key] ?? '0'
  };
}

/** "ε 0.5 spent of 10 · 9.5 left" (and δ where the dataset spends it). */
function amounts(s: BudgetStatus): string {
  const m = main(s);
  let text = `${m.symbol} ${m.spent} spent of ${m.initial} · ${m.left} left`;
  if (s.accounting === 'approx' || (s.accounting === 'zcdp' && Number(s.initial.delta) > 0))
    text += ` · δ ${s.remaining.delta} of ${s.initial.delta} left`;
  return text;
}

/** "penguins (pure DP): ε 0.5 spent of 10 · 9.5 left". */
export function budgetText(s: BudgetStatus): string {
  return `${s.dataset} (${ACCOUNTING[s.accounting] ?? s.accounting}): ${amounts(s)}`;
}

/** A budget as a bar: spent vs initial (display only; the numbers are the exact decimal strings). */
export function budgetBundle(s: BudgetStatus): MimeBundle {
  const m = main(s);
  const [spent, initial] = [Number(m.spent), Number(m.initial)];
  const pct = initial > 0 ? Math.min(100, Math.max(0, (spent / initial) * 100)) : 100;
  const html =
    `<div class="lomas-budget" style="font-family:var(--jp-ui-font-family,sans-serif)">` +
    `<div><b>${escapeHtml(s.dataset)}</b> (${escapeHtml(ACCOUNTING[s.accounting] ?? s.accounting)}): ${escapeHtml(amounts(s))}</div>` +
    `<div style="width:320px;height:10px;background:var(--jp-layout-color3,#ddd);border-radius:5px;overflow:hidden">` +
    `<div style="width:${pct.toFixed(1)}%;height:100%;background:var(--jp-brand-color1,#1976d2)"></div></div></div>`;
  return { 'text/html': html, 'text/plain': budgetText(s) };
}

/**
 * The status as the server sent it (plain JSON for code), which also knows how it looks: the bar
 * in a notebook, one line in console.log. The two methods are hidden from JSON and Object.keys.
 */
export function displayableBudget<T extends BudgetStatus>(s: T): T {
  Object.defineProperty(s, MIME_BUNDLE, { value: () => budgetBundle(s) });
  Object.defineProperty(s, INSPECT, { value: () => budgetText(s) });
  return s;
}
