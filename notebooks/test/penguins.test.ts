import { CHART_MIME, VEGALITE_MIME } from 'lomas-kernel/protocol';
import { cellWith as cellIn, demoNotebook, spent, results } from './demoRun';
import { textOf, type ExecutedCell } from './runNotebook';

/**
 * The demo notebook, top to bottom, in a real tslab kernel against a real server process on the
 * embedded store with the demo datasets. True penguin counts (vega-datasets penguins.json):
 * Adelie 152, Chinstrap 68, Gentoo 124.
 */
const TRUE_COUNTS: Record<string, number> = { Adelie: 152, Chinstrap: 68, Gentoo: 124 };

const run = demoNotebook('01-penguins.ipynb');

const cellWith = (snippet: string): ExecutedCell => cellIn(run, snippet);

test('connects with the API key from the environment', () => {
  expect(cellWith('connect()').outputs.map(textOf).join('')).toContain(`as analyst`);
});

test('the estimate is free and says the cost and accuracy', () => {
  const text = cellWith('estimate()').outputs.map(textOf).join('');
  expect(text).toContain('ε=0.5');
  expect(text).toContain('nothing spent');
});

test('the grouped count renders as a Lomas result with every species and honest intervals', () => {
  const [r] = results(cellWith('bySpecies.run()'));
  expect(r.kind).toBe('release');
  expect(r.cost).toEqual({ epsilon: '0.5', delta: '0' });
  expect(r.rows.map(x => x.species).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  for (const row of r.rows) {
    const est = row.count as number;
    expect(Number.isInteger(est)).toBe(true);
    expect(row.lower as number).toBeLessThanOrEqual(est);
    expect(row.upper as number).toBeGreaterThanOrEqual(est);
    // Discrete Laplace, scale 2: P(|noise| > 40) < 2·e^-20 ≈ 4e-9 per group, so this never flakes.
    expect(Math.abs(est - TRUE_COUNTS[row.species as string])).toBeLessThanOrEqual(40);
  }
  expect(r.mechanisms[0]).toMatchObject({
    mechanism: 'discrete_laplace',
    scale: '2',
    confidence: 0.95
  });
  // The chart follows as an output of its own: the Lomas extension's type and standard Vega-Lite.
  const chart = cellWith('bySpecies.run()').outputs.find(o => o.data?.[VEGALITE_MIME]);
  expect(chart?.data?.[CHART_MIME]).toEqual({ version: 1, dataset: 'penguins', title: r.title });
  expect((chart?.data?.[VEGALITE_MIME] as { $schema: string }).$schema).toMatch(/vega-lite\/v5/);
});

test('results and dummy tables are shown as tables', () => {
  expect(cellWith('orderby').outputs.some(o => o.data?.['text/html'] !== undefined)).toBe(true);
  expect(cellWith('dummyTable').outputs.map(textOf).join('')).toMatch(/\|species\|island\|/);
});

test('the filtered mean is released per species and charged', async () => {
  const [r] = results(cellWith('mean("body_mass_g"'));
  expect(r.rows.map(x => x.species).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  const spentNow = await spent(run, 'penguins');
  // The two queries above (0.5 each), the histogram (0.5) and the quartiles (0.9).
  expect(spentNow.epsilon).toBe('2.4');
});

test('the histogram releases every public bin, with a chart', () => {
  const [r] = results(cellWith('histogram("flipper_length_mm"'));
  expect(r.kind).toBe('release');
  expect(r.rows).toHaveLength(7);
  expect(r.cost).toEqual({ epsilon: '0.5', delta: '0' });
  // The chart is an output of its own, after the table (standard Vega-Lite + the Lomas type).
  const chart = cellWith('histogram("flipper_length_mm"').outputs.find(
    o => o.data?.[VEGALITE_MIME]
  );
  expect(chart?.data?.[CHART_MIME]).toMatchObject({ version: 1, dataset: 'penguins' });
});

test('the quartiles of body mass are released per species, within the public bounds', () => {
  const [r] = results(cellWith('a.quantile("body_mass_g", 0.25'));
  expect(r.rows.map(x => x.species).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  expect(r.cost).toEqual({ epsilon: '0.9', delta: '0' });
  for (const row of r.rows) {
    for (const c of ['q1', 'median', 'q3']) {
      expect(row[c] as number).toBeGreaterThanOrEqual(2000);
      expect(row[c] as number).toBeLessThanOrEqual(6500);
    }
  }
});

test('the kernel left its outputs in the file it saved', () => {
  expect(run.raw).toContain('"outputs": [\n    {');
});
