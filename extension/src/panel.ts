import { Widget } from '@lumino/widgets';
import type { BudgetStatus } from 'lomas-kernel/protocol';
import { fetchBudgets } from './budgets';
import { budgetShare, formatBudgetLeft } from './format';
import { lomasIcon } from './icon';
import { DEFAULT_SETTINGS, LomasSettings, PANEL_ID } from './tokens';

/**
 * The left side panel: which server the notebooks talk to and the analyst's budget per dataset.
 * Plain DOM (textContent only) styled with jp-* variables so it follows the light and dark themes.
 */
const CLASS = 'jp-LomasPanel';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export type PanelState =
  | { kind: 'no-key' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'loaded'; budgets: BudgetStatus[]; at: Date };

export class BudgetPanel extends Widget {
  private settings: LomasSettings = DEFAULT_SETTINGS;
  private state: PanelState = { kind: 'no-key' };
  private generation = 0;
  private readonly serverNode: HTMLElement;
  private readonly statusNode: HTMLElement;
  private readonly listNode: HTMLElement;

  constructor() {
    super();
    this.id = PANEL_ID;
    this.addClass(CLASS);
    this.title.icon = lomasIcon;
    this.title.caption = 'Lomas: privacy budgets';

    const header = el('div', `${CLASS}-header`);
    header.appendChild(el('h2', `${CLASS}-title`, 'Lomas'));
    const refresh = el(
      'button',
      `jp-Button jp-mod-styled jp-mod-reject ${CLASS}-refresh`,
      'Refresh'
    );
    refresh.title = 'Fetch the budgets again';
    refresh.addEventListener('click', () => void this.refresh());
    header.appendChild(refresh);
    this.node.appendChild(header);

    this.serverNode = el('div', `${CLASS}-server`);
    this.statusNode = el('div', `${CLASS}-status`);
    this.statusNode.setAttribute('aria-live', 'polite');
    this.listNode = el('ul', `${CLASS}-list`);
    this.node.append(this.serverNode, this.statusNode, this.listNode);
    this.draw();
  }

  get currentState(): PanelState {
    return this.state;
  }

  /** New settings: redraw and, when a key is set, fetch again. */
  configure(settings: LomasSettings): void {
    this.settings = settings;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const { serverUrl, apiKey } = this.settings;
    const gen = ++this.generation;
    if (!serverUrl || !apiKey) {
      this.state = { kind: 'no-key' };
      this.draw();
      return;
    }
    this.state = { kind: 'loading' };
    this.draw();
    let next: PanelState;
    try {
      next = { kind: 'loaded', budgets: await fetchBudgets(serverUrl, apiKey), at: new Date() };
    } catch (err) {
      next = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    if (gen !== this.generation) return; // a newer refresh won
    this.state = next;
    this.draw();
  }

  private draw(): void {
    const { serverUrl } = this.settings;
    this.serverNode.textContent = '';
    this.serverNode.appendChild(el('span', `${CLASS}-label`, 'Server '));
    this.serverNode.appendChild(
      el('code', `${CLASS}-url`, serverUrl || 'not set (Settings → Lomas → Server URL)')
    );

    this.statusNode.className = `${CLASS}-status`;
    this.listNode.textContent = '';
    const s = this.state;
    switch (s.kind) {
      case 'no-key':
        this.statusNode.textContent =
          'Set your API key in Settings → Settings Editor → Lomas to see your budgets.';
        break;
      case 'loading':
        this.statusNode.textContent = 'Loading budgets…';
        break;
      case 'error':
        this.statusNode.classList.add(`${CLASS}-error`);
        this.statusNode.textContent = s.message;
        break;
      case 'loaded':
        this.statusNode.textContent =
          s.budgets.length === 0
            ? 'You have no budget on any dataset yet.'
            : `Updated ${s.at.toLocaleTimeString()}`;
        for (const b of s.budgets) this.listNode.appendChild(this.budgetItem(b));
        break;
    }
  }

  private budgetItem(b: BudgetStatus): HTMLElement {
    const li = el('li', `${CLASS}-item`);
    li.dataset.dataset = b.dataset;
    const head = el('div', `${CLASS}-itemHead`);
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
    return li;
  }
}
