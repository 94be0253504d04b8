import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { el } from '../dom';
import type { KeyView, UserView } from 'lomas-kernel/protocol';
import {
  button,
  CLASS,
  confirmAction,
  field,
  form,
  input,
  messageOf,
  select,
  table,
  type AdminContext,
  type Section
} from './ui';

/** A new key, shown once in a dialog (Lomas keeps only its hash), with a copy button. */
async function showNewKey(user: string, key: string): Promise<void> {
  const body = new Widget();
  body.addClass(`${CLASS}-newKey`);
  body.node.appendChild(
    el(
      'p',
      undefined,
      `The API key of ${user}. It is shown once: Lomas keeps only its hash. Hand it to ${user} (they sign in with "Lomas: Sign in").`
    )
  );
  const code = el('code', `${CLASS}-keyValue`, key);
  body.node.appendChild(code);
  const copy = el('button', `jp-Button jp-mod-styled ${CLASS}-copy`, 'Copy');
  copy.addEventListener('click', () => void navigator.clipboard?.writeText(key));
  body.node.appendChild(copy);
  await showDialog({
    title: `New key for ${user}`,
    body,
    buttons: [Dialog.okButton({ label: 'Done' })]
  });
  code.textContent = '';
}

/** Users and their API keys: create (with a first key), issue, revoke, deactivate. */
export class UsersSection implements Section {
  readonly id = 'users';
  readonly title = 'Users and keys';
  readonly node = el('section', `${CLASS}-section ${CLASS}-users`);
  private readonly openKeys = new Set<string>();

  /** Made once: a reload of the list must not wipe what the administrator is typing. */
  private readonly form: HTMLElement;

  constructor(private readonly ctx: AdminContext) {
    this.form = this.createForm();
  }

  async load(): Promise<void> {
    const users = await this.ctx.api.users();
    const keys = new Map<string, KeyView[]>();
    await Promise.all(
      [...this.openKeys].map(async u => keys.set(u, await this.ctx.api.keys(u).catch(() => [])))
    );
    this.node.textContent = '';
    this.node.appendChild(this.form);
    const rows = users.flatMap(u => {
      const row = { key: u.name, cells: this.cells(u) };
      const open = keys.get(u.name);
      return open ? [row, { key: `${u.name}:keys`, cells: [this.keyList(u.name, open)] }] : [row];
    });
    this.node.appendChild(table(['User', 'Role', 'State', 'Created', ''], rows, 'No users.'));
  }

  private cells(u: UserView): Array<string | HTMLElement> {
    const actions = el('span', `${CLASS}-actions`);
    actions.append(
      button(this.openKeys.has(u.name) ? 'Hide keys' : 'Keys', () => this.toggleKeys(u.name)),
      button('Issue key', () => this.issue(u.name)),
      u.active
        ? button('Deactivate', () => this.setActive(u, false), 'jp-mod-warn')
        : button('Reactivate', () => this.setActive(u, true))
    );
    return [u.name, u.role, u.active ? 'active' : 'deactivated', u.createdAt.slice(0, 10), actions];
  }

  private keyList(user: string, keys: KeyView[]): HTMLElement {
    const rows = keys.map(k => ({
      key: k.id,
      cells: [
        k.id,
        k.label || '—',
        k.createdAt.slice(0, 19).replace('T', ' '),
        k.revokedAt ? `revoked ${k.revokedAt.slice(0, 10)}` : 'valid',
        k.revokedAt ? '' : button('Revoke', () => this.revoke(user, k), 'jp-mod-warn')
      ]
    }));
    const box = el('div', `${CLASS}-keys`);
    box.dataset.user = user;
    box.appendChild(table(['Key id', 'Label', 'Created', 'State', ''], rows, 'No keys.'));
    return box;
  }

  private createForm(): HTMLElement {
    const name = input('name', 'e.g. alice');
    const role = select('role', ['analyst', 'admin'], 'analyst');
    const create = button(
      'Create user and issue a key',
      async () => {
        try {
          const user = await this.ctx.api.createUser(name.value.trim(), role.value as 'analyst');
          const issued = await this.ctx.api.issueKey(user.name, 'issued in JupyterLab');
          name.value = '';
          this.ctx.say(`Created ${user.role} ${user.name} with a key.`);
          this.ctx.changed();
          await showNewKey(user.name, issued.key);
        } catch (err) {
          this.ctx.say(messageOf(err), true);
        }
      },
      'jp-mod-accept'
    );
    create.classList.add(`${CLASS}-createUser`);
    return form('New user', field('Name', name), field('Role', role), create);
  }

  private async toggleKeys(user: string): Promise<void> {
    if (this.openKeys.has(user)) this.openKeys.delete(user);
    else this.openKeys.add(user);
    await this.load().catch(err => this.ctx.say(messageOf(err), true));
  }

  private async issue(user: string): Promise<void> {
    try {
      const issued = await this.ctx.api.issueKey(user, 'issued in JupyterLab');
      this.openKeys.add(user);
      await this.load();
      await showNewKey(user, issued.key);
    } catch (err) {
      this.ctx.say(messageOf(err), true);
    }
  }

  private async revoke(user: string, k: KeyView): Promise<void> {
    const ok = await confirmAction(
      'Revoke this key?',
      `Key ${k.id} of ${user}${k.label ? ` (${k.label})` : ''} stops working at once, for every notebook and tool that uses it. This cannot be undone: issue a new key instead.`,
      'Revoke'
    );
    if (!ok) return;
    try {
      await this.ctx.api.revokeKey(k.id);
      this.ctx.say(`Revoked key ${k.id} of ${user}.`);
      await this.load();
    } catch (err) {
      this.ctx.say(messageOf(err), true);
    }
  }

  private async setActive(u: UserView, active: boolean): Promise<void> {
    if (
      !active &&
      !(await confirmAction(
        `Deactivate ${u.name}?`,
        `${u.name} can no longer sign in or query, with any key, until reactivated. Their budgets and history are kept.`,
        'Deactivate'
      ))
    )
      return;
    try {
      await this.ctx.api.setActive(u.name, active);
      this.ctx.say(`${u.name} is ${active ? 'active again' : 'deactivated'}.`);
      await this.load();
    } catch (err) {
      this.ctx.say(messageOf(err), true);
    }
  }
}
