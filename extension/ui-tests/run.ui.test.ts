/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * A query run from JupyterLab, in real components (a real Lomas server process admitting one
 * charged request at a time, a real JupyterLab with the pip-installed extension, Debian's
 * Chromium, the Lomas tslab kernel):
 * - cancel before the charge: while the server's only slot is held by another request (charged,
 *   reading a dataset whose source waits behind a gate), a notebook query waits for its turn and
 *   shows for how long it runs; the notebook's stop button (kernel interrupt) aborts it; the cell
 *   says nothing was spent, and the server's ledger and budget agree;
 * - the status bar: after a query that runs, it shows the remaining budget of that dataset, the
 *   server's figure; a click opens the budget panel. Screenshots: test-artifacts/ui/run-*.png;
 *   with LOMAS_UPDATE_DOCS=1, run-result-status.png also becomes the README's
 *   docs/screenshot-result.png (a result with its chart and the side panel).
 */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { METADATA, makeRows, toCsv } from '../../server/test/e2e/harness';
import { formatBudgetLeft } from '../src/format';
import { gatedSource, type GatedSource } from '../../server/test/helpers/gatedSource';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/serverProcess';
import {
  chartOf,
  labRoot,
  openNotebook,
  REPO_ROOT,
  runCell,
  runCommand,
  screenshot,
  withBrowser,
  withJupyterLab,
  type CellOutput
} from './harness';

let server: ServerProcess;
let source: GatedSource;
let root: string;

async function api(key: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' })
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const penguinsCharges = async (): Promise<any[]> =>
  (await api(server.adminKey, 'GET', '/admin/ledger?dataset=penguins')).body.filter(
    (e: any) => e.kind === 'charge'
  );

const QUERY = `await lomas.dataset("penguins").query().groupby("species").count({ epsilon: 0.5 }).run()`;

beforeAll(async () => {
  server = await startServerProcess({ env: { LOMAS_MAX_CONCURRENT_QUERIES: '1' } });
  source = await gatedSource(toCsv(makeRows()));
  const created = await api(server.adminKey, 'POST', '/admin/datasets', {
    name: 'gated',
    connector: { kind: 'http', url: source.url, format: 'csv' },
    metadata: METADATA,
    accounting: 'pure',
    cap: null
  });
  expect(created.status).toBe(201);
  expect(
    (
      await api(server.adminKey, 'PUT', '/admin/grants/gated/analyst', {
        epsilon: '10',
        delta: '0'
      })
    ).status
  ).toBe(200);
  root = labRoot('run', {
    'run.ipynb': [
      'import { connect } from "lomas-kernel";\nconst lomas = await connect();',
      QUERY,
      QUERY
    ]
  });
}, 60000);

afterAll(async () => {
  await source?.close();
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function textOf(outputs: CellOutput[]): string {
  return outputs
    .map(o => {
      const t = o.text ?? o.data?.['text/plain'] ?? o.data?.['text/html'] ?? o.evalue ?? '';
      return Array.isArray(t) ? t.join('') : String(t);
    })
    .join('\n');
}

/** The outputs of a cell as they are now (a cell still running included). */
function outputsNow(page: Page, index: number): Promise<CellOutput[]> {
  return page.evaluate(
    i => (window as any).jupyterapp.shell.currentWidget.content.model.cells.get(i).toJSON().outputs,
    index
  );
}

test('interrupt before the charge costs nothing; a run updates the status bar', async () => {
  await withJupyterLab(
    { rootDir: root, lomas: { url: server.url, token: server.analystKey } },
    lab =>
      withBrowser(async page => {
        try {
          await openNotebook(page, lab, 'run.ipynb');
          expect(textOf(await runCell(page, 'run.ipynb', 0))).not.toMatch(/Error/);
          await page.waitForFunction(
            () => document.querySelector('.jp-LomasStatus')?.textContent === 'Lomas',
            undefined,
            { timeout: 15000 }
          );

          // Another request of this analyst holds the server's only slot: charged, reading.
          const holder = new AbortController();
          const holding = fetch(`${server.url}/v1/queries`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${server.analystKey}`,
              'content-type': 'application/json',
              'idempotency-key': 'ui-slot-holder-1'
            },
            body: JSON.stringify({
              version: 1,
              dataset: 'gated',
              steps: [],
              aggregations: [{ op: 'count' }],
              budget: { epsilon: '1' }
            }),
            signal: holder.signal
          }).catch(() => undefined);
          const deadline = Date.now() + 20000;
          while (source.requests() === 0 && Date.now() < deadline)
            await new Promise(r => setTimeout(r, 50));
          expect(source.requests()).toBeGreaterThan(0);
          const before = (await api(server.analystKey, 'GET', '/v1/datasets/penguins/budget')).body;

          // The notebook's query waits for its turn; after a moment it says for how long.
          void page.evaluate(() => {
            const app = (window as any).jupyterapp;
            app.shell.currentWidget.content.activeCellIndex = 1;
            void app.commands.execute('notebook:run-cell');
          });
          await page.waitForFunction(
            () =>
              /Running query .*\d+ s/.test(
                document.querySelectorAll('.jp-Cell')[1]?.querySelector('.jp-OutputArea')
                  ?.textContent ?? ''
              ),
            undefined,
            { timeout: 30000 }
          );
          await screenshot(page, 'run-waiting');

          // The notebook's stop button interrupts the kernel, which aborts the request.
          await page
            .locator('.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]')
            .first()
            .click();
          await page.waitForFunction(
            () =>
              /nothing was spent/.test(
                document.querySelectorAll('.jp-Cell')[1]?.querySelector('.jp-OutputArea')
                  ?.textContent ?? ''
              ),
            undefined,
            { timeout: 30000 }
          );
          const interrupted = textOf(await outputsNow(page, 1));
          expect(interrupted).toContain('Interrupted before the server charged the query');
          await screenshot(page, 'run-interrupted');

          // The server agrees: no charge on penguins, the budget as it was.
          expect(await penguinsCharges()).toEqual([]);
          expect(
            (await api(server.analystKey, 'GET', '/v1/datasets/penguins/budget')).body
          ).toEqual(before);

          // The slot is freed (the gate opens, the holder's query ends).
          source.open();
          await holding;
          holder.abort();

          // A query that runs: a result, its chart, and the status bar shows what is left.
          const outputs = await runCell(page, 'run.ipynb', 2, 90000);
          expect(outputs.some(o => o.output_type === 'error')).toBe(false);
          const after = (await api(server.analystKey, 'GET', '/v1/datasets/penguins/budget')).body;
          expect(after.spent.epsilon).toBe('0.5');
          expect(await penguinsCharges()).toHaveLength(1);
          const expected = `penguins: ${formatBudgetLeft(after)}`;
          await page.waitForFunction(
            t => document.querySelector('.jp-LomasStatus')?.textContent === t,
            expected,
            { timeout: 15000 }
          );
          const card = page.locator('.jp-Cell').nth(2).locator('.jp-LomasResult');
          await chartOf(card).waitFor({ state: 'visible', timeout: 30000 });

          // A click on the status bar item opens the budget panel, which agrees.
          await page.locator('.jp-LomasStatus').click();
          const panel = page.locator('#jp-lomas-budget-panel');
          await panel
            .locator('.jp-LomasPanel-item[data-dataset="penguins"]')
            .waitFor({ state: 'visible', timeout: 15000 });
          await runCommand(page, 'lomas:refresh-budgets');
          // The README's picture: the result and its chart (the interrupted cell's output cleared).
          await page.evaluate(() => {
            const app = (window as any).jupyterapp;
            app.shell.currentWidget.content.activeCellIndex = 1;
            return app.commands.execute('notebook:clear-cell-output');
          });
          await page.locator('.jp-Cell').nth(2).scrollIntoViewIfNeeded();
          await page.waitForTimeout(500);
          const shot = await screenshot(page, 'run-result-status');
          // The README's copy is refreshed on demand only (a test run leaves the tree clean).
          if (process.env.LOMAS_UPDATE_DOCS === '1')
            copyFileSync(shot, join(REPO_ROOT, 'docs', 'screenshot-result.png'));
        } catch (err) {
          await screenshot(page, 'run-failure').catch(() => undefined);
          throw new Error(
            `${err instanceof Error ? err.message : err}\n--- jupyter lab log ---\n${lab.log()}\n--- server ---\n${server.logs().slice(-3000)}`
          );
        }
      })
  );
}, 300000);
