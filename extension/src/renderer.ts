import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import {
  CAVEAT_MARK,
  caveatNotes,
  type ResultBundle,
  type ResultColumn
} from 'lomas-kernel/protocol';
import { ChartView, VEGALITE5_MIME, type ChartRenderers } from './chart';
import {
  formatBudgetLeft,
  describeMechanism,
  formatAccuracy,
  formatCost,
  formatPercent,
  formatValue,
  rowHalfWidth
} from './format';
import { CHART_MIME, RESULT_MIME } from './tokens';
import { parseChart, parseResultBundle } from './validate';
import { el } from './dom';

/**
 * Draws a Lomas result (application/vnd.lomas.result.v1+json): title, table with its confidence
 * interval, cost and accuracy; and a result's chart, an output of its own
 * (application/vnd.lomas.chart.v1+json beside the standard Vega-Lite type), drawn by JupyterLab's
 * own Vega renderer in the notebook's theme. Every text goes through textContent (never
 * innerHTML), and a bad payload becomes a readable error box instead of an exception.
 */

const CLASS = 'jp-LomasResult';

const KIND_NOTES: Record<ResultBundle['kind'], string> = {
  release: 'Differentially private release',
  dummy: 'Dummy data: synthetic rows, says nothing about the private data; nothing spent'
};

function isNumeric(c: ResultColumn): boolean {
  return c.type === 'number' || c.type === 'integer';
}

function headerText(
  c: ResultColumn,
  confidence: string | undefined,
  noInterval: boolean
): { label: string; hint?: string } {
  const ci = confidence ? `${confidence} CI` : 'CI';
  switch (c.role) {
    case 'lower':
      return { label: c.name, hint: noInterval ? 'no interval' : `${ci} lower` };
    case 'upper':
      return { label: c.name, hint: noInterval ? 'no interval' : `${ci} upper` };
    case 'estimate':
      return { label: c.name, hint: 'DP estimate' };
    default:
      return { label: c.name };
  }
}

/** Draws the bundle; the chart (if any) is returned unstarted so the caller owns its lifetime. */
export function renderBundle(
  bundle: ResultBundle,
  charts?: ChartRenderers,
  trusted = false
): { node: HTMLElement; chart?: ChartView } {
  const root = el('div', `${CLASS}-body`);
  root.dataset.kind = bundle.kind;

  const header = el('div', `${CLASS}-header`);
  header.appendChild(el('span', `${CLASS}-title`, bundle.title));
  const badge = el('span', `${CLASS}-badge ${CLASS}-badge-${bundle.kind}`, bundle.kind);
  badge.title = KIND_NOTES[bundle.kind];
  header.appendChild(badge);
  root.appendChild(header);

  const sub = el('div', `${CLASS}-subtitle`);
  sub.textContent = `Dataset ${bundle.dataset} · ${KIND_NOTES[bundle.kind]}`;
  root.appendChild(sub);

  // One confidence level per table; the digits of a row follow its interval when it is known.
  const confidences = new Set(bundle.mechanisms.map(m => m.confidence));
  const confidence = confidences.size === 1 ? formatPercent([...confidences][0]) : undefined;
  const single = bundle.mechanisms.length === 1 ? bundle.mechanisms[0] : undefined;
  const lowerName = bundle.columns.find(c => c.role === 'lower')?.name;
  const upperName = bundle.columns.find(c => c.role === 'upper')?.name;
  const caveats = new Map(
    (bundle.caveats ?? []).flatMap(c => c.rows.map(r => [`${r}\0${c.column}`, c] as const))
  );
  const noInterval = single?.interval === 'rank';

  const table = el('table', `${CLASS}-table`);
  const thead = el('thead');
  const hr = el('tr');
  for (const c of bundle.columns) {
    const th = el('th');
    th.dataset.role = c.role;
    if (isNumeric(c)) th.classList.add(`${CLASS}-num`);
    const { label, hint } = headerText(c, confidence, noInterval);
    th.appendChild(el('span', `${CLASS}-colname`, label));
    if (hint) th.appendChild(el('span', `${CLASS}-colhint`, hint));
    hr.appendChild(th);
  }
  thead.appendChild(hr);
  table.appendChild(thead);
  const tbody = el('tbody');
  bundle.rows.forEach((row, i) => {
    const tr = el('tr');
    const hw = rowHalfWidth(single, row, lowerName, upperName);
    for (const c of bundle.columns) {
      const td = el('td', isNumeric(c) ? `${CLASS}-num` : undefined);
      td.dataset.role = c.role;
      td.dataset.column = c.name;
      td.textContent = formatValue(row[c.name], c.role === 'key' ? undefined : hw);
      const caveat = caveats.get(`${i}\0${c.name}`);
      if (caveat) {
        tr.classList.add(`${CLASS}-saysLittle`);
        td.dataset.caveat = caveat.kind;
        td.title = caveat.text;
        td.appendChild(el('span', `${CLASS}-caveatMark`, ` ${CAVEAT_MARK}`));
      }
      if ((c.role === 'lower' || c.role === 'upper') && row[c.name] === null && noInterval)
        td.title = 'No interval in the unit of the column: see Accuracy below';
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  });
  if (bundle.rows.length === 0) {
    const tr = el('tr');
    const td = el('td', `${CLASS}-empty`, 'No rows.');
    td.colSpan = Math.max(1, bundle.columns.length);
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
  table.appendChild(tbody);
  const wrap = el('div', `${CLASS}-tableWrap`);
  wrap.appendChild(table);
  root.appendChild(wrap);
  const notes = caveatList(bundle);
  if (notes) root.appendChild(notes);

  const facts = el('dl', `${CLASS}-facts`);
  const fact = (name: string, value: string, cls: string): void => {
    facts.appendChild(el('dt', undefined, name));
    facts.appendChild(el('dd', `${CLASS}-${cls}`, value));
  };
  fact('Cost', formatCost(bundle.cost), 'cost');
  if (bundle.mechanisms.length === 1) {
    fact('Accuracy', formatAccuracy(bundle.mechanisms[0]), 'accuracy');
  }
  // One mechanism: its accuracy is the Accuracy line above; several: each says its own.
  const several = bundle.mechanisms.length > 1;
  for (const m of bundle.mechanisms) fact('Mechanism', describeMechanism(m, several), 'mechanism');
  if (bundle.budget) {
    fact('Budget left', formatBudgetLeft(bundle.budget), 'budget');
  }
  root.appendChild(facts);

  let chart: ChartView | undefined;
  if (bundle.chart) {
    chart = new ChartView(bundle.chart, charts, trusted);
    root.appendChild(chart.node);
  }
  return { node: root, chart };
}

/** "⚠ Chinstrap: the interval covers every value …", one line per caveat (protocol/caveats.ts). */
function caveatList(bundle: ResultBundle): HTMLElement | undefined {
  if (!bundle.caveats?.length) return undefined;
  const list = el('ul', `${CLASS}-caveats`);
  caveatNotes(bundle, v => formatValue(v)).forEach((text, i) => {
    const li = el('li', `${CLASS}-caveat`, text);
    li.dataset.caveat = bundle.caveats![i].kind;
    list.appendChild(li);
  });
  return list;
}

export function renderError(problems: string[]): HTMLElement {
  const box = el('div', `${CLASS}-error`);
  box.setAttribute('role', 'alert');
  box.appendChild(el('div', `${CLASS}-errorTitle`, 'This Lomas result cannot be displayed'));
  const ul = el('ul');
  for (const p of problems.slice(0, 10)) ul.appendChild(el('li', undefined, p));
  if (problems.length > 10)
    ul.appendChild(el('li', undefined, `…and ${problems.length - 10} more`));
  box.appendChild(ul);
  box.appendChild(
    el(
      'div',
      `${CLASS}-errorHint`,
      'Update lomas-kernel and the JupyterLab extension to matching versions.'
    )
  );
  return box;
}

/** Redraws charts when JupyterLab switches between light and dark themes. */
function watchTheme(onChange: () => void): MutationObserver | undefined {
  if (typeof MutationObserver === 'undefined' || !document.body) return undefined;
  const observer = new MutationObserver(onChange);
  observer.observe(document.body, {
    attributes: true,
    attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
  });
  return observer;
}

export class ResultRenderer extends Widget implements IRenderMime.IRenderer {
  private chart: ChartView | undefined;
  private themeObserver: MutationObserver | undefined;

  constructor(
    private readonly mimeType: string,
    private readonly onRelease?: (bundle: ResultBundle) => void,
    private readonly charts?: ChartRenderers
  ) {
    super();
    this.addClass(CLASS);
  }

  private dropChart(): void {
    this.chart?.dispose();
    this.chart = undefined;
    this.themeObserver?.disconnect();
    this.themeObserver = undefined;
  }

  override dispose(): void {
    this.dropChart();
    super.dispose();
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.dropChart();
    this.node.textContent = '';
    let parsed;
    try {
      parsed = parseResultBundle(model.data[this.mimeType]);
      if (parsed.ok) {
        const drawn = renderBundle(parsed.bundle, this.charts, model.trusted);
        this.node.appendChild(drawn.node);
        if (drawn.chart) {
          const chart = drawn.chart;
          this.chart = chart;
          this.themeObserver = watchTheme(() => chart.redraw());
          void chart.start();
        }
      } else {
        this.node.appendChild(renderError(parsed.problems));
      }
    } catch (err) {
      this.dropChart();
      this.node.textContent = '';
      this.node.appendChild(renderError([`unexpected error while drawing: ${String(err)}`]));
      return Promise.resolve();
    }
    if (parsed.ok && parsed.bundle.kind === 'release' && this.onRelease) {
      try {
        this.onRelease(parsed.bundle);
      } catch {
        // A listener failure must not break the output.
      }
    }
    return Promise.resolve();
  }
}

/**
 * The factory for RESULT_MIME. `charts` is JupyterLab's IRenderMimeRegistry: charts are drawn by
 * its Vega-Lite renderer when there is one (a readable note replaces the chart otherwise).
 */
export function createRendererFactory(
  onRelease?: (bundle: ResultBundle) => void,
  charts?: ChartRenderers
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [RESULT_MIME],
    defaultRank: 50,
    createRenderer: options => new ResultRenderer(options.mimeType, onRelease, charts)
  };
}

/** A result's chart output: the bundle's Vega-Lite spec, themed and sized to the output area. */
export class ChartOutput extends Widget implements IRenderMime.IRenderer {
  private chart: ChartView | undefined;
  private themeObserver: MutationObserver | undefined;

  constructor(private readonly charts?: ChartRenderers) {
    super();
    this.addClass('jp-LomasChart');
  }

  private drop(): void {
    this.chart?.dispose();
    this.chart = undefined;
    this.themeObserver?.disconnect();
    this.themeObserver = undefined;
  }

  override dispose(): void {
    this.drop();
    super.dispose();
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.drop();
    this.node.textContent = '';
    const parsed = parseChart(model.data[CHART_MIME], model.data[VEGALITE5_MIME]);
    if (!parsed.ok) {
      this.node.appendChild(renderError([parsed.problem]));
      return Promise.resolve();
    }
    const chart = new ChartView(parsed.spec, this.charts, model.trusted);
    chart.node.setAttribute('aria-label', parsed.title ? `Chart: ${parsed.title}` : 'Chart');
    this.chart = chart;
    this.node.appendChild(chart.node);
    this.themeObserver = watchTheme(() => chart.redraw());
    void chart.start();
    return Promise.resolve();
  }
}

/**
 * The factory for CHART_MIME, ranked before JupyterLab's own Vega-Lite renderer (57): with this
 * extension, charts follow the notebook's theme and width; without it, the standard type in the
 * same bundle is drawn as it is.
 */
export function createChartRendererFactory(charts?: ChartRenderers): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [CHART_MIME],
    defaultRank: 50,
    createRenderer: () => new ChartOutput(charts)
  };
}
