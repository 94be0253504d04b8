import { Widget } from '@lumino/widgets';
import type { BudgetStatus } from 'lomas-kernel/protocol';
import { fetchBudgets, fetchDatasetInfo, fetchHistory } from './budgets';
import type { DatasetInfo } from './datasets';
import { budgetShare, formatBudgetLeft, formatWhen } from './format';
import type { HistoryItem } from './history';
import { lomasIcon } from './icon';
import { DEFAULT_SETTINGS, LomasSettings, PANEL_ID } from './tokens';
import { el } from './dom';

/**
 * The left side panel: which server the notebooks talk to, the analyst's datasets with their budget
 * (click one for its public metadata) and their recent queries, each summarized in one line.
 * Plain DOM (textContent only) styled with jp-* variables so it follows the light and dark themes.
 */
const CLASS = 'jp-LomasPanel';

/**
 * Where a column's details may wrap: between values ("Adelie, Chinstrap", "2,700 – 6,300 ·
 * nullable"), never inside one (a date bound would break at its hyphens).
 */
const DETAIL_SEPARATORS = /(, | – | · )/;

/** Two error texts that differ only in their URL (a refused key, an unreachable server). */
function sameFailure(a: string, b: string): boolean {
  const strip = (s: string): string => s.replace(/https?:\/\/\S+/g, 'URL');
  return strip(a) === strip(b);
}

export type PanelState =
  | { kind: 'no-key' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'loaded'; budgets: BudgetStatus[]; at: Date };

export type HistoryState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'loaded'; items: HistoryItem[] };

type MetadataState =
  { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'loaded'; info: DatasetInfo };

export class BudgetPanel extends Widget {
  private settings: LomasSettings = DEFAULT_SETTINGS;
  private state: PanelState = { kind: 'no-key' };
  private history: HistoryState = { kind: 'idle' };
  /** Data shown while a refresh is on its way (no flicker after each release). */
  private lastBudgets: BudgetStatus[] | undefined;
  private lastHistory: HistoryItem[] | undefined;
  private readonly open = new Set<string>();
  private readonly metadata = new Map<string, MetadataState>();
  private generation = 0;
  private readonly serverNode: HTMLElement;
  private readonly statusNode: HTMLElement;
  private readonly listNode: HTMLElement;
  private readonly historyStatus: HTMLElement;
  private readonly historyNode: HTMLElement;

  constructor() {
    super();
    this.id = PANEL_ID;
    this.addClass(CLASS);
    this.title.icon = lomasIcon;
    this.title.caption = 'Lomas: privacy budgets and query history';

    const header = el('div', `${CLASS}-header`);
    header.appendChild(el('h2', `${CLASS}-title`, 'Lomas'));
    const refresh = el(
      'button',
      `jp-Button jp-mod-styled jp-mod-reject ${CLASS}-refresh`,
      'Refresh'
    );
    refresh.title = 'Fetch the budgets and the query history again';
    refresh.addEventListener('click', () => void this.refresh());
    header.appendChild(refresh);
    this.node.appendChild(header);

    this.serverNode = el('div', `${CLASS}-server`);
    this.statusNode = el('div', `${CLASS}-status`);
    this.statusNode.setAttribute('aria-live', 'polite');
    this.listNode = el('ul', `${CLASS}-list`);
    const datasets = el('section', `${CLASS}-section ${CLASS}-datasets`);
    datasets.appendChild(el('h3', `${CLASS}-sectionTitle`, 'Datasets and budgets'));
    datasets.append(this.statusNode, this.listNode);

    this.historyStatus = el('div', `${CLASS}-status`);
    this.historyStatus.setAttribute('aria-live', 'polite');
    this.historyNode = el('ol', `${CLASS}-history`);
    const history = el('section', `${CLASS}-section ${CLASS}-historySection`);
    history.appendChild(el('h3', `${CLASS}-sectionTitle`, 'Recent queries'));
    history.append(this.historyStatus, this.historyNode);

    this.node.append(this.serverNode, datasets, history);
    this.draw();
  }

  get currentState(): PanelState {
    return this.state;
  }

  get historyState(): HistoryState {
    return this.history;
  }

  /** New settings: forget what came from the previous server, redraw and fetch again. */
  configure(settings: LomasSettings): void {
    const changed =
      settings.serverUrl !== this.settings.serverUrl || settings.apiKey !== this.settings.apiKey;
    this.settings = settings;
    if (changed) {
      this.lastBudgets = undefined;
      this.lastHistory = undefined;
      this.metadata.clear();
      this.open.clear();
    }
    void this.refresh();
  }

  /** Fetches budgets and history together; each part shows its own result or error. */
  async refresh(): Promise<void> {
    const { serverUrl, apiKey } = this.settings;
    const gen = ++this.generation;
    if (!serverUrl || !apiKey) {
      this.state = { kind: 'no-key' };
      this.history = { kind: 'idle' };
      this.draw();
      return;
    }
    this.state = { kind: 'loading' };
    this.history = { kind: 'loading' };
    this.draw();
    const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
    const [budgets, history] = await Promise.allSettled([
      fetchBudgets(serverUrl, apiKey),
      fetchHistory(serverUrl, apiKey)
    ]);
    if (gen !== this.generation) return; // a newer refresh won
    if (budgets.status === 'fulfilled') {
      this.state = { kind: 'loaded', budgets: budgets.value, at: new Date() };
      this.lastBudgets = budgets.value;
      // Metadata is public and rarely changes, but a refresh is the user's way to ask again.
      for (const [name, m] of this.metadata) if (m.kind === 'error') this.metadata.delete(name);
    } else {
      this.state = { kind: 'error', message: message(budgets.reason) };
      this.lastBudgets = undefined;
    }
    if (history.status === 'fulfilled') {
      this.history = { kind: 'loaded', items: history.value };
      this.lastHistory = history.value;
    } else {
      this.history = { kind: 'error', message: message(history.reason) };
      this.lastHistory = undefined;
    }
    this.draw();
    for (const name of this.open) if (!this.metadata.has(name)) void this.loadMetadata(name);
  }

  /** Shows or hides a dataset's public metadata (fetched on first open). */
  toggleDataset(name: string): void {
    if (this.open.has(name)) {
      this.open.delete(name);
    } else {
      this.open.add(name);
      if (!this.metadata.has(name)) void this.loadMetadata(name);
    }
    this.draw();
  }

  private async loadMetadata(name: string): Promise<void> {
    const { serverUrl, apiKey } = this.settings;
    this.metadata.set(name, { kind: 'loading' });
    let next: MetadataState;
    try {
      next = { kind: 'loaded', info: await fetchDatasetInfo(serverUrl, apiKey, name) };
    } catch (err) {
      next = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    // Settings changed meanwhile: the answer belongs to another server or key.
    if (serverUrl !== this.settings.serverUrl || apiKey !== this.settings.apiKey) return;
    this.metadata.set(name, next);
    this.draw();
  }

  private draw(): void {
    const { serverUrl } = this.settings;
    this.serverNode.textContent = '';
    this.serverNode.appendChild(el('span', `${CLASS}-label`, 'Server '));
    this.serverNode.appendChild(
      el('code', `${CLASS}-url`, serverUrl || 'not set (Settings → Lomas → Server URL)')
    );
    this.drawBudgets();
    this.drawHistory();
  }

  private drawBudgets(): void {
    this.statusNode.className = `${CLASS}-status`;
    this.listNode.textContent = '';
    const s = this.state;
    switch (s.kind) {
      case 'no-key':
        this.statusNode.textContent =
          'Set your API key in Settings → Settings Editor → Lomas to see your budgets.';
        break;
      case 'loading':
        this.statusNode.textContent = this.lastBudgets ? 'Updating…' : 'Loading budgets…';
        for (const b of this.lastBudgets ?? []) this.listNode.appendChild(this.budgetItem(b));
        break;
      case 'error':
        this.statusNode.classList.add(`${CLASS}-error`);
        this.statusNode.textContent = s.message;
        break;
      case 'loaded':
        this.statusNode.textContent =
          s.budgets.length === 0
            ? 'You have no budget on any dataset yet.'
            : `Updated ${s.at.toLocaleTimeString()} · click a dataset for its public metadata`;
        for (const b of s.budgets) this.listNode.appendChild(this.budgetItem(b));
        break;
    }
  }

  private drawHistory(): void {
    this.historyStatus.className = `${CLASS}-status`;
    this.historyNode.textContent = '';
    const h = this.history;
    let items: HistoryItem[] | undefined;
    switch (h.kind) {
      case 'idle':
        this.historyStatus.textContent = 'Your queries appear here once an API key is set.';
        break;
      case 'loading':
        this.historyStatus.textContent = this.lastHistory ? '' : 'Loading history…';
        items = this.lastHistory;
        break;
      case 'error':
        // The same failure as the budgets' (e.g. a refused key) is said once, above.
        if (this.state.kind === 'error' && sameFailure(this.state.message, h.message)) {
          this.historyStatus.textContent = 'Not available: see the error above.';
        } else {
          this.historyStatus.classList.add(`${CLASS}-error`);
          this.historyStatus.textContent = h.message;
        }
        break;
      case 'loaded':
        items = h.items;
        this.historyStatus.textContent =
          h.items.length === 0 ? 'No queries yet: run one from a notebook.' : '';
        break;
    }
    for (const item of items ?? []) this.historyNode.appendChild(this.historyItem(item));
  }

  private historyItem(q: HistoryItem): HTMLElement {
    const li = el('li', `${CLASS}-query`);
    li.dataset.queryId = q.queryId;
    li.dataset.dataset = q.dataset;
    const summary = el('div', `${CLASS}-querySummary`, q.summary);
    summary.title = q.problem ? `${q.summary}: ${q.problem}` : q.summary;
    if (!q.readable) summary.classList.add(`${CLASS}-unreadable`);
    li.appendChild(summary);
    const meta = el('div', `${CLASS}-queryMeta`);
    const parts = [q.dataset, formatWhen(q.at)];
    if (q.cost) parts.push(`spent ${q.cost}`);
    meta.textContent = parts.filter(Boolean).join(' · ');
    if (!q.released) {
      li.classList.add(`${CLASS}-failed`);
      meta.appendChild(el('span', `${CLASS}-failedTag`, 'failed'));
    }
    li.appendChild(meta);
    return li;
  }

  private budgetItem(b: BudgetStatus): HTMLElement {
    const li = el('li', `${CLASS}-item`);
    li.dataset.dataset = b.dataset;
    const expanded = this.open.has(b.dataset);
    const head = el('button', `${CLASS}-itemHead`);
    head.type = 'button';
    head.setAttribute('aria-expanded', String(expanded));
    head.title = expanded ? 'Hide the public metadata' : 'Show the public metadata';
    head.addEventListener('click', () => this.toggleDataset(b.dataset));
    head.appendChild(el('span', `${CLASS}-caret`, expanded ? '▾' : '▸'));
    head.appendChild(el('span', `${CLASS}-dataset`, b.dataset));
    head.appendChild(el('span', `${CLASS}-accounting`, b.accounting));
    li.appendChild(head);
    const bar = el('div', `${CLASS}-bar`);
    const fill = el('div', `${CLASS}-barFill`);
    const share = budgetShare(b);
    fill.style.width = `${(share * 100).toFixed(1)}%`;
    bar.appendChild(fill);
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-valuenow', share.toFixed(3));
    li.appendChild(bar);
    li.appendChild(el('div', `${CLASS}-amounts`, formatBudgetLeft(b)));
    if (expanded) li.appendChild(this.metadataBlock(b.dataset));
    return li;
  }

  private metadataBlock(name: string): HTMLElement {
    const box = el('div', `${CLASS}-meta`);
    const m = this.metadata.get(name) ?? { kind: 'loading' };
    if (m.kind === 'loading') {
      box.appendChild(el('div', `${CLASS}-status`, 'Loading metadata…'));
      return box;
    }
    if (m.kind === 'error') {
      box.appendChild(el('div', `${CLASS}-status ${CLASS}-error`, m.message));
      return box;
    }
    const info = m.info;
    if (info.description) box.appendChild(el('div', `${CLASS}-metaDescription`, info.description));
    const facts = [
      ...(info.accounting ? [`${info.accounting} accounting`] : []),
      ...info.facts,
      `${info.columns.length} column${info.columns.length === 1 ? '' : 's'}`
    ];
    box.appendChild(el('div', `${CLASS}-metaFacts`, facts.join(' · ')));
    const dl = el('dl', `${CLASS}-columns`);
    for (const c of info.columns) {
      const dt = el('dt', `${CLASS}-column`);
      dt.appendChild(el('span', `${CLASS}-columnName`, c.name));
      dt.appendChild(el('span', `${CLASS}-columnType`, c.type));
      dl.appendChild(dt);
      const dd = el('dd', `${CLASS}-columnDetail`);
      for (const part of (c.detail || '—').split(DETAIL_SEPARATORS))
        dd.appendChild(
          el('span', DETAIL_SEPARATORS.test(part) ? undefined : `${CLASS}-value`, part)
        );
      dd.title = c.detail;
      dl.appendChild(dd);
    }
    box.appendChild(dl);
    return box;
  }
}
