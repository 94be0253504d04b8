import { CHART_MIME, VEGALITE_MIME } from 'lomas-kernel/protocol';
import { cellWith, demoNotebook, results, spent, text } from './demoRun';

/**
 * The guide notebooks (quickstart, accuracy first, budgets and errors, administration), each top
 * to bottom in a real tslab kernel against its own real server process on the embedded store with
 * the demo datasets. Key outputs are asserted, not only the absence of errors.
 */

describe('00-quickstart', () => {
  const run = demoNotebook('00-quickstart.ipynb');

  test('connects, lists the demo datasets and the public metadata', () => {
    expect(text(cellWith(run, 'connect()'))).toContain('as analyst (analyst)');
    expect(text(cellWith(run, 'lomas.datasets()'))).toMatch(/penguins\s+pure/);
    expect(text(cellWith(run, 'metadata()'))).toContain('body_mass_g: int [');
    expect(text(cellWith(run, 'dummyTable'))).toMatch(/\|species\|island\|/);
  });

  test('estimates for free, then releases a count per island with a chart and charges ε = 0.2', async () => {
    expect(text(cellWith(run, 'estimate()'))).toContain('nothing spent');
    const [r] = results(cellWith(run, 'byIsland.run()'));
    expect(r.kind).toBe('release');
    expect(r.cost).toEqual({ epsilon: '0.2', delta: '0' });
    expect(r.rows.map(x => x.island).sort()).toEqual(['Biscoe', 'Dream', 'Torgersen']);
    // The chart is an output of its own, after the table (standard Vega-Lite + the Lomas type).
    const chart = cellWith(run, 'byIsland.run()').outputs.find(o => o.data?.[VEGALITE_MIME]);
    expect(chart?.data?.[CHART_MIME]).toMatchObject({ version: 1, dataset: 'penguins' });
    // True counts Biscoe 168, Dream 124, Torgersen 52; discrete Laplace scale 5:
    // P(|noise| > 100) < 2·e^-20 ≈ 4e-9 per group.
    const truth: Record<string, number> = { Biscoe: 168, Dream: 124, Torgersen: 52 };
    for (const row of r.rows)
      expect(Math.abs((row.count as number) - truth[row.island as string])).toBeLessThanOrEqual(
        100
      );
    expect((await spent(run, 'penguins')).epsilon).toBe('0.2');
  });
});

describe('02-accuracy-first', () => {
  const run = demoNotebook('02-accuracy-first.ipynb');

  test('the cost of each accuracy is printed and charted, and halving the error doubles ε', () => {
    const lines = text(cellWith(run, 'const targets')).trim().split('\n');
    expect(lines).toHaveLength(5);
    const eps = lines.map(l => Number(/ε = ([\d.]+)/.exec(l)![1]));
    for (let i = 1; i < eps.length; i++) expect(eps[i]).toBeGreaterThan(eps[i - 1]);
    // ±10 → ±5 (index 1 → 2): the noise scale is 1/ε, so ε about doubles (the discrete
    // Laplace's tail is not exactly the continuous one's).
    expect(eps[2] / eps[1]).toBeGreaterThan(1.7);
    expect(eps[2] / eps[1]).toBeLessThan(2.3);
    const chart = cellWith(run, 'showChart(').outputs.find(
      o => o.data?.['application/vnd.vegalite.v5+json']
    );
    expect(chart).toBeDefined();
  });

  test('±5 per species is what the release reports, and the confidence changes the cost', () => {
    const [r] = results(cellWith(run, 'bySpecies.run()'));
    expect(r.kind).toBe('release');
    expect(r.mechanisms[0].halfWidth).toBeLessThanOrEqual(5);
    const m = /95 %: ε = ([\d.]+)\n±10 at 99 %: ε = ([\d.]+)/.exec(text(cellWith(run, 'at99')));
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(Number(m![1]));
  });

  test('estimates spend nothing: only the ±5 run is charged', async () => {
    const [r] = results(cellWith(run, 'bySpecies.run()'));
    expect((await spent(run, 'penguins')).epsilon).toBe(r.cost.epsilon);
  });
});

describe('04-budgets-and-errors', () => {
  const run = demoNotebook('04-budgets-and-errors.ipynb');

  test('the budget goes down exactly, run by run', () => {
    expect(text(cellWith(run, 'spentAfter.push'))).toContain(
      'spent ε after each run: 0.1 → 0.3 → 0.6'
    );
  });

  test('each mistake gets its typed refusal, with advice', () => {
    const out = (snippet: string) => text(cellWith(run, snippet));
    expect(out('ε = 50')).toMatch(/BUDGET_EXHAUSTED/);
    expect(out('ε = 50')).toContain('spent before: ε = 0.6, after the refusal: ε = 0.6');
    expect(out('horse_power')).toMatch(/✘ mean of horse_power\n {2}[A-Z_]+: .*horse_power/);
    expect(out('group by name"')).toMatch(/✘ group by name\n {2}PRIVACY_RULE/);
    expect(out('group by name"')).toContain('✔ group by name with listed values: accepted');
    expect(out('mean("origin"')).toMatch(/✘ mean of origin\n {2}TYPE_MISMATCH: .*origin/);
    const bounds = out('bounds: [10, 150]');
    expect(bounds).toContain('✔ mean of a derived ratio (bounds from its inputs): accepted');
    expect(bounds).toContain('✔ the same with bounds [10, 150]: accepted');
    // The tighter bounds give the narrower interval, for the same ε.
    const widths = [...bounds.matchAll(/about ±([\d,]+)\/n/g)].map(m =>
      Number(m[1].replace(/,/g, ''))
    );
    expect(widths).toHaveLength(2);
    expect(widths[1]).toBeLessThan(widths[0]);
    expect(out('Math.random')).toMatch(
      /✘ a filter calling Math.random\(\)\n {2}UNSUPPORTED_EXPRESSION/
    );
    expect(out('"car"')).toMatch(/DATASET_NOT_FOUND/);
    expect(out('δ = 1e-6')).toMatch(/✘ penguins with δ = 1e-6\n {2}[A-Z_]+: /);
  });

  test('nothing but the three runs was charged', async () => {
    expect((await spent(run, 'cars')).epsilon).toBe('0.6');
    expect((await spent(run, 'penguins')).epsilon).toBe('0');
  });
});

describe('05-administration', () => {
  const run = demoNotebook('05-administration.ipynb', { withAdminKey: true });

  test('registers a dataset, creates an analyst with a key it never prints, grants a budget', () => {
    expect(text(cellWith(run, 'registerDataset'))).toMatch(/weather: version \d+, registered now/);
    const keyCell = text(cellWith(run, 'createUser'));
    expect(keyCell).toMatch(/new analyst dana; key \S+ issued/);
    expect(run.raw).not.toMatch(/lomas_[A-Za-z0-9_-]{20,}/);
    expect(text(cellWith(run, 'admin.grant('))).toContain('dana may spend ε = 1 on weather');
  });

  test('the analyst spends ε = 0.25 of it, the ledger shows it and the chain verifies', () => {
    const [r] = results(cellWith(run, 'dana.dataset'));
    expect(r.kind).toBe('release');
    expect(r.rows.map(x => x.weather).sort()).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
    expect(text(cellWith(run, 'admin.grants('))).toContain('granted ε = 1, spent ε = 0.25');
    expect(text(cellWith(run, 'admin.audit()'))).toMatch(/chain intact: \d+ entries checked/);
    expect(
      cellWith(run, 'spending.push').outputs.some(o => o.data?.['application/vnd.vegalite.v5+json'])
    ).toBe(true);
  });

  test('the revoked key is refused at once', () => {
    expect(text(cellWith(run, 'revokeKey'))).toMatch(/the revoked key is refused: .*key/i);
  });
});
