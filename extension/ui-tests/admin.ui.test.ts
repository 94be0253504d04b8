/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * The admin panel, in real components (a real Lomas server process, a real JupyterLab with the
 * pip-installed extension, Debian's Chromium), in JupyterLab's dark theme: an administrator signed
 * in through the Jupyter server opens the panel, creates an analyst (whose key is shown once),
 * grants them a budget on penguins; the analyst then signs in through the dialog and spends part
 * of it from a notebook. The server's ledger and budgets are checked at each step. Screenshots:
 * test-artifacts/ui/admin-*.png.
 */
import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/serverProcess';
import {
  labRoot,
  openNotebook,
  runCell,
  runCommand,
  screenshot,
  startCommand,
  withBrowser,
  withJupyterLab
} from './harness';

let server: ServerProcess;
let root: string;
const ANALYST = 'carol';

beforeAll(async () => {
  server = await startServerProcess();
  root = labRoot('admin', {
    'spend.ipynb': [
      'import { connect } from "lomas-kernel";\nconst lomas = await connect();\n(await lomas.me()).user',
      'await lomas.dataset("penguins").query().groupby("species").count({ epsilon: 0.5 }).run()'
    ]
  });
}, 60000);

afterAll(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function api(key: string, path: string): Promise<any> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return res.json();
}

async function statusText(page: Page, expected: string | RegExp): Promise<void> {
  await page.waitForFunction(
    ([source, flags]) =>
      new RegExp(source, flags).test(document.querySelector('.jp-LomasStatus')?.textContent ?? ''),
    typeof expected === 'string'
      ? [`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, '']
      : [expected.source, expected.flags],
    { timeout: 15000 }
  );
}

test('an admin creates an analyst and grants a budget that the analyst then spends', async () => {
  await withJupyterLab(
    {
      rootDir: root,
      lomas: { url: server.url, token: server.adminKey },
      settings: { '@jupyterlab/apputils-extension:themes': { theme: 'JupyterLab Dark' } }
    },
    lab =>
      withBrowser(async page => {
        try {
          await openNotebook(page, lab, 'spend.ipynb');
          await page.waitForSelector('body[data-jp-theme-light="false"]', {
            state: 'attached',
            timeout: 30000
          });
          await statusText(page, 'Lomas');
          await page.waitForFunction(
            () => (window as any).jupyterapp.commands.isVisible('lomas:open-admin-panel') === true,
            undefined,
            { timeout: 15000 }
          );
          await runCommand(page, 'lomas:open-admin-panel');
          const admin = page.locator('#jp-lomas-admin-panel');
          await admin.waitFor({ state: 'visible', timeout: 15000 });

          // Users and keys: create the analyst; the key is shown once, in a dialog.
          await admin.locator('.jp-LomasAdmin-tab[data-section="users"]').click();
          const users = admin.locator('.jp-LomasAdmin-users');
          // The section re-renders when its list arrives: type only after that, or the form is new.
          await users.locator('td', { hasText: 'admin' }).first().waitFor({ timeout: 15000 });
          const name = users.locator('input[name="name"]');
          await name.fill(ANALYST);
          await page.waitForFunction(
            n =>
              (
                document.querySelector(
                  '.jp-LomasAdmin-users input[name="name"]'
                ) as HTMLInputElement | null
              )?.value === n,
            ANALYST,
            { timeout: 15000 }
          );
          await users.locator('.jp-LomasAdmin-createUser').click();
          const keyValue = page.locator('.jp-Dialog .jp-LomasAdmin-keyValue');
          await keyValue.waitFor({ state: 'visible', timeout: 15000 });
          const key = (await keyValue.innerText()).trim();
          expect(key).toMatch(/^lomas_/);
          await screenshot(page, 'admin-new-key');
          await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click();
          await users.locator('td', { hasText: ANALYST }).first().waitFor({ timeout: 15000 });
          const created = await api(server.adminKey, '/admin/users');
          expect(created.find((u: any) => u.name === ANALYST)).toMatchObject({
            role: 'analyst',
            active: true
          });

          // Grants: ε 2 on penguins (and a δ when the dataset's accounting has one).
          await admin.locator('.jp-LomasAdmin-tab[data-section="grants"]').click();
          const grants = admin.locator('.jp-LomasAdmin-grants');
          await grants.locator('select[name="dataset"]').selectOption('penguins');
          await grants.locator('select[name="user"]').selectOption(ANALYST);
          await grants.locator('input[name="epsilon"]').fill('2');
          const delta = grants.locator('input[name="delta"]');
          if (await delta.count()) await delta.fill('0.00001');
          await grants.locator('.jp-LomasAdmin-setGrant').click();
          await grants
            .locator('tr', { hasText: ANALYST })
            .filter({ hasText: 'penguins' })
            .first()
            .waitFor({ timeout: 15000 });
          const granted = (await api(server.adminKey, '/admin/grants')).find(
            (g: any) => g.user === ANALYST && g.dataset === 'penguins'
          );
          expect(granted.budget.epsilon).toBe('2');
          await screenshot(page, 'admin-grants-dark');

          // The analyst signs in through the dialog and spends from the notebook.
          await startCommand(page, 'lomas:sign-in');
          const dialog = page.locator('.jp-Dialog', { has: page.locator('.jp-LomasSignIn') });
          await dialog.waitFor({ state: 'visible', timeout: 15000 });
          await dialog.locator('.jp-LomasSignIn-url').fill(server.url);
          await dialog.locator('.jp-LomasSignIn-key').fill(key);
          await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
          await dialog.waitFor({ state: 'detached', timeout: 15000 });
          await page.waitForFunction(
            () => (window as any).jupyterapp.commands.isVisible('lomas:open-admin-panel') === false,
            undefined,
            { timeout: 15000 }
          );
          const me = await runCell(page, 'spend.ipynb', 0, 60000);
          expect(JSON.stringify(me)).toContain(ANALYST);
          const spent = await runCell(page, 'spend.ipynb', 1, 90000);
          expect(spent.some(o => o.output_type === 'error')).toBe(false);
          const budget = await api(key, '/v1/datasets/penguins/budget');
          expect(budget.spent.epsilon).toBe('0.5');
          expect(budget.remaining.epsilon).toBe('1.5');
          const ledger = await api(server.adminKey, '/admin/ledger?dataset=penguins');
          expect(ledger.filter((e: any) => e.kind === 'charge').map((e: any) => e.user)).toEqual([
            ANALYST
          ]);
          await statusText(page, /^penguins: ε 1\.5 of 2 left/);
          await page.locator('.jp-Cell').nth(1).scrollIntoViewIfNeeded();
          await screenshot(page, 'admin-analyst-spent-dark');
        } catch (err) {
          await screenshot(page, 'admin-failure').catch(() => undefined);
          throw new Error(
            `${err instanceof Error ? err.message : err}\n--- jupyter lab log ---\n${lab.log()}`
          );
        }
      })
  );
}, 300000);
