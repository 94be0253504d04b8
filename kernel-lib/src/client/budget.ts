import type { BudgetStatus } from '../protocol';
import { escapeHtml, type MimeBundle } from './display';

/** The main measure of a budget (ρ for zCDP datasets, ε otherwise). */
function main(s: BudgetStatus): {
  name: string;
  spent: number;
  initial: number;
  remaining: string;
} {
  const key = s.accounting === 'zcdp' ? 'rho' : 'epsilon';
  const name = key === 'rho' ? 'ρ' : 'ε';
  return {
    name,
    spent: Number(s.spent[key] ?? '0'),
    initial: Number(s.initial[key] ?? '0'),
    remaining: s.remaining[key] ?? '0'
  };
}

export function budgetText(s: BudgetStatus): string {
  const m = main(s);
  return `${s.dataset}: ${m.name} spent ${s.spent[m.name === 'ρ' ? 'rho' : 'epsilon']} of ${s.initial[m.name === 'ρ' ? 'rho' : 'epsilon']}, remaining ${m.remaining}${s.accounting === 'approx' ? ` (δ remaining ${s.remaining.delta})` : ''}`;
}

/** A budget as a bar: spent vs initial (display only; the numbers are the exact decimal strings). */
export function budgetBundle(s: BudgetStatus): MimeBundle {
  const m = main(s);
  const pct = m.initial > 0 ? Math.min(100, Math.max(0, (m.spent / m.initial) * 100)) : 100;
  const html =
    `<div class="lomas-budget" style="font-family:var(--jp-ui-font-family,sans-serif)">` +
    `<div><b>${escapeHtml(s.dataset)}</b> — ${escapeHtml(budgetText(s))}</div>` +
    `<div style="width:320px;height:10px;background:var(--jp-layout-color3,#ddd);border-radius:5px;overflow:hidden">` +
    `<div style="width:${pct.toFixed(1)}%;height:100%;background:var(--jp-brand-color1,#1976d2)"></div></div></div>`;
  return { 'text/html': html, 'text/plain': budgetText(s) };
}
