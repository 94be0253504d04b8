/**
 * The first hour of a new user, in real components: a real Lomas server process (embedded store,
 * demo datasets), a real JupyterLab with the pip-installed extension and the Lomas tslab kernel,
 * driven through Debian's Chromium. Both demo notebooks run top to bottom, then a notebook of the
 * mistakes newcomers make, one of each kind, runs cell by cell; the side panel is read at its
 * default width. Screenshots: test-artifacts/ui/first-hour-*.png.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/serverProcess';
import {
  chartOf,
  openAndRunNotebook,
  openNotebook,
  REPO_ROOT,
  runCell,
  screenshot,
  withBrowser,
  withJupyterLab,
  type CellOutput
} from './harness';

/** The mistakes notebook: a set-up cell, then one cell per mistake or display. */
const CELLS = {
  setup: `import { connect, show } from "lomas-kernel";
const lomas = await connect();
const penguins = lomas.dataset("penguins");`,
  table: `const sample = await penguins.dummyTable(5, 42);
sample`,
  budget: `await penguins.budget()`,
  noBudget: `penguins.query().count()`,
  unknownColumn: `await penguins.query().mean("weight", { epsilon: 0.5 }).run()`,
  tooExpensive: `await penguins.query().count({ epsilon: 50 }).run()`,
  typeError: `penguins.query().groupby("species").run()`,
  quietLoop: `const quiet = [];
for (const eps of [0.1, 0.1]) quiet.push(await penguins.query().count({ epsilon: eps }).run({ display: false }));
quiet.length`
};
type CellName = keyof typeof CELLS;
const NAMES = Object.keys(CELLS) as CellName[];

function mistakesNotebook(): string {
  return JSON.stringify({
    cells: NAMES.map((name, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `cell-${i}`,
      metadata: {},
      outputs: [],
      source: CELLS[name]
    })),
    metadata: {
      kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

function textOf(o: CellOutput): string {
  const t = o.text ?? o.data?.['text/plain'] ?? '';
  return Array.isArray(t) ? t.join('') : String(t);
}

const app = (page: Page, command: string, args: Record<string, unknown> = {}) =>
  page.evaluate(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ([c, a]) => (window as any).jupyterapp.commands.execute(c, a),
    [command, args] as const
  );

let server: ServerProcess;
let root: string;

beforeAll(async () => {
  server = await startServerProcess();
  // A lab root of its own inside the repository (test-artifacts/ is git-ignored), so that the
  // kernel finds lomas-kernel in the repository's node_modules as it does from notebooks/:
  // copies of the demo notebooks and the mistakes notebook.
  mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
  root = mkdtempSync(join(REPO_ROOT, 'test-artifacts', 'first-hour-'));
  for (const nb of ['01-penguins.ipynb', '03-flights.ipynb'])
    copyFileSync(join(REPO_ROOT, 'notebooks', nb), join(root, nb));
  writeFileSync(join(root, 'first-hour.ipynb'), mistakesNotebook());
}, 60000);

afterAll(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the first hour: demo notebooks, one mistake of each kind, the side panel', async () => {
  await withJupyterLab(
    {
      rootDir: root,
      lomas: { url: server.url, token: server.analystKey }
    },
    lab =>
      withBrowser(async page => {
        try {
          await penguinsDemo(page, lab);
          await flightsDemo(page, lab);
          await mistakes(page, lab);
          await sidePanel(page);
          // JupyterLab asks the kernel for its history when a notebook opens: answered, no noise.
          expect(lab.log(Infinity)).not.toContain('unknown msg_type');
        } catch (err) {
          await screenshot(page, 'first-hour-failure').catch(() => undefined);
          throw new Error(
            `${err instanceof Error ? err.message : err}\n--- jupyter lab log ---\n${lab.log()}`
          );
        }
      })
  );
}, 420000);

type LabOf = Parameters<Parameters<typeof withJupyterLab>[1]>[0];

/** The mean on Biscoe: points with intervals, and Chinstrap (none there) marked when it says nothing. */
async function penguinsDemo(page: Page, lab: LabOf): Promise<void> {
  await openAndRunNotebook(page, lab, '01-penguins.ipynb', { timeoutMs: 120000 });
  const mean = page.locator('.jp-LomasResult-body', { hasText: 'mean_body_mass_g by species' });
  await mean.waitFor({ state: 'visible', timeout: 30000 });
  // A row whose interval covers the public range [2500, 6500] says nothing and must be marked.
  // Chinstraps never live on Biscoe, so theirs does unless the noisy count says otherwise
  // (probability ≤ 2.5%); another species' may too, by chance (a small noisy count): the marks
  // must match the intervals row by row, whatever the noise drew.
  const rows = await mean.locator('tbody tr').evaluateAll(trs =>
    trs.map(tr => {
      const cell = (role: string) => tr.querySelector(`td[data-role="${role}"]`)?.textContent ?? '';
      return {
        key: cell('key'),
        lower: Number(cell('lower').replace(/,/g, '')),
        upper: Number(cell('upper').replace(/,/g, '')),
        marked: tr.classList.contains('jp-LomasResult-saysLittle')
      };
    })
  );
  expect(rows.map(r => r.key).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  const wholeRows = rows.filter(r => r.lower <= 2500 && r.upper >= 6500).map(r => r.key);
  expect(rows.filter(r => r.marked).map(r => r.key)).toEqual(wholeRows);
  const whole = wholeRows.length;
  if (wholeRows.includes('Chinstrap')) {
    const chinstrap = mean.locator('tbody tr', { hasText: 'Chinstrap' });
    expect(await chinstrap.locator('td[data-role="estimate"]').getAttribute('title')).toContain(
      'this row says nothing'
    );
  }
  const caveats = await mean.locator('.jp-LomasResult-caveat').allInnerTexts();
  // One note per sentence, naming its rows: "⚠ Adelie, Chinstrap: the interval covers …".
  expect(
    caveats.flatMap(c => (/^⚠ (.+?): the interval covers /.exec(c)?.[1] ?? '?').split(', '))
  ).toEqual(wholeRows);
  expect(await mean.locator('.jp-LomasResult-accuracy').innerText()).toMatch(
    /^each row has its own interval \(lower, upper\)/
  );
  // Means are points with their intervals, not bars from zero; the marked row is drawn faint.
  const chart = chartOf(mean);
  await chart.waitFor({ state: 'visible', timeout: 30000 });
  expect(await chart.locator('.role-mark.mark-rect path').count()).toBe(0);
  const points = chart.locator('.role-mark.mark-symbol path');
  expect(await points.count()).toBe(3);
  const faint = await points.evaluateAll(
    ps => ps.filter(p => p.getAttribute('opacity') === '0.35').length
  );
  expect(faint).toBe(whole);
  const dashed = await chart
    .locator('.role-mark.mark-rule line')
    .evaluateAll(
      ls => ls.filter(l => /^4[ ,]3$/.test(l.getAttribute('stroke-dasharray') ?? '')).length
    );
  expect(dashed).toBe(whole);
  // Counts stay bars with error bars.
  const counts = page.locator('.jp-LomasResult-body', { hasText: 'count by species' }).first();
  await chartOf(counts).waitFor();
  expect(await chartOf(counts).locator('.role-mark.mark-rect path').count()).toBe(3);
  await mean.evaluate(n => n.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'first-hour-penguins');
}

/** The median says in words why it has no interval; the zCDP budget reads in ρ. */
async function flightsDemo(page: Page, lab: LabOf): Promise<void> {
  await openAndRunNotebook(page, lab, '03-flights.ipynb', { timeoutMs: 240000 });
  const median = page.locator('.jp-LomasResult-body', { hasText: 'median_delay' });
  await median.waitFor({ state: 'visible', timeout: 30000 });
  expect(await median.locator('.jp-LomasResult-accuracy').innerText()).toMatch(
    /^no interval in the unit of delay: the released value's rank is within ±[\d.,]+ rows of the median's, at 95%$/
  );
  expect(await median.locator('.jp-LomasResult-accuracy').innerText()).not.toMatch(/^±/);
  expect(await median.locator('th[data-role="lower"] .jp-LomasResult-colhint').innerText()).toBe(
    'no interval'
  );
  const lower = median.locator('td[data-role="lower"]');
  expect(await lower.innerText()).toBe('—');
  expect(await lower.getAttribute('title')).toContain('No interval in the unit of the column');
  await median.evaluate(n => n.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'first-hour-flights');
}

/** One mistake of each kind, each said once, with a prefix that matches what happened. */
async function mistakes(page: Page, lab: LabOf): Promise<void> {
  const path = 'first-hour.ipynb';
  await openNotebook(page, lab, path, { timeoutMs: 120000 });
  const out: Partial<Record<CellName, CellOutput[]>> = {};
  for (const [i, name] of NAMES.entries()) {
    out[name] = await runCell(page, path, i, 120000);
    // tslab aborts the requests that arrive within 200 ms of a failed cell.
    await page.waitForTimeout(400);
  }
  const all = (name: CellName) => out[name]!.map(textOf).join('\n');

  // A cell's last value: an arquero table is drawn as a table, not its internals.
  const table = out.table!;
  expect(table).toHaveLength(1);
  expect(String(table[0].data?.['text/html'])).toContain('<table');
  expect(all('table')).not.toContain('ColumnTable');

  // `await penguins.budget()`: the bar, once, naming the dataset once; no raw object after it.
  expect(out.budget).toHaveLength(1);
  expect(String(out.budget![0].data?.['text/html'])).toContain('lomas-budget');
  expect(all('budget').match(/penguins/g)).toHaveLength(1);
  expect(all('budget')).toMatch(/^penguins \(pure DP\): ε [\d.]+ spent of 10 · [\d.]+ left$/);

  // A rule the library checks: one error, its advice, no library file or stack frame.
  expect(out.noBudget).toHaveLength(1);
  expect(all('noBudget')).toMatch(
    /^LomasError \[INVALID_PLAN\]: .*count has no budget\. Give it \{ epsilon/
  );
  for (const name of ['noBudget', 'unknownColumn', 'tooExpensive', 'typeError'] as const) {
    expect(all(name)).not.toMatch(/\.js:\d+|\n\s+at |\{\s*code:/);
  }

  // Rules the server checks: refused before the data, nothing spent — said once, then the error.
  for (const [name, code] of [
    ['unknownColumn', 'UNKNOWN_COLUMN'],
    ['tooExpensive', 'BUDGET_EXHAUSTED']
  ] as const) {
    const texts = out[name]!.map(textOf);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toBe(
      'The query was refused before it touched the data: nothing was spent. The error follows.'
    );
    expect(texts[1]).toMatch(new RegExp(`^LomasError \\[${code}\\]: `));
    expect(texts.join('\n')).not.toContain('spends budget');
  }

  // A type error: TypeScript's message, once.
  expect(out.typeError).toHaveLength(1);
  expect(all('typeError')).toContain("Property 'run' does not exist");

  // A loop of quiet runs: no cards, only the cell's value.
  expect(out.quietLoop!.map(o => textOf(o).trim())).toEqual(['2']);
  await screenshot(page, 'first-hour-mistakes');
}

/** The side panel at its default width: words whole, names once, the measure of a ρ budget. */
async function sidePanel(page: Page): Promise<void> {
  await app(page, 'lomas:open-budget-panel');
  await app(page, 'lomas:refresh-budgets');
  const panel = page.locator('#jp-lomas-budget-panel');
  await panel.waitFor({ state: 'visible' });
  const penguins = panel.locator('.jp-LomasPanel-item[data-dataset="penguins"]');
  await penguins.waitFor({ state: 'visible', timeout: 15000 });
  expect((await penguins.innerText()).match(/penguins/g)).toHaveLength(1);

  // The flights accuracy-first count was charged in ρ: its summary says so.
  await page.waitForFunction(
    () =>
      Array.from(
        document.querySelectorAll('#jp-lomas-budget-panel .jp-LomasPanel-querySummary')
      ).some(n => n.textContent === 'count ±100 — ρ from accuracy target'),
    undefined,
    { timeout: 15000 }
  );
  expect(await panel.locator('.jp-LomasPanel-querySummary').allInnerTexts()).not.toContain(
    'count ±100 — ε from accuracy target'
  );

  // Metadata of penguins and flights: every word of a column's details on one line.
  for (const name of ['penguins', 'flights']) {
    const item = panel.locator(`.jp-LomasPanel-item[data-dataset="${name}"]`);
    await item.locator('.jp-LomasPanel-itemHead').click();
    await item.locator('.jp-LomasPanel-columns').waitFor({ state: 'visible', timeout: 15000 });
  }
  const details = panel.locator('.jp-LomasPanel-columnDetail');
  expect(await details.count()).toBeGreaterThan(5);
  expect(
    await panel.locator('.jp-LomasPanel-columnDetail', { hasText: 'Adelie' }).innerText()
  ).toBe('Adelie, Chinstrap, Gentoo');
  const broken = await details.evaluateAll(nodes =>
    nodes.flatMap(n => {
      const words: string[] = [];
      const walk = document.createTreeWalker(n, NodeFilter.SHOW_TEXT);
      for (let text = walk.nextNode(); text; text = walk.nextNode()) {
        for (const m of (text.textContent ?? '').matchAll(/\S+/g)) {
          const r = document.createRange();
          r.setStart(text, m.index!);
          r.setEnd(text, m.index! + m[0].length);
          const lines = new Set(Array.from(r.getClientRects()).map(rect => Math.round(rect.top)));
          if (lines.size > 1) words.push(m[0]);
        }
      }
      return words;
    })
  );
  expect(broken).toEqual([]);
  const width = await panel.evaluate(n => n.getBoundingClientRect().width);
  expect(width).toBeLessThan(400); // the default width, not widened by the test
  await panel
    .locator('.jp-LomasPanel-item[data-dataset="penguins"] .jp-LomasPanel-meta')
    .scrollIntoViewIfNeeded();
  await screenshot(page, 'first-hour-panel');
}
