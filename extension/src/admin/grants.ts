import { el } from '../dom';
import type { DatasetView, UserView } from 'lomas-kernel/protocol';
import {
  budgetInputs,
  budgetText,
  button,
  CLASS,
  field,
  form,
  messageOf,
  select,
  table,
  type AdminContext,
  type Section
} from './ui';

/**
 * Grants: what each analyst may spend on each dataset, in the dataset's own measure, set through
 * the ledger (the server refuses a grant below what is already spent). Dataset caps are on the
 * Datasets tab.
 */
export class GrantsSection implements Section {
  readonly id = 'grants';
  readonly title = 'Grants';
  readonly node = el('section', `${CLASS}-section ${CLASS}-grants`);

  constructor(private readonly ctx: AdminContext) {}

  async load(): Promise<void> {
    const [grants, datasets, users] = await Promise.all([
      this.ctx.api.grants(),
      this.ctx.api.datasets(),
      this.ctx.api.users()
    ]);
    const accounting = new Map(datasets.map(d => [d.name, d.accounting]));
    this.node.textContent = '';
    this.node.appendChild(this.grantForm(datasets, users));
    const rows = grants
      .slice()
      .sort((a, b) => a.dataset.localeCompare(b.dataset) || a.user.localeCompare(b.user))
      .map(g => ({
        key: `${g.dataset}/${g.user}`,
        cells: [
          g.dataset,
          g.user,
          budgetText(g.budget, accounting.get(g.dataset)),
          budgetText(g.spent, accounting.get(g.dataset))
        ]
      }));
    this.node.appendChild(table(['Dataset', 'Analyst', 'Granted', 'Spent'], rows, 'No grants.'));
  }

  private grantForm(datasets: DatasetView[], users: UserView[]): HTMLElement {
    const names = datasets.map(d => d.name);
    const dataset = select('dataset', names, names[0]);
    const user = select(
      'user',
      users.filter(u => u.active).map(u => u.name)
    );
    const accountingOf = (n: string) => datasets.find(d => d.name === n)?.accounting ?? 'pure';
    const box = el('span', `${CLASS}-grantInputs`);
    let amounts = budgetInputs(accountingOf(dataset.value));
    box.appendChild(amounts.node);
    dataset.addEventListener('change', () => {
      amounts = budgetInputs(accountingOf(dataset.value));
      box.replaceChildren(amounts.node);
    });
    const set = button(
      'Set grant',
      async () => {
        try {
          const g = await this.ctx.api.setGrant(dataset.value, user.value, amounts.value());
          this.ctx.say(
            `${g.user} may now spend ${budgetText(g.budget, accountingOf(g.dataset))} on ${g.dataset}.`
          );
          await this.load();
        } catch (err) {
          this.ctx.say(messageOf(err), true);
        }
      },
      'jp-mod-accept'
    );
    set.classList.add(`${CLASS}-setGrant`);
    return form(
      'Set a grant (the total the analyst may spend on the dataset)',
      field('Dataset', dataset),
      field('Analyst', user),
      box,
      set
    );
  }
}
