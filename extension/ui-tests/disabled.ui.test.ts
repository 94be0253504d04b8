/**
 * Charts everywhere: with the Lomas extension disabled (`jupyter labextension disable
 * jupyterlab-lomas`, in this lab's own config), a result still shows its table (the bundle's
 * HTML) and its chart (the chart output's standard Vega-Lite, drawn by JupyterLab's own Vega
 * renderer on a canvas). Real Lomas server, real JupyterLab, Debian's Chromium. Screenshot:
 * test-artifacts/ui/disabled-chart.png.
 */
import { rmSync } from 'node:fs';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/serverProcess';
import { labRoot, openAndRunNotebook, screenshot, withBrowser, withJupyterLab } from './harness';

let server: ServerProcess;
let root: string;

beforeAll(async () => {
  server = await startServerProcess();
  root = labRoot('disabled', {
    'counts.ipynb': [
      `import { connect } from "lomas-kernel";
const lomas = await connect();
await lomas.dataset("penguins").query().groupby("species").count({ epsilon: 0.5 }).run()`
    ]
  });
}, 60000);

afterAll(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('with the extension disabled, JupyterLab still draws the table and the chart', async () => {
  await withJupyterLab(
    {
      rootDir: root,
      lomas: { url: server.url, token: server.analystKey },
      disabledExtensions: ['jupyterlab-lomas']
    },
    lab =>
      withBrowser(async page => {
        try {
          await openAndRunNotebook(page, lab, 'counts.ipynb', { timeoutMs: 60000 });
          // The extension is really off: none of its commands, no Lomas renderer.
          expect(
            await page.evaluate(() =>
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              (window as any).jupyterapp.commands.hasCommand('lomas:open-budget-panel')
            )
          ).toBe(false);
          expect(await page.locator('.jp-LomasResult, .jp-LomasChart').count()).toBe(0);

          // The table: the bundle's HTML fallback.
          const table = page.locator('.jp-RenderedHTMLCommon table', { hasText: 'Adelie' });
          await table.waitFor({ state: 'visible', timeout: 30000 });
          expect(await table.locator('tbody tr').count()).toBe(3);

          // The chart: JupyterLab's own Vega-Lite renderer draws on a canvas; three bars in
          // Vega-Lite's default colour, each a separate run of columns of the canvas.
          const chart = page.locator('.jp-RenderedVegaLite');
          await chart.locator('canvas.marks').waitFor({ state: 'visible', timeout: 30000 });
          await chart.evaluate(n => n.scrollIntoView({ block: 'center' }));
          const bars = await chart.locator('canvas.marks').evaluate(node => {
            const canvas = node as HTMLCanvasElement;
            const { data, width, height } = canvas
              .getContext('2d')!
              .getImageData(0, 0, canvas.width, canvas.height);
            const barColumn = (x: number): boolean => {
              for (let y = 0; y < height; y++) {
                const i = (y * width + x) * 4;
                // #4c78a8, Vega-Lite's first colour (the bars).
                if (
                  Math.abs(data[i] - 0x4c) < 12 &&
                  Math.abs(data[i + 1] - 0x78) < 12 &&
                  Math.abs(data[i + 2] - 0xa8) < 12
                )
                  return true;
              }
              return false;
            };
            let runs = 0;
            for (let x = 0, inside = false; x < width; x++) {
              const bar = barColumn(x);
              if (bar && !inside) runs++;
              inside = bar;
            }
            return runs;
          });
          expect(bars).toBe(3);
          await screenshot(page, 'disabled-chart');
        } catch (err) {
          await screenshot(page, 'disabled-failure').catch(() => undefined);
          throw new Error(
            `${err instanceof Error ? err.message : err}\n--- jupyter lab log ---\n${lab.log()}`
          );
        }
      })
  );
}, 240000);
