import { demoNotebook, resultOf, spent } from './demoRun';
import { textOf } from './runNotebook';

/**
 * The flights notebook (3M rows, zCDP) in a real tslab kernel against a real server process:
 * dummy runs, a grouped mean over a derived month, an accuracy-first count, a median and a
 * histogram, all charged in ρ.
 */
const run = demoNotebook('03-flights.ipynb');

const result = (snippet: string) => resultOf(run, snippet);

test('the dummy run is free and labelled as dummy', () => {
  const r = result('byMonth.dummy()');
  expect(r.kind).toBe('dummy');
  expect(r.cost).toEqual({ epsilon: '0', delta: '0' });
  expect(r.rows.map(x => x.month)).toEqual([1, 2, 3, 4, 5, 6]);
});

test('the mean delay per month is released for every listed month, with intervals', () => {
  const r = result('byMonth.run()');
  expect(r.kind).toBe('release');
  expect(r.cost.rho).toBe('0.01');
  expect(r.rows.map(x => x.month)).toEqual([1, 2, 3, 4, 5, 6]);
  for (const row of r.rows) {
    const [est, lo, hi] = [row.mean_delay, row.lower, row.upper] as number[];
    expect(lo).toBeLessThanOrEqual(est);
    expect(hi).toBeGreaterThanOrEqual(est);
    expect(est).toBeGreaterThanOrEqual(-120);
    expect(est).toBeLessThanOrEqual(720);
  }
  expect(r.mechanisms[0].mechanism).toBe('discrete_gaussian');
});

test('an accuracy target gives the budget it needs, and the release meets it', () => {
  const text = run.cells
    .find(c => c.source.includes('accuracy: 100'))!
    .outputs.map(textOf)
    .join('');
  expect(text).toMatch(/±100 flights at 95% costs ρ = 0\.000\d+/);
  const r = result('accuracy: 100');
  const row = r.rows[0] as { count: number; lower: number; upper: number };
  expect(row.upper - row.lower).toBeLessThanOrEqual(200);
  // The noise scale is about 33: P(|noise| > 1000) is below e^-30, so this never flakes.
  expect(Math.abs(row.count - 3_000_000)).toBeLessThan(1000);
});

test('the median and the histogram are released on public candidates and bins', () => {
  const m = result('median("delay"');
  expect(m.mechanisms[0].note).toMatch(/rank error/);
  const v = m.rows[0].median_delay as number;
  expect(v).toBeGreaterThanOrEqual(-120);
  expect(v).toBeLessThanOrEqual(720);
  const h = result('histogram("distance"');
  expect(h.rows.map(x => x.bin)).toEqual([
    '[0, 250]',
    '(250, 500]',
    '(500, 1000]',
    '(1000, 1500]',
    '(1500, 2500]',
    '(2500, 5100]'
  ]);
});

test('the run says how long it took; five hubs get a count and a mean each', () => {
  const timing = run.cells.find(c => c.source.includes('byMonth.run()'))!;
  expect(timing.outputs.map(textOf).join('')).toMatch(
    /answered in \d+\.\d\d s over 3 million rows/
  );
  const r = result('a.count({ as: "flights" })');
  expect(r.rows.map(x => x.origin)).toEqual(['ATL', 'ORD', 'DFW', 'LAX', 'DEN']);
  expect(r.cost.rho).toBe('0.01');
  for (const row of r.rows) {
    expect(row.flights as number).toBeGreaterThan(10000);
    expect(row.mean_delay as number).toBeGreaterThanOrEqual(-120);
    expect(row.mean_delay as number).toBeLessThanOrEqual(720);
  }
});

test('everything was charged in ρ, exactly', async () => {
  const spentNow = await spent(run, 'flights');
  // 0.01 (mean) + 0.01 (hubs) + the accuracy-first count + 0.005 (median) + 0.01 (histogram)
  expect(Number(spentNow.rho)).toBeGreaterThan(0.035);
  expect(Number(spentNow.rho)).toBeLessThan(0.036);
});

test('the kernel left its outputs in the file it saved', () => {
  expect(run.raw).toContain('"outputs": [\n    {');
});
