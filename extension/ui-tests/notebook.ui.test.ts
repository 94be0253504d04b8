/**
 * The extension in a real JupyterLab (pip-installed prebuilt extension) in Debian's Chromium: a
 * notebook on the tslab kernel displays a Lomas result, the renderer draws it, the budget panel
 * fetches budgets through the Jupyter server extension, which adds the key of the lab's
 * LOMAS_CONFIG file. Needs `npm run build:extension && npm run install:extension` first.
 * Screenshots go to test-artifacts/ui/.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SAMPLE_BUNDLE } from './fixtures/bundle';
import { openAndRunNotebook, screenshot, withBrowser, withJupyterLab } from './harness';

const FIXTURES = join(__dirname, 'fixtures');
const API_KEY = 'ui-test-key';

/** Two history entries: a release, and a charged failure whose plan no longer validates. */
const HISTORY = [
  {
    queryId: 'q-fixture-1',
    dataset: 'penguins',
    at: '2024-11-25T08:00:00.000Z',
    plan: {
      version: 1,
      dataset: 'penguins',
      steps: [],
      groupby: { keys: ['species'] },
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '0.5' }
    },
    cost: { epsilon: '0.5', delta: '0' },
    // A release as the server archives it (the wire type, no chart): the panel checks it.
    release: (({ chart: _chart, ...release }) => release)(SAMPLE_BUNDLE)
  },
  {
    queryId: 'q-fixture-0',
    dataset: 'penguins',
    at: '2024-11-25T07:00:00.000Z',
    plan: { version: 99, aggregations: 'all of them' },
    cost: { epsilon: '0.1', delta: '0' },
    release: null
  }
];

const PENGUINS = {
  name: 'penguins',
  description: 'Palmer penguins (demo)',
  accounting: 'pure',
  metadata: {
    max_ids: 1,
    columns: {
      species: { type: 'string', categories: ['Adelie', 'Chinstrap', 'Gentoo'], nullable: false },
      body_mass_g: { type: 'int', lower: 2700, upper: 6300, nullable: true }
    }
  }
};

/**
 * A stand-in for the analyst routes the panel reads (GET /v1/me, /v1/me/budgets, /v1/queries,
 * /v1/datasets/penguins), called by the Jupyter server extension (no CORS: the browser never
 * calls it): it answers only with the right bearer key.
 */
async function startBudgetStub(): Promise<{
  url: string;
  seen: IncomingHttpHeaders[];
  server: Server;
}> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('Content-Type', 'application/json');
    const routes: Record<string, unknown> = {
      '/v1/me': { user: 'analyst', role: 'analyst' },
      '/v1/me/budgets': [SAMPLE_BUNDLE.budget],
      '/v1/queries?limit=20': HISTORY,
      '/v1/datasets/penguins': PENGUINS
    };
    if (!(req.url! in routes))
      return void res.writeHead(404).end('{"code":"NOT_FOUND","message":"no route"}');
    if (req.headers.authorization !== `Bearer ${API_KEY}`) {
      return void res.writeHead(401).end('{"code":"UNAUTHENTICATED","message":"bad key"}');
    }
    res.writeHead(200).end(JSON.stringify(routes[req.url!]));
  });
  await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

async function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allInnerTexts();
}

test('the Lomas result renders in a real JupyterLab, and the budget panel works', async () => {
  const stub = await startBudgetStub();
  try {
    await withJupyterLab(
      {
        rootDir: FIXTURES,
        lomas: { url: stub.url, token: API_KEY }
      },
      lab =>
        withBrowser(async page => {
          const pageErrors: string[] = [];
          // JupyterLab's own noise (e.g. "No active debugger session") is not ours to judge.
          page.on('pageerror', e => {
            if (/lomas/i.test(`${e.message}\n${e.stack ?? ''}`)) pageErrors.push(String(e));
          });
          page.on('console', m => {
            if (m.type() === 'error' && /lomas/i.test(m.text())) pageErrors.push(m.text());
          });
          try {
            await openAndRunNotebook(page, lab, 'lomas-result.ipynb');

            // The extension is loaded: its command is registered with the expected label.
            const label = await page.evaluate(() => {
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              const app = (window as any).jupyterapp;
              return app.commands.hasCommand('lomas:open-budget-panel')
                ? app.commands.label('lomas:open-budget-panel')
                : null;
            });
            expect(label).toBe('Lomas: Open budget panel');

            // The valid result: title, the numbers with their interval, cost, accuracy, chart slot.
            const result = page.locator('.jp-LomasResult-body').first();
            await result.waitFor({ state: 'visible', timeout: 30000 });
            expect(await result.locator('.jp-LomasResult-title').innerText()).toBe(
              SAMPLE_BUNDLE.title
            );
            const row = (species: string) =>
              result.locator('tbody tr', {
                has: page.locator(`td[data-column="species"]`, { hasText: species })
              });
            for (const [species, count, lower, upper] of [
              ['Adelie', '153', '147', '159'],
              ['Chinstrap', '66', '60', '72'],
              ['Gentoo', '1,247', '1,241', '1,253']
            ]) {
              const cells = await row(species).locator('td').allInnerTexts();
              expect(cells).toEqual([species, count, lower, upper]);
              expect(await row(species).locator('td[data-role="estimate"]').isVisible()).toBe(true);
            }
            expect(await texts(page, '.jp-LomasResult-colhint')).toEqual([
              'DP estimate',
              '95% CI lower',
              '95% CI upper'
            ]);
            expect(await result.locator('.jp-LomasResult-cost').innerText()).toBe(
              'ε = 0.5 · δ = 0'
            );
            expect(await result.locator('.jp-LomasResult-accuracy').innerText()).toBe('±6 at 95%');
            expect(await result.locator('.jp-LomasResult-budget').innerText()).toContain(
              'ε 9.5 of 10'
            );
            // The chart: drawn by JupyterLab's own Vega-Lite renderer (SVG), three bars, three
            // interval rules, inside the result and as wide as the result's body.
            const chart = result.locator('.jp-LomasResult-chart[data-lomas-chart="rendered"]');
            await chart.waitFor({ state: 'visible', timeout: 30000 });
            const svg = chart.locator('svg.marks');
            expect(await svg.count()).toBe(1);
            expect(await chart.locator('.role-mark.mark-rect path').count()).toBe(3);
            expect(await chart.locator('.role-mark.mark-rule line').count()).toBe(3);
            const [chartBox, bodyBox] = [await svg.boundingBox(), await result.boundingBox()];
            expect(chartBox!.width).toBeGreaterThan(bodyBox!.width * 0.75);
            expect(chartBox!.x + chartBox!.width).toBeLessThanOrEqual(bodyBox!.x + bodyBox!.width);
            expect(chartBox!.height).toBeGreaterThan(150);

            // The malformed payload: a readable error box, and the page keeps working.
            const error = page.locator('.jp-LomasResult-error');
            await error.waitFor({ state: 'visible' });
            expect(await error.innerText()).toContain('unsupported version 2');

            // The side panel: the server URL of the connection file, budgets fetched with its key.
            await page.evaluate(() =>
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              (window as any).jupyterapp.commands.execute('lomas:open-budget-panel')
            );
            const panel = page.locator('#jp-lomas-budget-panel');
            await panel.waitFor({ state: 'visible' });
            expect(await panel.locator('.jp-LomasPanel-title').innerText()).toBe('Lomas');
            expect(await panel.locator('.jp-LomasPanel-url').innerText()).toBe(stub.url);
            const item = panel.locator('.jp-LomasPanel-item[data-dataset="penguins"]');
            await item.waitFor({ state: 'visible', timeout: 15000 });
            expect(await item.innerText()).toContain('ε 9.5 of 10 left');
            expect(stub.seen.some(h => h.authorization === `Bearer ${API_KEY}`)).toBe(true);

            // History: one readable summary, one unreadable plan (shown, not a crash), marked failed.
            const queries = panel.locator('.jp-LomasPanel-query');
            await queries.first().waitFor({ state: 'visible', timeout: 15000 });
            expect(await panel.locator('.jp-LomasPanel-querySummary').allInnerTexts()).toEqual([
              'count by species — ε 0.5',
              'unreadable plan'
            ]);
            expect(await queries.nth(1).getAttribute('class')).toContain('jp-LomasPanel-failed');

            // Dataset metadata: a click on the dataset shows its public columns.
            await item.locator('.jp-LomasPanel-itemHead').click();
            const meta = item.locator('.jp-LomasPanel-meta');
            await meta.locator('.jp-LomasPanel-columns').waitFor({ state: 'visible' });
            expect(await meta.innerText()).toContain('Palmer penguins (demo)');
            expect(await texts(page, '.jp-LomasPanel-columnDetail')).toEqual([
              'Adelie, Chinstrap, Gentoo',
              '2,700 – 6,300 · nullable'
            ]);

            const bg = () => result.evaluate(n => getComputedStyle(n).backgroundColor);
            const lightBg = await bg();
            await result.evaluate(n => n.scrollIntoView({ block: 'start' }));
            await screenshot(page, 'notebook-light');

            // Dark theme: the same output follows the theme variables.
            await page.evaluate(() =>
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              (window as any).jupyterapp.commands.execute('apputils:change-theme', {
                theme: 'JupyterLab Dark'
              })
            );
            await page.waitForSelector('body[data-jp-theme-light="false"]', {
              state: 'attached',
              timeout: 15000
            });
            await page.waitForFunction(
              ([sel, before]) => {
                const n = document.querySelector(sel as string);
                return !!n && getComputedStyle(n).backgroundColor !== before;
              },
              ['.jp-LomasResult-body', lightBg]
            );
            // Switching themes shows JupyterLab's splash screen until the new CSS is applied.
            await page.waitForSelector('#jupyterlab-splash', { state: 'detached', timeout: 15000 });
            // The chart is drawn again for the dark theme (light axis labels).
            await page.waitForFunction(
              () => {
                const t = document.querySelector(
                  '.jp-LomasResult-chart .mark-text.role-axis-label text'
                );
                const body = getComputedStyle(document.body).getPropertyValue(
                  '--jp-ui-font-color2'
                );
                return !!t && t.getAttribute('fill') === body.trim();
              },
              undefined,
              { timeout: 15000 }
            );
            await screenshot(page, 'notebook-dark');
            expect(pageErrors).toEqual([]);
          } catch (err) {
            await screenshot(page, 'failure').catch(() => undefined);
            throw new Error(
              `${err instanceof Error ? err.message : err}\n--- jupyter lab log ---\n${lab.log()}`
            );
          }
        })
    );
  } finally {
    stub.server.closeAllConnections();
    await new Promise(ok => stub.server.close(ok));
  }
}, 120000);
