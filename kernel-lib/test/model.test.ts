/**
 * The notebook side of DP models: requests built and checked locally with the protocol's schema,
 * and released models applied locally (predict, score, chart) on arquero tables.
 */
import * as aq from 'arquero';
import { LomasError, ModelReleaseSchema, type ModelRelease } from '../src/protocol';
import { modelRequest } from '../src/client/model';
import { Model } from '../src/client/modelResult';
import { QueryBuilder } from '../src/query';

const base = {
  version: 1 as const,
  kind: 'release' as const,
  dataset: 'penguins',
  title: 't',
  cost: { epsilon: '1', delta: '0' },
  noise: [
    {
      step: 'gram',
      mechanism: 'discrete_laplace',
      scale: '6',
      values: 6,
      invocations: 1,
      cost: { epsilon: '1', delta: '0' }
    }
  ],
  notes: []
};

const linear: ModelRelease = {
  ...base,
  model: 'linear',
  features: [{ name: 'x', column: 'x', bounds: [0, 10] }],
  target: { column: 'y', bounds: [0, 100] },
  parameters: {
    model: 'linear',
    intercept: 2,
    coefficients: [3],
    stdErrors: { intercept: 0.5, coefficients: [0.1] },
    ridge: 0
  },
  metrics: { rows: 100, r2: { value: 0.9, noiseSd: 0.01 } }
};

const classifier = (model: 'logistic' | 'naive_bayes'): ModelRelease => ({
  ...base,
  model,
  features: [
    { name: 'x', column: 'x', bounds: [0, 10] },
    { name: 'c=b', column: 'c', bounds: [0, 1], category: 'b', indicator: true }
  ],
  target: { column: 'label', classes: ['lo', 'hi'] },
  parameters:
    model === 'logistic'
      ? {
          model,
          intercepts: [0, -5],
          coefficients: [
            [0, 0],
            [1, 0]
          ]
        }
      : {
          model,
          priors: [0.5, 0.5],
          means: [
            [2, 0],
            [8, 1]
          ],
          variances: [
            [1, 0.25],
            [1, 0.25]
          ]
        },
  metrics: { rows: 10 }
});

describe('requests', () => {
  it('builds the wire request from a spec, with steps from a query builder', () => {
    const from = new QueryBuilder('penguins').filter(d => d.island === 'Biscoe');
    const r = modelRequest('penguins', 'logistic', {
      features: ['bill_length_mm', { column: 'sex', encoding: 'onehot' }],
      target: 'species',
      epsilon: 1,
      iterations: 4,
      from
    });
    expect(r).toMatchObject({
      version: 1,
      dataset: 'penguins',
      model: 'logistic',
      budget: { epsilon: 1 },
      options: { iterations: 4 },
      steps: [{ op: 'filter' }]
    });
  });

  it('refuses locally what the schema refuses, with the fix', () => {
    const e = (() => {
      try {
        modelRequest('flights', 'kmeans', { features: ['delay'], rho: 0.1 });
      } catch (err) {
        return err as LomasError;
      }
    })();
    expect(e).toBeInstanceOf(LomasError);
    expect(e!.message).toMatch(/clusters.*options: \{ clusters: 3 \}/);
    expect(() =>
      modelRequest('penguins', 'linear', {
        features: ['x'],
        target: 'y',
        epsilon: 1,
        iterations: 3
      })
    ).toThrow(/iterations.*does not apply to linear/);
  });
});

describe('released models, applied locally', () => {
  it('the wire samples are valid ModelRelease values', () => {
    for (const r of [linear, classifier('logistic'), classifier('naive_bayes')])
      expect(ModelReleaseSchema.safeParse(r).success).toBe(true);
  });

  it('linear: predictions clamp features to their bounds; R² on a table of my own', () => {
    const m = new Model(linear);
    const t = aq.table({ x: [1, 2, 20, null], y: [5, 8, 32, 1] });
    expect(m.predictions(t)).toEqual([5, 8, 32, null]);
    expect(m.predict(t).columnNames()).toContain('prediction');
    expect(m.score(t)).toBeCloseTo(1, 12);
    expect(m.coefficients).toEqual({ intercept: 2, x: 3 });
    expect(m.toString()).toMatch(/x: 3 ± 0\.1/);
  });

  it('classifiers: classes by logit or likelihood, one-hot features from strings; accuracy', () => {
    const t = aq.table({ x: [1, 9, 9], c: ['a', 'b', 'b'], label: ['lo', 'hi', 'lo'] });
    for (const kind of ['logistic', 'naive_bayes'] as const) {
      const m = new Model(classifier(kind));
      expect(m.predictions(t)).toEqual(['lo', 'hi', 'hi']);
      expect(m.score(t)).toBeCloseTo(2 / 3, 12);
    }
  });

  it('k-means: the nearest centre on the normalised scale; score is −inertia', () => {
    const m = new Model({
      ...base,
      model: 'kmeans',
      features: [
        { name: 'x', column: 'x', bounds: [0, 10] },
        { name: 'z', column: 'z', bounds: [0, 1000] }
      ],
      parameters: {
        model: 'kmeans',
        centres: [
          [1, 500],
          [9, 500]
        ],
        sizes: [5, 5]
      },
      metrics: {}
    });
    // distances on the normalised scale: z in [0, 1000] weighs as much as x in [0, 10]
    expect(m.predictions(aq.table({ x: [2, 8], z: [900, 100] }))).toEqual([0, 1]);
    expect(m.score(aq.table({ x: [1], z: [500] }))).toBeCloseTo(0, 12);
    expect(m.score(aq.table({ x: [10], z: [500] }))).toBeCloseTo(-0.04, 12);
  });

  it('a missing feature column is named, with the fix', () => {
    expect(() => new Model(linear).predict(aq.table({ y: [1] }))).toThrow(/no column "x".*derive/);
  });

  it('chart(): the table as points and the DP line across the bounds (plain Vega-Lite)', () => {
    const spec = new Model(linear).chart(aq.table({ x: [1, 2], y: [5, 8] }));
    const [points, line] = spec.layer as Array<{ data: { values: Array<Record<string, number>> } }>;
    expect(points.data.values).toEqual([
      { x: 1, y: 5 },
      { x: 2, y: 8 }
    ]);
    expect(line.data.values).toEqual([
      { x: 0, y: 2 },
      { x: 10, y: 32 }
    ]);
    expect(() => new Model(classifier('logistic')).chart(aq.table({ x: [1] }))).toThrow(/linear/);
  });
});
