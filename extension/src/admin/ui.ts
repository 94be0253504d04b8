import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { Budget } from 'lomas-kernel/protocol';
import type { ChartRenderers } from '../chart';
import { el } from '../dom';
import type { AdminApi } from './api';

/** Small DOM helpers of the admin panel (textContent only, jp-* styles). */

export const CLASS = 'jp-LomasAdmin';

/** What every section of the admin panel gets. */
export interface AdminContext {
  api: AdminApi;
  charts?: ChartRenderers;
  /** A one-line note at the top of the panel (the last action's result or failure). */
  say(text: string, error?: boolean): void;
  /** Sections whose data another section changed load again (users → grants, ...). */
  changed(): void;
}

export interface Section {
  readonly id: string;
  readonly title: string;
  readonly node: HTMLElement;
  load(): Promise<void>;
}

export function button(
  label: string,
  onClick: () => void | Promise<void>,
  kind = ''
): HTMLButtonElement {
  const b = el('button', `jp-Button jp-mod-styled ${kind} ${CLASS}-button`, label);
  b.type = 'button';
  b.addEventListener('click', () => void onClick());
  return b;
}

export function input(name: string, placeholder = '', value = ''): HTMLInputElement {
  const i = el('input', `jp-mod-styled ${CLASS}-input`);
  i.name = name;
  i.placeholder = placeholder;
  i.value = value;
  i.spellcheck = false;
  return i;
}

export function select(name: string, options: string[], value?: string): HTMLSelectElement {
  const s = el('select', `jp-mod-styled ${CLASS}-select`);
  s.name = name;
  for (const o of options) {
    const opt = el('option', undefined, o);
    opt.value = o;
    s.appendChild(opt);
  }
  if (value !== undefined) s.value = value;
  return s;
}

export function textarea(name: string, value: string, rows = 8): HTMLTextAreaElement {
  const t = el('textarea', `jp-mod-styled ${CLASS}-textarea`);
  t.name = name;
  t.value = value;
  t.rows = rows;
  t.spellcheck = false;
  return t;
}

/** A label above its control. */
export function field(label: string, control: HTMLElement): HTMLElement {
  const wrap = el('label', `${CLASS}-field`);
  wrap.appendChild(el('span', `${CLASS}-fieldLabel`, label));
  wrap.appendChild(control);
  return wrap;
}

export function form(title: string, ...children: HTMLElement[]): HTMLElement {
  const f = el('div', `${CLASS}-form`);
  f.appendChild(el('h4', `${CLASS}-formTitle`, title));
  f.append(...children);
  return f;
}

/** A table: one header row, then rows of texts or nodes; data-row keys for tests. */
export function table(
  headers: string[],
  rows: Array<{ key: string; cells: Array<string | HTMLElement> }>,
  empty = 'Nothing yet.'
): HTMLElement {
  const t = el('table', `${CLASS}-table`);
  const head = el('tr');
  for (const h of headers) head.appendChild(el('th', undefined, h));
  t.appendChild(el('thead')).appendChild(head);
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    tr.dataset.row = r.key;
    for (const c of r.cells) {
      const td = el('td');
      if (typeof c === 'string') td.textContent = c;
      else td.appendChild(c);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', `${CLASS}-empty`, empty);
    td.colSpan = headers.length;
    tr.appendChild(td);
    body.appendChild(tr);
  }
  t.appendChild(body);
  return t;
}

/** Destructive actions ask first; the button says what happens. */
export async function confirmAction(title: string, text: string, label: string): Promise<boolean> {
  const result = await showDialog({
    title,
    body: text,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label })]
  });
  return result.button.accept;
}

/** "ε 2 · δ 0" (plus ρ when present and non-zero, or when the dataset is zCDP). */
export function budgetText(b: Budget | null | undefined, accounting?: string): string {
  if (!b) return '—';
  if (accounting === 'zcdp')
    return `ρ ${b.rho ?? '0'}${Number(b.delta) > 0 ? ` · δ ${b.delta}` : ''}`;
  const parts = [`ε ${b.epsilon}`];
  if (accounting === 'approx' || Number(b.delta) > 0) parts.push(`δ ${b.delta}`);
  if (b.rho !== undefined && Number(b.rho) > 0) parts.push(`ρ ${b.rho}`);
  return parts.join(' · ');
}

/**
 * Inputs for a budget in a dataset's own measure (pure: ε; approx: ε, δ; zCDP: ρ, δ), and the
 * BudgetInput body they make (amounts sent as the decimal strings typed: exact on the server).
 */
export function budgetInputs(accounting: string): {
  node: HTMLElement;
  value(): Budget;
} {
  const node = el('span', `${CLASS}-budget`);
  const eps = input('epsilon', 'ε, e.g. 1');
  const delta = input('delta', 'δ, e.g. 0.00001');
  const rho = input('rho', 'ρ, e.g. 0.5');
  if (accounting === 'zcdp') node.append(field('ρ', rho), field('δ (optional)', delta));
  else if (accounting === 'approx') node.append(field('ε', eps), field('δ', delta));
  else node.append(field('ε', eps));
  const amount = (i: HTMLInputElement): string => i.value.trim() || '0';
  return {
    node,
    value: () =>
      accounting === 'zcdp'
        ? { epsilon: '0', delta: amount(delta), rho: amount(rho) }
        : { epsilon: amount(eps), delta: accounting === 'approx' ? amount(delta) : '0' }
  };
}

export const messageOf = (err: unknown): string =>
  err instanceof Error ? err.message : String(err);
