/**
 * Signing in from JupyterLab, in real components (a real Lomas server process, a real JupyterLab
 * with the pip-installed extension and server extension, Debian's Chromium): the status bar and
 * the panel say what to do; the password dialog refuses a wrong key with the server's reason and
 * accepts the right one; the key is then in the lab's private connection file (0600), which the
 * kernel reads too, and nowhere else: not in a settings or workspace file, the notebook, the
 * browser's storage, a URL or the log. An API key left in the settings by an earlier version is
 * removed at start. A query template is inserted for a chosen dataset and runs. Sign-out removes
 * the key. Screenshots: test-artifacts/ui/signin-*.png.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { newKey } from '../../server/test/helpers/serverProcess';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/serverProcess';
import {
  filesContaining,
  labRoot,
  openNotebook,
  runCell,
  runCommand,
  screenshot,
  startCommand,
  withBrowser,
  withJupyterLab,
  type CellOutput
} from './harness';

let server: ServerProcess;
let root: string;
const OLD_KEY = newKey();

beforeAll(async () => {
  server = await startServerProcess();
  root = labRoot('signin', {
    'signin.ipynb': [
      `import { connect } from "lomas-kernel";
const lomas = await connect();
(await lomas.me()).user`
    ]
  });
}, 60000);

afterAll(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function textOf(outputs: CellOutput[]): string {
  return outputs
    .map(o => {
      const t = o.text ?? o.data?.['text/plain'] ?? '';
      return Array.isArray(t) ? t.join('') : String(t);
    })
    .join('\n');
}

async function statusText(page: Page, expected: string): Promise<void> {
  await page.waitForFunction(
    t => document.querySelector('.jp-LomasStatus')?.textContent === t,
    expected,
    { timeout: 15000 }
  );
}

/** Fills the sign-in dialog and presses Sign in. */
async function signIn(page: Page, url: string, key: string, shot?: string): Promise<void> {
  const dialog = page.locator('.jp-Dialog', { has: page.locator('.jp-LomasSignIn') });
  await dialog.waitFor({ state: 'visible', timeout: 15000 });
  await dialog.locator('.jp-LomasSignIn-url').fill(url);
  await dialog.locator('.jp-LomasSignIn-key').fill(key);
  expect(await dialog.locator('.jp-LomasSignIn-key').getAttribute('type')).toBe('password');
  if (shot) await screenshot(page, shot);
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
}

test('sign in through the dialog; the key stays on the Jupyter server', async () => {
  await withJupyterLab(
    {
      rootDir: root,
      // Settings of an earlier version, with the key in clear: removed when the extension starts.
      settings: {
        'jupyterlab-lomas:plugin': { serverUrl: server.url, apiKey: OLD_KEY, confidence: 0.9 }
      }
    },
    lab =>
      withBrowser(async page => {
        try {
          await openNotebook(page, lab, 'signin.ipynb');
          await statusText(page, 'Lomas: sign in');
          await runCommand(page, 'lomas:open-budget-panel');
          const panel = page.locator('#jp-lomas-budget-panel');
          await panel
            .locator('.jp-LomasPanel-status', { hasText: 'Sign in to see your budgets' })
            .waitFor();

          // The old key left the settings file, and the user was told.
          const settingsFile = join(
            lab.settingsDir,
            'jupyterlab-lomas',
            'plugin.jupyterlab-settings'
          );
          await page.waitForFunction(() =>
            Array.from(document.querySelectorAll('.Toastify__toast')).some(t =>
              /no longer keeps your API key/.test(t.textContent ?? '')
            )
          );
          expect(readFileSync(settingsFile, 'utf8')).not.toContain(OLD_KEY);
          expect(readFileSync(settingsFile, 'utf8')).not.toContain('serverUrl');

          // A wrong key: the dialog comes back with the server's reason; nothing is stored.
          await startCommand(page, 'lomas:sign-in');
          await signIn(page, server.url, newKey());
          const error = page.locator('.jp-LomasSignIn-error');
          await error.waitFor({ state: 'visible', timeout: 15000 });
          expect(await error.innerText()).toContain(
            `The Lomas server at ${server.url} refused this API key`
          );
          await screenshot(page, 'signin-refused');
          await signIn(page, server.url, server.analystKey, 'signin-dialog');
          await page.locator('.jp-LomasSignIn').waitFor({ state: 'detached', timeout: 15000 });

          await statusText(page, 'Lomas');
          await panel.locator('.jp-LomasPanel-user', { hasText: 'Signed in as analyst' }).waitFor();
          await panel
            .locator('.jp-LomasPanel-item[data-dataset="penguins"]')
            .waitFor({ timeout: 15000 });
          expect(await panel.locator('.jp-LomasPanel-url').innerText()).toBe(server.url);

          // The kernel reads the same connection file: the notebook is the same analyst.
          const me = await runCell(page, 'signin.ipynb', 0, 60000);
          expect(textOf(me)).toContain('analyst');

          // A query template for a dataset chosen in the picker, inserted below and run: free.
          await startCommand(page, 'lomas:insert-query-template');
          const picker = page.locator('.jp-Dialog select');
          await picker.waitFor({ state: 'visible', timeout: 15000 });
          await picker.selectOption('penguins');
          await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click();
          const template = await page.waitForFunction(
            () => {
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              const nb = (window as any).jupyterapp.shell.currentWidget?.content;
              const cell = nb?.model?.cells?.get(1);
              return cell ? (cell.sharedModel.getSource() as string) : null;
            },
            undefined,
            { timeout: 15000 }
          );
          const source = (await template.jsonValue()) as string;
          expect(source).toContain('const penguins = lomas.dataset("penguins");');
          expect(source).toContain('.groupby("species")');
          const estimate = await runCell(page, 'signin.ipynb', 1, 60000);
          expect(textOf(estimate)).toMatch(/cost ε=0\.5, δ=0 — .* — nothing spent/);
          await screenshot(page, 'signin-template');

          // The key is in the private connection file, and nowhere the browser or a file shows.
          expect(JSON.parse(readFileSync(lab.lomasConfig, 'utf8'))).toEqual({
            url: server.url,
            token: server.analystKey
          });
          expect(statSync(lab.lomasConfig).mode & 0o777).toBe(0o600);
          await runCommand(page, 'docmanager:save');
          await page.waitForTimeout(1000); // workspace and settings writes settle
          for (const key of [server.analystKey, OLD_KEY]) {
            expect(filesContaining(lab.settingsDir, key)).toEqual([]);
            expect(filesContaining(lab.workspacesDir, key)).toEqual([]);
            expect(filesContaining(root, key)).toEqual([]);
            const stored = await page.evaluate(async () => {
              const dbs = (await indexedDB.databases?.()) ?? [];
              return (
                JSON.stringify({ ...localStorage }) +
                JSON.stringify({ ...sessionStorage }) +
                JSON.stringify(dbs)
              );
            });
            expect(stored).not.toContain(key);
            expect(JSON.stringify(await page.context().cookies())).not.toContain(key);
            expect(page.url()).not.toContain(key);
          }
          expect(lab.log(Infinity)).not.toContain(server.analystKey);

          // Sign-out: the key leaves the file (the URL stays for the next sign-in).
          await runCommand(page, 'lomas:sign-out');
          await statusText(page, 'Lomas: sign in');
          expect(JSON.parse(readFileSync(lab.lomasConfig, 'utf8'))).toEqual({ url: server.url });
          await screenshot(page, 'signin-signed-out');
        } catch (err) {
          await screenshot(page, 'signin-failure').catch(() => undefined);
          throw new Error(
            `${err instanceof Error ? err.message : err}\n--- jupyter lab log ---\n${lab.log()}`
          );
        }
      })
  );
}, 240000);
