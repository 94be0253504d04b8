import * as aq from 'arquero';
import {
  mechanismName,
  RESULT_MIME,
  type Budget,
  type ReleaseResponse,
  type ResultBundle
} from '../protocol';
import { chartFor } from './chart';
import { escapeHtml, type MimeBundle } from './display';

type Table = ReturnType<typeof aq.table>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
  return String(v);
}

export function costText(cost: Budget): string {
  const parts = [`ε=${cost.epsilon}`, `δ=${cost.delta}`];
  if (cost.rho !== undefined) parts.push(`ρ=${cost.rho}`);
  return parts.join(', ');
}

/** A noisy answer: an arquero table (estimate, lower, upper per group) plus its cost and accuracy. */
export class QueryResult {
  readonly bundle: ResultBundle;
  constructor(readonly release: ReleaseResponse) {
    this.bundle = { ...release, chart: chartFor(release) };
  }

  /** The rows as an arquero table, free to post-process (post-processing costs no privacy). */
  get table(): Table {
    const cols: Record<string, unknown[]> = {};
    for (const c of this.release.columns) cols[c.name] = this.release.rows.map(r => r[c.name]);
    return aq.table(cols);
  }

  get cost(): Budget {
    return this.release.cost;
  }

  get rows(): ResultBundle['rows'] {
    return this.release.rows;
  }

  toString(): string {
    const names = this.release.columns.map(c => c.name);
    const body = this.release.rows.map(r => names.map(n => cell(r[n])));
    const widths = names.map((n, i) => Math.max(n.length, ...body.map(b => b[i].length)));
    const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ');
    const acc = this.release.mechanisms
      .map(
        m =>
          `${m.aggregation}${m.column ? `(${m.column})` : ''}: ${mechanismName(m.mechanism)}, ±${cell(m.halfWidth)} at ${Math.round(m.confidence * 100)}%`
      )
      .join('; ');
    return [
      `${this.release.title}${this.release.kind === 'dummy' ? ' (DUMMY DATA — not a real answer)' : ''}`,
      line(names),
      ...body.map(line),
      `cost: ${costText(this.release.cost)}${acc ? ` — ${acc}` : ''}`
    ].join('\n');
  }

  toHtml(): string {
    const names = this.release.columns.map(c => c.name);
    const head = names.map(n => `<th>${escapeHtml(n)}</th>`).join('');
    const rows = this.release.rows
      .map(r => `<tr>${names.map(n => `<td>${escapeHtml(cell(r[n]))}</td>`).join('')}</tr>`)
      .join('');
    return `<div><b>${escapeHtml(this.release.title)}</b><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table><small>cost: ${escapeHtml(costText(this.release.cost))}</small></div>`;
  }

  /** The display bundle: the Lomas renderer's type, with HTML and text for other front ends. */
  mimeBundle(): MimeBundle {
    return {
      [RESULT_MIME]: this.bundle,
      'text/html': this.toHtml(),
      'text/plain': this.toString()
    };
  }
}
