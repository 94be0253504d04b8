import { cellWith as cellIn, demoNotebook, spent } from './demoRun';
import { textOf, type ExecutedCell } from './runNotebook';

/**
 * The models notebook in a real tslab kernel against a real server process (demo datasets):
 * a linear regression of body mass on flipper length (estimate, dummy, run, Vega-Lite chart of
 * the DP line over dummy rows), naive Bayes with a charged training accuracy and logistic
 * regression of the species, applied locally; ε = 3 spent in all.
 */
const run = demoNotebook('08-models.ipynb');

const cellWith = (snippet: string): ExecutedCell => cellIn(run, snippet);

const text = (snippet: string) => cellWith(snippet).outputs.map(textOf).join('');

test('the estimate and the dummy fit are free and say so', () => {
  expect(text('massFit.estimate()')).toMatch(
    /cost ε=1, δ=0 — gram: 6 value\(s\), discrete laplace scale 6.*nothing spent/
  );
  expect(text('massFit.dummy()')).toMatch(/DUMMY DATA — not a real answer/);
});

test('the regression of body mass on flipper length is released as plain coefficients', () => {
  const json = /\{"intercept".*\}/.exec(text('mass.coefficients'))?.[0];
  const c = JSON.parse(json as string) as { intercept: number; flipper_length_mm: number };
  // Least squares on all penguins: ≈ 49.7 g/mm; the noise's standard error at ε = 1 is ≈ 15 g/mm
  // (reported with the model): 6 standard errors either side.
  expect(c.flipper_length_mm).toBeGreaterThan(49.7 - 90);
  expect(c.flipper_length_mm).toBeLessThan(49.7 + 90);
  expect(text('const mass = await')).toMatch(
    /linear regression of body_mass_g on flipper_length_mm/
  );
});

test('the chart is Vega-Lite: the dummy rows as points and the DP line across the bounds', () => {
  const out = cellWith('mass.chart(').outputs.find(
    o => o.data?.['application/vnd.vegalite.v5+json']
  );
  const spec = out?.data?.['application/vnd.vegalite.v5+json'] as {
    layer: Array<{ mark: { type: string }; data: { values: Array<Record<string, number>> } }>;
  };
  expect(spec.layer.map(l => l.mark.type)).toEqual(['point', 'line']);
  expect(spec.layer[0].data.values.length).toBeGreaterThan(150);
  expect(spec.layer[1].data.values.map(v => v.flipper_length_mm)).toEqual([170, 235]);
});

test('species: naive Bayes with a charged training accuracy, logistic regression applied locally', () => {
  expect(text('"naive_bayes"')).toMatch(
    /naive Bayes of species.*training accuracy ≈ [01]\.\d+ \(noise sd 0\.\d+\)/s
  );
  expect(text('"logistic"')).toMatch(/logistic regression of species/);
  const shown = text('logit.predict(sample)');
  expect(shown).toMatch(/\|prediction\|/);
  const acc = Number(/training accuracy \(a noisy release\): ([\d.-]+)/.exec(shown)?.[1]);
  expect(Number.isFinite(acc)).toBe(true);
});

test('ε = 3 was charged in all: estimates and dummy fits are free', async () => {
  const spentNow = await spent(run, 'penguins');
  expect(spentNow.epsilon).toBe('3');
});
