import type { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import type { BudgetStatus } from 'lomas-kernel/protocol';
import type { DatasetInfo } from './datasets';
import { budgetShare, formatBudgetLeft, formatWhen } from './format';
import type { HistoryItem } from './history';
import { lomasIcon } from './icon';
import { CommandIDs, PANEL_ID, type ConnectionState, type ILomasModel } from './tokens';
import { el } from './dom';

/**
 * The left side panel: which server the notebooks talk to and as whom (sign in / out), the
 * analyst's datasets with their budget (click one for its public metadata) and their recent
 * queries, each summarized in one line. It draws the shared model (ILomasModel) and redraws on
 * its signals. Plain DOM (textContent only) styled with jp-* variables so it follows the light
 * and dark themes.
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

type MetadataState =
  { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'loaded'; info: DatasetInfo };

/** What the panel says when there is nothing to list, by connection state. */
function connectionAdvice(c: ConnectionState): string | undefined {
  switch (c.status) {
    case 'checking':
      return 'Connecting…';
    case 'signed-out':
      return 'Sign in to see your budgets: "Lomas: Sign in" in the command palette, or the button above.';
    case 'refused':
    case 'unreachable':
    case 'unavailable':
      return c.problem ?? 'The Lomas server cannot be reached.';
    default:
      return undefined;
  }
}

export class BudgetPanel extends Widget {
  private readonly open = new Set<string>();
  private readonly metadata = new Map<string, MetadataState>();
  private readonly serverNode: HTMLElement;
  private readonly statusNode: HTMLElement;
  private readonly listNode: HTMLElement;
  private readonly historyStatus: HTMLElement;
  private readonly historyNode: HTMLElement;

  constructor(
    private readonly model: ILomasModel,
    private readonly commands?: CommandRegistry
  ) {
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
    model.connectionChanged.connect(this.onConnection, this);
    model.budgetsChanged.connect(this.onBudgets, this);
    this.draw();
  }

  override dispose(): void {
    this.model.connectionChanged.disconnect(this.onConnection, this);
    this.model.budgetsChanged.disconnect(this.onBudgets, this);
    super.dispose();
  }

  /** Budgets and history again; a refresh is also the user's way to ask for failed metadata. */
  async refresh(): Promise<void> {
    for (const [name, m] of this.metadata) if (m.kind === 'error') this.metadata.delete(name);
    if (this.model.connection.status !== 'signed-in') await this.model.refreshConnection();
    else await this.model.refresh();
  }

  private onConnection(): void {
    // Another user or server: what was open belonged to the previous one.
    this.metadata.clear();
    this.open.clear();
    this.draw();
  }

  private onBudgets(): void {
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
    const connection = this.model.connection;
    this.metadata.set(name, { kind: 'loading' });
    let next: MetadataState;
    try {
      next = { kind: 'loaded', info: await this.model.datasetInfo(name) };
    } catch (err) {
      next = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    // Signed in elsewhere meanwhile: the answer belongs to another server or user.
    if (this.model.connection !== connection) return;
    this.metadata.set(name, next);
    this.draw();
  }

  private draw(): void {
    this.drawServer();
    this.drawBudgets();
    this.drawHistory();
  }

  private drawServer(): void {
    const c = this.model.connection;
    this.serverNode.textContent = '';
    this.serverNode.dataset.status = c.status;
    const line = el('div', `${CLASS}-serverLine`);
    line.appendChild(el('span', `${CLASS}-label`, 'Server '));
    line.appendChild(el('code', `${CLASS}-url`, c.url ?? 'not set'));
    this.serverNode.appendChild(line);
    const who = el('div', `${CLASS}-who`);
    if (c.status === 'signed-in') {
      who.appendChild(el('span', `${CLASS}-user`, `Signed in as ${c.user ?? '?'}`));
      if (c.role === 'admin') who.appendChild(el('span', `${CLASS}-role`, ' (admin)'));
    } else {
      who.appendChild(el('span', `${CLASS}-user`, c.status === 'checking' ? '' : 'Not signed in'));
    }
    if (this.commands && c.status !== 'unavailable' && c.status !== 'checking') {
      const signedIn = c.status === 'signed-in';
      const id = signedIn ? CommandIDs.signOut : CommandIDs.signIn;
      const button = el(
        'button',
        `jp-Button jp-mod-styled ${signedIn ? 'jp-mod-reject' : 'jp-mod-accept'} ${CLASS}-signIn`,
        signedIn ? 'Sign out' : 'Sign in'
      );
      button.addEventListener('click', () => void this.commands?.execute(id));
      who.appendChild(button);
      if (this.model.isAdmin) {
        const admin = el('button', `jp-Button jp-mod-styled jp-mod-reject ${CLASS}-admin`, 'Admin');
        admin.title = 'Users and keys, datasets, grants, spending and the audit trail';
        admin.addEventListener(
          'click',
          () => void this.commands?.execute(CommandIDs.openAdminPanel)
        );
        who.appendChild(admin);
      }
    }
    this.serverNode.appendChild(who);
  }

  private drawBudgets(): void {
    this.statusNode.className = `${CLASS}-status`;
    this.listNode.textContent = '';
    const advice = connectionAdvice(this.model.connection);
    if (advice) {
      if (
        this.model.connection.status !== 'signed-out' &&
        this.model.connection.status !== 'checking'
      )
        this.statusNode.classList.add(`${CLASS}-error`);
      this.statusNode.textContent = advice;
      return;
    }
    const s = this.model.budgets;
    switch (s.kind) {
      case 'idle':
        this.statusNode.textContent = '';
        break;
      case 'loading':
        this.statusNode.textContent = s.last ? 'Updating…' : 'Loading budgets…';
        for (const b of s.last ?? []) this.listNode.appendChild(this.budgetItem(b));
        break;
      case 'error':
        this.statusNode.classList.add(`${CLASS}-error`);
        this.statusNode.textContent = s.message;
        break;
      case 'loaded':
        this.statusNode.textContent =
          s.value.length === 0
            ? 'You have no budget on any dataset yet.'
            : `Updated ${s.at.toLocaleTimeString()} · click a dataset for its public metadata`;
        for (const b of s.value) this.listNode.appendChild(this.budgetItem(b));
        break;
    }
  }

  private drawHistory(): void {
    this.historyStatus.className = `${CLASS}-status`;
    this.historyNode.textContent = '';
    if (this.model.connection.status !== 'signed-in') {
      this.historyStatus.textContent = 'Your queries appear here once you are signed in.';
      return;
    }
    const h = this.model.history;
    const budgets = this.model.budgets;
    let items: HistoryItem[] | undefined;
    switch (h.kind) {
      case 'idle':
        this.historyStatus.textContent = '';
        break;
      case 'loading':
        this.historyStatus.textContent = h.last ? '' : 'Loading history…';
        items = h.last;
        break;
      case 'error':
        // The same failure as the budgets' (e.g. a refused key) is said once, above.
        if (budgets.kind === 'error' && sameFailure(budgets.message, h.message)) {
          this.historyStatus.textContent = 'Not available: see the error above.';
        } else {
          this.historyStatus.classList.add(`${CLASS}-error`);
          this.historyStatus.textContent = h.message;
        }
        break;
      case 'loaded':
        items = h.value;
        this.historyStatus.textContent =
          h.value.length === 0 ? 'No queries yet: run one from a notebook.' : '';
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
