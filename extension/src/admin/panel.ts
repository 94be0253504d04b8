import { Widget } from '@lumino/widgets';
import type { ChartRenderers } from '../chart';
import { el } from '../dom';
import { lomasIcon } from '../icon';
import { ADMIN_PANEL_ID, type ILomasModel } from '../tokens';
import { AdminApi } from './api';
import { AuditSection } from './audit';
import { DatasetsSection } from './datasets';
import { GrantsSection } from './grants';
import { SpendingSection } from './spendingView';
import { UsersSection } from './users';
import { CLASS, messageOf, type AdminContext, type Section } from './ui';

/**
 * The admin panel (a main-area tab, for holders of the admin role): users and keys, datasets,
 * grants, spending over time and the audit trail, one tab each. Every action goes through the
 * admin route (AdminApi, via the Jupyter server); the Lomas server checks the role on each.
 */
export class AdminPanel extends Widget {
  private readonly sections: Section[];
  private current: Section;
  private readonly tabs: HTMLElement;
  private readonly note: HTMLElement;
  private readonly body: HTMLElement;
  private readonly header: HTMLElement;

  constructor(
    private readonly model: ILomasModel,
    charts?: ChartRenderers
  ) {
    super();
    this.id = ADMIN_PANEL_ID;
    this.addClass(CLASS);
    this.title.label = 'Lomas admin';
    this.title.icon = lomasIcon;
    this.title.closable = true;
    const ctx: AdminContext = {
      api: new AdminApi(model.request),
      charts,
      say: (text, error) => this.say(text, error),
      changed: () => undefined
    };
    this.sections = [
      new UsersSection(ctx),
      new DatasetsSection(ctx),
      new GrantsSection(ctx),
      new SpendingSection(ctx),
      new AuditSection(ctx)
    ];
    // Another tab's data may depend on the change (a new user in the grant form): reload this one.
    ctx.changed = () => void this.showSection(this.current);
    this.current = this.sections[0];
    this.header = el('div', `${CLASS}-header`);
    this.tabs = el('nav', `${CLASS}-tabs`);
    this.tabs.setAttribute('role', 'tablist');
    for (const s of this.sections) {
      const tab = el('button', `${CLASS}-tab`, s.title);
      tab.type = 'button';
      tab.dataset.section = s.id;
      tab.setAttribute('role', 'tab');
      tab.addEventListener('click', () => void this.showSection(s));
      this.tabs.appendChild(tab);
    }
    this.note = el('div', `${CLASS}-note ${CLASS}-message`);
    this.note.setAttribute('aria-live', 'polite');
    this.body = el('div', `${CLASS}-body`);
    this.node.append(this.header, this.tabs, this.note, this.body);
    model.connectionChanged.connect(this.onConnection, this);
    this.drawHeader();
    void this.showSection(this.current);
  }

  override dispose(): void {
    this.model.connectionChanged.disconnect(this.onConnection, this);
    (
      this.sections.find(s => s instanceof SpendingSection) as SpendingSection | undefined
    )?.dispose();
    super.dispose();
  }

  private onConnection(): void {
    this.drawHeader();
    // Signed out, or in as someone without the admin role: the panel has nothing to show.
    if (!this.model.isAdmin) this.close();
  }

  private drawHeader(): void {
    const c = this.model.connection;
    this.header.textContent = '';
    this.header.appendChild(el('h2', `${CLASS}-title`, 'Lomas administration'));
    this.header.appendChild(
      el(
        'div',
        `${CLASS}-server`,
        `${c.url ?? ''} · signed in as ${c.user ?? '?'} (${c.role ?? '?'})`
      )
    );
  }

  say(text: string, error = false): void {
    this.note.textContent = text;
    this.note.classList.toggle(`${CLASS}-error`, error);
  }

  /** Shows a section, loading its data again (the truth is the server's). */
  async showSection(section: Section): Promise<void> {
    this.current = section;
    for (const tab of Array.from(this.tabs.children) as HTMLElement[]) {
      const on = tab.dataset.section === section.id;
      tab.classList.toggle(`${CLASS}-tab-current`, on);
      tab.setAttribute('aria-selected', String(on));
    }
    this.body.replaceChildren(section.node);
    this.node.dataset.section = section.id;
    section.node.dataset.loading = 'true';
    try {
      await section.load();
    } catch (err) {
      this.say(messageOf(err), true);
    } finally {
      delete section.node.dataset.loading;
    }
  }
}
