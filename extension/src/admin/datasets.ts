import { el } from '../dom';
import type { DatasetView } from 'lomas-kernel/protocol';
import {
  budgetInputs,
  budgetText,
  button,
  CLASS,
  confirmAction,
  field,
  form,
  input,
  messageOf,
  select,
  table,
  textarea,
  type AdminContext,
  type Section
} from './ui';

const EXAMPLE_CONNECTOR = { kind: 'vega-datasets', name: 'penguins' };
const EXAMPLE_METADATA = {
  max_ids: 1,
  row_privacy: true,
  columns: {
    species: {
      type: 'string',
      categories: ['Adelie', 'Chinstrap', 'Gentoo'],
      nullable: false
    },
    body_mass_g: { type: 'float', lower: 2700, upper: 6300, nullable: true }
  }
};

/** Where the rows come from, without secrets: the connector's kind and its file, URL or object. */
function sourceText(c: Record<string, unknown>): string {
  const where = c.path ?? c.name ?? (c.bucket ? `${String(c.bucket)}/${String(c.key)}` : undefined);
  const url = typeof c.url === 'string' ? c.url.replace(/\/\/[^@/]*@/, '//') : undefined;
  return [c.kind, where ?? url].filter(Boolean).map(String).join(': ');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`The ${what} is not valid JSON: ${messageOf(err)}`);
  }
}

/** Datasets: register, edit metadata (a new version), set or remove the cap, remove. */
export class DatasetsSection implements Section {
  readonly id = 'datasets';
  readonly title = 'Datasets';
  readonly node = el('section', `${CLASS}-section ${CLASS}-datasets`);
  /** The open editor: dataset name and which one. */
  private editing: { name: string; what: 'metadata' | 'cap' } | undefined;

  /** Made once: a reload of the list must not wipe what the administrator is typing. */
  private readonly form: HTMLElement;

  constructor(private readonly ctx: AdminContext) {
    this.form = this.registerForm();
  }

  async load(): Promise<void> {
    const datasets = await this.ctx.api.datasets();
    this.node.textContent = '';
    this.node.appendChild(this.form);
    const rows = datasets.flatMap(d => {
      const row = { key: d.name, cells: this.cells(d) };
      if (this.editing?.name !== d.name) return [row];
      const editor = this.editing.what === 'metadata' ? this.metadataEditor(d) : this.capEditor(d);
      return [row, { key: `${d.name}:${this.editing.what}`, cells: [editor] }];
    });
    this.node.appendChild(
      table(
        ['Dataset', 'Accounting', 'Version', 'Cap', 'Source', 'Updated', ''],
        rows,
        'No datasets.'
      )
    );
  }

  private cells(d: DatasetView): Array<string | HTMLElement> {
    const actions = el('span', `${CLASS}-actions`);
    actions.append(
      button('Metadata', () => this.edit(d.name, 'metadata')),
      button('Cap', () => this.edit(d.name, 'cap')),
      button('Remove', () => this.remove(d), 'jp-mod-warn')
    );
    return [
      d.name,
      d.accounting,
      `v${d.version}`,
      budgetText(d.cap, d.accounting),
      sourceText(d.connector),
      d.updatedAt.slice(0, 19).replace('T', ' '),
      actions
    ];
  }

  private async edit(name: string, what: 'metadata' | 'cap'): Promise<void> {
    this.editing =
      this.editing?.name === name && this.editing.what === what ? undefined : { name, what };
    await this.load().catch(err => this.ctx.say(messageOf(err), true));
  }

  private registerForm(): HTMLElement {
    const name = input('name', 'e.g. penguins2');
    const description = input('description', 'what it holds (public)');
    const accounting = select('accounting', ['pure', 'approx', 'zcdp'], 'pure');
    const connector = textarea('connector', JSON.stringify(EXAMPLE_CONNECTOR, null, 2), 4);
    const metadata = textarea('metadata', JSON.stringify(EXAMPLE_METADATA, null, 2), 12);
    const capBox = el('span', `${CLASS}-capInputs`);
    let cap = budgetInputs(accounting.value);
    capBox.appendChild(cap.node);
    accounting.addEventListener('change', () => {
      cap = budgetInputs(accounting.value);
      capBox.replaceChildren(cap.node);
    });
    const register = button(
      'Register',
      async () => {
        try {
          const capValue = cap.value();
          const hasCap = Object.values(capValue).some(v => Number(v) > 0);
          const created = await this.ctx.api.createDataset({
            name: name.value.trim(),
            ...(description.value.trim() ? { description: description.value.trim() } : {}),
            accounting: accounting.value,
            connector: parseJson(connector.value, 'connector'),
            metadata: parseJson(metadata.value, 'metadata'),
            cap: hasCap ? capValue : null
          });
          name.value = '';
          this.ctx.say(`Registered ${created.name} (v${created.version}).`);
          this.ctx.changed();
        } catch (err) {
          this.ctx.say(messageOf(err), true);
        }
      },
      'jp-mod-accept'
    );
    return form(
      'Register a dataset',
      field('Name', name),
      field('Description', description),
      field('Accounting', accounting),
      field('Connector (JSON: file, http, s3 or vega-datasets)', connector),
      field('Public metadata (JSON, SmartNoise style)', metadata),
      field('Dataset cap (optional: leave 0 for none)', capBox),
      register
    );
  }

  private metadataEditor(d: DatasetView): HTMLElement {
    const description = input('description', '', d.description ?? '');
    const metadata = textarea('metadata', JSON.stringify(d.metadata, null, 2), 14);
    const save = button(
      `Save as version ${d.version + 1}`,
      async () => {
        try {
          const updated = await this.ctx.api.updateDataset(d.name, {
            metadata: parseJson(metadata.value, 'metadata'),
            ...(description.value.trim() ? { description: description.value.trim() } : {})
          });
          this.editing = undefined;
          this.ctx.say(`${updated.name} is now version ${updated.version}.`);
          await this.load();
        } catch (err) {
          this.ctx.say(messageOf(err), true);
        }
      },
      'jp-mod-accept'
    );
    const box = el('div', `${CLASS}-editor`);
    box.append(field('Description', description), field('Public metadata (JSON)', metadata), save);
    return box;
  }

  private capEditor(d: DatasetView): HTMLElement {
    const cap = budgetInputs(d.accounting);
    const set = button(
      'Set cap',
      async () => {
        try {
          await this.ctx.api.updateDataset(d.name, { cap: cap.value() });
          this.editing = undefined;
          this.ctx.say(`Cap of ${d.name} set.`);
          await this.load();
        } catch (err) {
          this.ctx.say(messageOf(err), true);
        }
      },
      'jp-mod-accept'
    );
    const remove = button('Remove cap', async () => {
      try {
        await this.ctx.api.updateDataset(d.name, { cap: null });
        this.editing = undefined;
        this.ctx.say(`${d.name} has no cap now.`);
        await this.load();
      } catch (err) {
        this.ctx.say(messageOf(err), true);
      }
    });
    const box = el('div', `${CLASS}-editor`);
    box.append(
      el(
        'p',
        undefined,
        `All analysts together may spend at most the cap on ${d.name} (now ${budgetText(d.cap, d.accounting)}). It cannot go below what is already spent.`
      ),
      cap.node,
      set,
      remove
    );
    return box;
  }

  private async remove(d: DatasetView): Promise<void> {
    const ok = await confirmAction(
      `Remove ${d.name}?`,
      `${d.name} is unregistered: analysts can no longer query it. Its ledger entries and archived answers stay in the audit trail. The data source itself is not touched.`,
      'Remove'
    );
    if (!ok) return;
    try {
      await this.ctx.api.removeDataset(d.name);
      this.ctx.say(`Removed ${d.name}.`);
      this.ctx.changed();
    } catch (err) {
      this.ctx.say(messageOf(err), true);
    }
  }
}
