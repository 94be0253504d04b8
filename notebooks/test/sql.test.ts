import type { ResultBundle } from 'lomas-kernel/protocol';
import { cellWith as cellIn, demoNotebook, resultOf, spent } from './demoRun';
import { textOf, type ExecutedCell } from './runNotebook';

/**
 * The SQL demo notebook, top to bottom, in a real tslab kernel (which loads the SQL parser as
 * CommonJS) against a real server process with the demo datasets. True penguin counts
 * (vega-datasets penguins.json): Adelie 152, Chinstrap 68, Gentoo 124.
 */
const TRUE_COUNTS: Record<string, number> = { Adelie: 152, Chinstrap: 68, Gentoo: 124 };

const run = demoNotebook('06-sql.ipynb');

const cellWith = (snippet: string): ExecutedCell => cellIn(run, snippet);

/** A SQL result also carries the plan and the SQL it was compiled from. */
const result = (snippet: string) =>
  resultOf(run, snippet) as ResultBundle & { plan?: unknown; sql?: { text: string } };

test('the SQL compiles in the notebook to the plan the builder would send', () => {
  const text = cellWith('console.log(JSON.stringify(bySpecies.plan))').outputs.map(textOf).join('');
  expect(JSON.parse(text)).toEqual({
    version: 1,
    dataset: 'penguins',
    steps: [],
    groupby: { keys: ['species'] },
    aggregations: [
      { op: 'count', as: 'n' },
      { op: 'mean', column: 'bill_length_mm', as: 'bill' }
    ],
    budget: { epsilon: 1 }
  });
});

test('the dummy run is free; the run is charged and close to the true counts', () => {
  const d = result('bySpecies.dummy()');
  expect(d.kind).toBe('dummy');
  expect(d.cost).toEqual({ epsilon: '0', delta: '0' });
  const r = result('bySpecies.run()');
  expect(r.kind).toBe('release');
  expect(r.cost).toEqual({ epsilon: '1', delta: '0' });
  expect(r.sql?.text).toContain('FROM df GROUP BY species');
  for (const row of r.rows) {
    // ε = 0.5 for the count: discrete Laplace of scale 2; |noise| > 60 has probability < 1e-12.
    expect(Math.abs((row.n as number) - TRUE_COUNTS[row.species as string])).toBeLessThan(60);
    expect(row.bill as number).toBeGreaterThanOrEqual(30);
    expect(row.bill as number).toBeLessThanOrEqual(60);
  }
});

test('a tagged template binds the value as a parameter and post-processes the table', () => {
  const r = result('lomas.sql({ epsilon: 0.5');
  expect(r.sql?.text).toContain('WHERE island = $1 AND sex IS NOT NULL');
  const masses = r.rows.map(x => x.mass as number);
  expect([...masses].sort((a, b) => b - a)).toEqual(masses);
  expect(r.columns.slice(0, 4).map(c => c.name)).toEqual([
    'sex',
    'mass',
    'mass_lower',
    'mass_upper'
  ]);
});

test('errors point at the SQL with a caret and advice', () => {
  const bare = cellWith('SELECT species, island').outputs.map(textOf).join('');
  expect(bare).toContain('rule "bare-column"');
  expect(bare).toContain('line 1, column 17:');
  expect(bare).toContain('\n                    ^^^^^^');
  const max = cellWith('MAX(body_mass_g)').outputs.map(textOf).join('');
  expect(max).toContain('PERCENTILE_CONT');
});

test('the budget moved by exactly the two runs (the refused queries cost nothing)', async () => {
  const spentNow = await spent(run, 'penguins');
  expect(spentNow.epsilon).toBe('1.5');
});
