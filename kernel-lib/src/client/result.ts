import * as aq from 'arquero';
import {
  CAVEAT_MARK,
  caveatCells,
  caveatNotes,
  CHART_MIME,
  mechanismName,
  RESULT_MIME,
  VEGALITE_MIME,
  type ChartPayload,
  type Budget,
  type MechanismReport,
  type ReleaseResponse,
  type ResultBundle
} from '../protocol';
import { chartFor } from './chart';
import {
  escapeHtml,
  INSPECT,
  MIME_BUNDLE,
  MIME_BUNDLES,
  type Displayable,
  type MimeBundle
} from './display';

type Table = ReturnType<typeof aq.table>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
  return String(v);
}

export function costText(cost: Budget): string {
  const parts = [`ε=${cost.epsilon}`, `δ=${cost.delta}`];
  if (cost.rho !== undefined) parts.push(`ρ=${cost.rho}`);
  return parts.join(', ');
}

/** "±6 at 95%", or the words of the report when one "±x" would mislead. */
export function accuracyText(m: MechanismReport): string {
  return m.accuracy ?? `±${cell(m.halfWidth)} at ${Math.round(m.confidence * 100)}%`;
}

/** A noisy answer: an arquero table (estimate, lower, upper per group) plus its cost and accuracy. */
export class QueryResult implements Displayable {
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

  /** Rows that say little (whole-range intervals, possibly empty groups), from the server. */
  get caveats(): NonNullable<ResultBundle['caveats']> {
    return this.release.caveats ?? [];
  }

  /** The table's cells as text, a caveat's estimate marked. */
  private cells(): string[][] {
    const marked = caveatCells(this.release);
    return this.release.rows.map((r, i) =>
      this.release.columns.map(c =>
        marked.has(`${i}\0${c.name}`) ? `${cell(r[c.name])} ${CAVEAT_MARK}` : cell(r[c.name])
      )
    );
  }

  /** "⚠ Chinstrap: the interval covers …", one line per caveat (protocol/caveats.ts). */
  private caveatLines(): string[] {
    return caveatNotes(this.release, cell);
  }

  private accuracyLine(): string {
    return this.release.mechanisms
      .map(
        m =>
          `${m.aggregation}${m.column ? `(${m.column})` : ''}: ${mechanismName(m.mechanism)}, ${accuracyText(m)}`
      )
      .join('; ');
  }

  toString(): string {
    const names = this.release.columns.map(c => c.name);
    const body = this.cells();
    const widths = names.map((n, i) => Math.max(n.length, ...body.map(b => b[i].length)));
    const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ');
    const acc = this.accuracyLine();
    return [
      `${this.release.title}${this.release.kind === 'dummy' ? ' (DUMMY DATA — not a real answer)' : ''}`,
      line(names),
      ...body.map(line),
      ...this.caveatLines(),
      `cost: ${costText(this.release.cost)}${acc ? ` — ${acc}` : ''}`
    ].join('\n');
  }

  toHtml(): string {
    const names = this.release.columns.map(c => c.name);
    const head = names.map(n => `<th>${escapeHtml(n)}</th>`).join('');
    const rows = this.cells()
      .map(r => `<tr>${r.map(v => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`)
      .join('');
    const notes = [
      ...this.caveatLines(),
      `cost: ${costText(this.release.cost)}`,
      this.accuracyLine()
    ]
      .filter(Boolean)
      .map(l => `<div><small>${escapeHtml(l)}</small></div>`)
      .join('');
    return `<div><b>${escapeHtml(this.release.title)}</b><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>${notes}</div>`;
  }

  /** The Vega-Lite v5 spec of the rows, when the result has a natural chart. */
  get chart(): Record<string, unknown> | undefined {
    return this.bundle.chart;
  }

  /**
   * The table's display bundle: the Lomas renderer's type, with HTML and text for other front
   * ends. The chart is an output of its own (chartBundle).
   */
  mimeBundle(): MimeBundle {
    const { chart: _chart, ...card } = this.bundle;
    void _chart;
    return {
      [RESULT_MIME]: card,
      'text/html': this.toHtml(),
      'text/plain': this.toString()
    };
  }

  /**
   * The chart's display bundle: the Lomas extension draws CHART_MIME in the notebook's theme; any
   * other front end with a Vega-Lite renderer draws the standard type.
   */
  chartBundle(): MimeBundle | undefined {
    const spec = this.bundle.chart;
    if (!spec) return undefined;
    const payload: ChartPayload = {
      version: 1,
      dataset: this.release.dataset,
      title: this.release.title
    };
    return {
      [CHART_MIME]: payload,
      [VEGALITE_MIME]: spec,
      'text/plain': `Chart of ${this.release.title} (a Vega-Lite chart; the table above has the same numbers)`
    };
  }

  /** The outputs that show this result: the table, then its chart. */
  displays(): MimeBundle[] {
    const chart = this.chartBundle();
    return chart ? [this.mimeBundle(), chart] : [this.mimeBundle()];
  }

  [MIME_BUNDLE](): MimeBundle {
    return this.mimeBundle();
  }

  [MIME_BUNDLES](): MimeBundle[] {
    return this.displays();
  }

  /** console.log(result), or a last expression outside the Lomas kernel: the table as text. */
  [INSPECT](): string {
    return this.toString();
  }
}
