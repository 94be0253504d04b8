import { RESULT_MIME, type ResultBundle } from 'lomas-kernel/protocol';
import { cellWith as cellIn, demoNotebook, spent } from './demoRun';
import { textOf, type ExecutedCell } from './runNotebook';

/**
 * The synthetic-penguins notebook, top to bottom, in a real tslab kernel against a real server
 * process with the demo datasets: a free estimate and dummy run, a synthetic table charged ε = 4,
 * its accuracy, a Vega-Lite chart beside the dummy table, free post-processing, and the same
 * table fetched again from the archive for free.
 */
const VEGA_LITE = 'application/vnd.vegalite.v5+json';
const run = demoNotebook('07-synthetic.ipynb');

const cellWith = (snippet: string): ExecutedCell => cellIn(run, snippet);

const text = (c: ExecutedCell) => c.outputs.map(textOf).join('');

test('the estimate is free and states the cost and each stage’s noise', () => {
  const t = text(cellWith('request.estimate()'));
  expect(t).toContain('ε=4');
  expect(t).toContain('nothing spent');
  expect(t).toMatch(/one-way marginals: discrete Laplace/);
  expect(t).toMatch(/tree of pairs: permute-and-flip/);
});

test('the dummy rehearsal and the run render as Lomas results; the run is charged ε = 4', async () => {
  const dummy = cellWith('request.dummy()').outputs.find(o => o.data?.[RESULT_MIME]);
  expect((dummy!.data![RESULT_MIME] as ResultBundle).kind).toBe('dummy');
  const released = cellWith('request.run()').outputs.find(o => o.data?.[RESULT_MIME]);
  const r = released!.data![RESULT_MIME] as ResultBundle;
  expect(r.kind).toBe('release');
  expect(r.cost).toEqual({ epsilon: '4', delta: '0' });
  expect(r.columns.map(c => c.name)).toContain('species');
  expect((await spent(run, 'penguins')).epsilon).toBe('4');
});

test('the accuracy report lists the tree and every measured marginal', () => {
  const t = text(cellWith('synthetic.accuracy.marginals'));
  expect(t).toMatch(/pairs measured: (\w+–\w+, ){5}\w+–\w+/);
  expect(t.match(/expected TV distance/g)).toHaveLength(13); // 7 columns + 6 pairs
});

test('the synthetic and dummy tables are drawn side by side as Vega-Lite', () => {
  const out = cellWith('compareChart(').outputs.find(o => o.data?.[VEGA_LITE]);
  const spec = out!.data![VEGA_LITE] as { hconcat: Array<{ data: { values: unknown[] } }> };
  expect(spec.hconcat).toHaveLength(2);
  for (const panel of spec.hconcat) expect(panel.data.values).toHaveLength(344);
});

test('post-processing the table is free; the archived table comes back identical for free', () => {
  expect(text(cellWith('rollup('))).toMatch(/Adelie|Gentoo|Chinstrap/);
  expect(text(cellWith('syntheticTable('))).toContain('same table: true; spent ε 0 → 4');
});

test('the notebook says what may and may not be concluded', () => {
  const md = run.cells
    .filter(c => c.cell_type === 'markdown')
    .map(c => c.source)
    .join('\n');
  expect(md).toMatch(/What may and may not be concluded/);
  expect(md).toMatch(/pairs outside the tree are \*modelled\*, not measured/);
});
