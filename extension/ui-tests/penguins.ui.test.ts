/**
 * The whole path in real components: the demo notebook runs in a real JupyterLab (pip-installed
 * prebuilt extension, tslab kernel) driven through Debian's Chromium, against a real Lomas server
 * process on the embedded store; the extension draws the noisy counts and the budget panel reads
 * the analyst's budget and query history through the Jupyter server extension (the key in the
 * lab's private LOMAS_CONFIG file, which the kernel reads too); the grouped count's chart, an
 * output of its own, is drawn by JupyterLab's Vega-Lite renderer. Screenshots:
 * test-artifacts/ui/penguins-{light,dark}.png.
 */
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/serverProcess';
import {
  chartOf,
  openAndRunNotebook,
  REPO_ROOT,
  screenshot,
  withBrowser,
  withJupyterLab
} from './harness';

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
}, 60000);

afterAll(async () => {
  await server?.stop();
});

test('the penguins notebook runs in JupyterLab and its DP counts are drawn', async () => {
  await withJupyterLab(
    {
      rootDir: join(REPO_ROOT, 'notebooks'),
      lomas: { url: server.url, token: server.analystKey }
    },
    lab =>
      withBrowser(async page => {
        await openAndRunNotebook(page, lab, '01-penguins.ipynb', { timeoutMs: 120000 });
        // The grouped count's card (the notebook also shows its budget and an estimate).
        const result = page
          .locator('.jp-LomasResult-body', {
            has: page.locator('.jp-LomasResult-title', { hasText: 'count by species' })
          })
          .first();
        await result.waitFor({ state: 'attached', timeout: 30000 });
        // The notebook is longer than the window: JupyterLab skips drawing cells out of view.
        await result.scrollIntoViewIfNeeded();
        await result.waitFor({ state: 'visible', timeout: 30000 });
        expect(await result.locator('.jp-LomasResult-title').textContent()).toContain(
          'count by species'
        );
        const rows = await result.locator('tbody tr').allInnerTexts();
        expect(rows).toHaveLength(3);
        for (const [i, species] of ['Adelie', 'Chinstrap', 'Gentoo'].entries()) {
          const cells = rows[i].split('\t').map(s => s.trim());
          expect(cells[0]).toBe(species);
          const [est, lo, hi] = cells.slice(1, 4).map(s => Number(s.replace(/,/g, '')));
          expect(lo).toBeLessThanOrEqual(est);
          expect(hi).toBeGreaterThanOrEqual(est);
        }
        expect(await result.locator('.jp-LomasResult-cost').innerText()).toBe('ε = 0.5 · δ = 0');

        // The grouped count's chart: one bar and one interval rule per species, in SVG.
        const chart = chartOf(result);
        await chart.waitFor({ state: 'visible', timeout: 30000 });
        expect(await chart.locator('svg.marks .role-mark.mark-rect path').count()).toBe(3);
        expect(await chart.locator('svg.marks .role-mark.mark-rule line').count()).toBe(3);

        await page.evaluate(() =>
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          (window as any).jupyterapp.commands.execute('lomas:open-budget-panel')
        );
        const item = page.locator(
          '#jp-lomas-budget-panel .jp-LomasPanel-item[data-dataset="penguins"]'
        );
        await item.waitFor({ state: 'visible', timeout: 15000 });
        // The notebook's releases: count, mean and histogram (ε 0.5 each), quartiles (ε 0.9).
        await page.waitForFunction(
          () =>
            /ε 7\.6 of 10 left/.test(
              document.querySelector(
                '#jp-lomas-budget-panel .jp-LomasPanel-item[data-dataset="penguins"]'
              )?.textContent ?? ''
            ),
          undefined,
          { timeout: 15000 }
        );

        // The history lists the notebook's four releases, newest first, in readable words.
        const summaries = page.locator('#jp-lomas-budget-panel .jp-LomasPanel-querySummary');
        await page.waitForFunction(
          () =>
            document.querySelectorAll('#jp-lomas-budget-panel .jp-LomasPanel-querySummary')
              .length === 4,
          undefined,
          { timeout: 15000 }
        );
        const history = await summaries.allInnerTexts();
        expect(history.slice(2)).toEqual([
          'mean(body_mass_g) by species where island == "Biscoe" and body_mass_g > 3000 — ε 0.5',
          'count by species — ε 0.5'
        ]);

        await result.evaluate(n => n.scrollIntoView({ block: 'start' }));
        await screenshot(page, 'penguins-light');
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
        await page.waitForSelector('#jupyterlab-splash', { state: 'detached', timeout: 15000 });
        // The chart is drawn again with the dark theme's colours.
        await page.waitForFunction(
          () => {
            const t = document.querySelector('.jp-LomasResult-chart .role-axis-label text');
            const muted = getComputedStyle(document.body).getPropertyValue('--jp-ui-font-color2');
            return !!t && t.getAttribute('fill') === muted.trim();
          },
          undefined,
          { timeout: 15000 }
        );
        await screenshot(page, 'penguins-dark');
      })
  );
}, 240000);
