import { join } from 'node:path';
import { RESULT_MIME, type ResultBundle } from 'lomas-kernel/protocol';
import {
  REPO_ROOT,
  startServerProcess,
  type ServerProcess
} from '../../server/test/helpers/serverProcess';
import { readFileSync } from 'node:fs';
import { runNotebookFile, savedByDemoWorkflow, textOf, type ExecutedCell } from './runNotebook';

/**
 * The demo notebook, top to bottom, in a real tslab kernel against a real server process on the
 * embedded store with the demo datasets. True penguin counts (vega-datasets penguins.json):
 * Adelie 152, Chinstrap 68, Gentoo 124.
 */
const TRUE_COUNTS: Record<string, number> = { Adelie: 152, Chinstrap: 68, Gentoo: 124 };

let server: ServerProcess;
let cells: ExecutedCell[];
let raw: string;

beforeAll(async () => {
  server = await startServerProcess();
  ({ cells, raw } = await runNotebookFile(join(REPO_ROOT, 'notebooks/01-penguins.ipynb'), {
    LOMAS_URL: server.url,
    LOMAS_API_KEY: server.analystKey
  }));
}, 240000);

afterAll(async () => {
  await server?.stop();
});

function cellWith(snippet: string): ExecutedCell {
  const c = cells.find(x => x.cell_type === 'code' && x.source.includes(snippet));
  if (!c) throw new Error(`no cell contains ${snippet}`);
  return c;
}

function results(c: ExecutedCell): ResultBundle[] {
  return c.outputs
    .filter(o => o.data?.[RESULT_MIME])
    .map(o => o.data![RESULT_MIME] as ResultBundle);
}

test('no cell fails', () => {
  expect(cells.flatMap(c => c.outputs).filter(o => o.output_type === 'error')).toEqual([]);
});

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
  expect(r.chart).toBeDefined();
});

test('results and dummy tables are shown as tables', () => {
  expect(cellWith('orderby').outputs.some(o => o.data?.['text/html'] !== undefined)).toBe(true);
  expect(cellWith('dummyTable').outputs.map(textOf).join('')).toMatch(/\|species\|island\|/);
});

test('the filtered mean is released per species and charged', async () => {
  const [r] = results(cellWith('mean("body_mass_g"'));
  expect(r.rows.map(x => x.species).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  const res = await fetch(`${server.url}/v1/datasets/penguins/budget`, {
    headers: { Authorization: `Bearer ${server.analystKey}` }
  });
  const budget = (await res.json()) as { spent: { epsilon: string } };
  // The two queries above (0.5 each), the histogram (0.5) and the quartiles (0.9).
  expect(budget.spent.epsilon).toBe('2.4');
});

test('the histogram releases every public bin, with a chart', () => {
  const [r] = results(cellWith('histogram("flipper_length_mm"'));
  expect(r.kind).toBe('release');
  expect(r.rows).toHaveLength(7);
  expect(r.cost).toEqual({ epsilon: '0.5', delta: '0' });
  expect(r.chart).toBeDefined();
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

test('run, then saved by the demo workflow, the notebook is the committed file again', () => {
  expect(raw).toContain('"outputs": [\n    {');
  expect(savedByDemoWorkflow(raw)).toBe(
    readFileSync(join(REPO_ROOT, 'notebooks/01-penguins.ipynb'), 'utf8')
  );
});
