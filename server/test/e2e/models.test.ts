/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * DP models end to end through the real server (SQLite ledger, DuckDB, DP engine, HTTP):
 * penguins classified by naive Bayes and logistic regression at ε = 1 on a training split the
 * server holds, checked on the held-apart split this test keeps; a regression of body mass on
 * flipper length against the least-squares line computed here; k-means; exact charges; bad input
 * refused before any charge; a failure after the charge keeps it.
 *
 * Statistical assertions (false positives ≈ 1e-6): mean held-out accuracy of 10 fits above a floor
 * 6 standard errors below the figures of the DP-level tests (naive-bayes.test.ts, logistic.test.ts);
 * the slope within 6 reported noise standard errors of the least-squares slope.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoDatasets } from '../../src/datasets/demo';
import { PENGUIN_SPECIES, penguinSplit, type Penguin } from '../../src/dp/models/testing/data';
import { ANALYST_KEY, METADATA, startE2E, type E2E, type Reply } from './harness';

let e2e: E2E;
const { train, test: held } = penguinSplit();

function penguinCsv(rows: Penguin[]): string {
  const cols = [
    'species',
    'island',
    'bill_length_mm',
    'bill_depth_mm',
    'flipper_length_mm',
    'body_mass_g',
    'sex'
  ] as const;
  return (
    [
      cols.join(','),
      ...rows.map(r => cols.map(c => (r[c] === null ? '' : String(r[c]))).join(','))
    ].join('\n') + '\n'
  );
}

beforeAll(async () => {
  e2e = await startE2E();
  const path = join(e2e.dataDir, 'penguins-train.csv');
  writeFileSync(path, penguinCsv(train));
  const created = await e2e.admin('POST', '/admin/datasets', {
    name: 'penguins_train',
    connector: { kind: 'file', path, format: 'csv' },
    metadata: demoDatasets()[0].metadata,
    accounting: 'pure',
    cap: null
  });
  expect(created.status).toBe(201);
  expect(
    (
      await e2e.admin('PUT', '/admin/grants/penguins_train/analyst', {
        epsilon: '1000',
        delta: '0'
      })
    ).status
  ).toBe(200);
  const gone = await e2e.admin('POST', '/admin/datasets', {
    name: 'gone_models',
    connector: { kind: 'file', path: join(e2e.dataDir, 'missing.csv'), format: 'csv' },
    metadata: METADATA,
    accounting: 'pure',
    cap: null
  });
  expect(gone.status).toBe(201);
  await e2e.admin('PUT', '/admin/grants/gone_models/analyst', { epsilon: '10', delta: '0' });
}, 60000);

afterAll(async () => {
  await e2e?.stop();
});

const post = (path: string, body: unknown, key?: string): Promise<Reply> =>
  e2e.req('POST', path, body, key ? { headers: { 'idempotency-key': key } } : {});

function model(parts: Record<string, unknown>, dataset = 'penguins_train') {
  return { version: 1, dataset, budget: { epsilon: 1 }, ...parts };
}

const spent = async (dataset: string) => (await e2e.budget(dataset)).spent;

const FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm'] as const;
const BOUNDS = {
  bill_length_mm: [30, 60],
  bill_depth_mm: [13, 22],
  flipper_length_mm: [170, 235]
} as const;
const clamp = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));
const complete = held.filter(p => FEATURES.every(f => p[f] !== null));
const classOf = (p: Penguin) =>
  PENGUIN_SPECIES.indexOf(p.species as (typeof PENGUIN_SPECIES)[number]);

/** Held-out accuracy of a released classifier, applied here to the clamped features. */
function accuracy(r: any): number {
  const x = (p: Penguin) => FEATURES.map(f => clamp(p[f] as number, BOUNDS[f]));
  const predict = (p: Penguin): number => {
    const v = x(p);
    const par = r.parameters;
    const scores: number[] =
      par.model === 'logistic'
        ? par.intercepts.map(
            (b: number, k: number) =>
              b + par.coefficients[k].reduce((s: number, w: number, j: number) => s + w * v[j], 0)
          )
        : par.priors.map(
            (pr: number, k: number) =>
              Math.log(pr) -
              v.reduce(
                (s, xj, j) =>
                  s +
                  (xj - par.means[k][j]) ** 2 / (2 * par.variances[k][j]) +
                  Math.log(par.variances[k][j]) / 2,
                0
              )
          );
    return scores.indexOf(Math.max(...scores));
  };
  return complete.filter(p => predict(p) === classOf(p)).length / complete.length;
}

describe('penguins species at ε = 1, checked on the held-apart split', () => {
  it.each([
    ['naive_bayes', 0.8],
    ['logistic', 0.5]
  ])(
    '%s: mean held-out accuracy of 10 fits above %d, each charged ε = 1 exactly',
    async (kind, floor) => {
      const before = Number((await spent('penguins_train')).epsilon);
      const acc: number[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await post(
          '/v1/models',
          model({ model: kind, features: [...FEATURES], target: 'species' })
        );
        expect(r.status).toBe(200);
        expect(r.body.kind).toBe('release');
        expect(r.body.cost).toEqual({ epsilon: '1', delta: '0' });
        expect(r.body.target.classes).toEqual([...PENGUIN_SPECIES]);
        acc.push(accuracy(r.body));
      }
      const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
      console.log(
        `${kind}, penguins over HTTP, ε = 1: held-out accuracy ${acc.map(a => a.toFixed(2)).join(' ')} (mean ${mean.toFixed(3)})`
      );
      expect(mean).toBeGreaterThan(floor);
      expect(Number((await spent('penguins_train')).epsilon)).toBe(before + 10);
    }
  );
});

describe('linear regression of body mass on flipper length', () => {
  it('is free to estimate and to run on dummy data, and the run lands near the least-squares line', async () => {
    const req = model({ model: 'linear', features: ['flipper_length_mm'], target: 'body_mass_g' });
    const before = await spent('penguins_train');
    const est = await post('/v1/models/estimate', req);
    expect(est.status).toBe(200);
    expect(est.body.cost).toEqual({ epsilon: '1', delta: '0' });
    expect(est.body.noise).toEqual([
      expect.objectContaining({
        step: 'gram',
        mechanism: 'discrete_laplace',
        scale: '6',
        values: 6,
        invocations: 1
      })
    ]);
    const dummy = await post('/v1/models/dummy', req);
    expect(dummy.status).toBe(200);
    expect(dummy.body.kind).toBe('dummy');
    expect(dummy.body.cost).toEqual({ epsilon: '0', delta: '0' });
    expect(dummy.body.notes[0]).toMatch(/DUMMY/);
    expect(await spent('penguins_train')).toEqual(before);

    const r = await post('/v1/models', req);
    expect(r.status).toBe(200);
    // least squares on the training rows (clamped as the server does)
    const rows = train.filter(p => p.flipper_length_mm !== null && p.body_mass_g !== null);
    const xs = rows.map(p => clamp(p.flipper_length_mm!, [170, 235]));
    const ys = rows.map(p => clamp(p.body_mass_g!, [2500, 6500]));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope =
      xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) /
      xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const p = r.body.parameters;
    console.log(
      `body mass ~ flipper length, ε = 1: slope ${p.coefficients[0].toFixed(1)} ± ${p.stdErrors.coefficients[0].toFixed(1)} g/mm (least squares ${slope.toFixed(1)}), R² ${r.body.metrics.r2?.value.toFixed(3)} ± ${r.body.metrics.r2?.noiseSd.toFixed(3)}`
    );
    expect(Math.abs(p.coefficients[0] - slope)).toBeLessThan(6 * p.stdErrors.coefficients[0] + 1);
    expect(Number((await spent('penguins_train')).epsilon)).toBe(Number(before.epsilon) + 1);
  });

  it('derived and one-hot features; a ρ budget on a zCDP dataset is charged exactly', async () => {
    const before = Number((await spent('e2e_zcdp')).rho);
    const r = await post(
      '/v1/models',
      model(
        {
          model: 'linear',
          steps: [
            {
              op: 'derive',
              columns: {
                x2: {
                  expr: {
                    kind: 'binary',
                    op: '/',
                    left: { kind: 'col', name: 'x' },
                    right: { kind: 'lit', value: 10 }
                  }
                }
              }
            }
          ],
          features: ['x2', { column: 'group', encoding: 'onehot' }, 'flag'],
          target: 'y',
          budget: { rho: '0.25' }
        },
        'e2e_zcdp'
      )
    );
    expect(r.status).toBe(200);
    expect(r.body.features.map((f: any) => f.name)).toEqual([
      'x2',
      'group=B',
      'group=C',
      'group=D',
      'flag'
    ]);
    expect(r.body.features[0].bounds).toEqual([0, 10]);
    expect(r.body.cost.rho).toBe('0.25');
    expect(r.body.noise[0].mechanism).toBe('discrete_gaussian');
    expect(Number((await spent('e2e_zcdp')).rho)).toBeCloseTo(before + 0.25, 12);
  });
});

describe('k-means', () => {
  /** Lloyd's algorithm without noise, from the same public centres (the test's own reference). */
  function lloyd(xs: number[], init: number[], rounds: number): number[] {
    let c = [...init];
    for (let t = 0; t < rounds; t++) {
      const sums = c.map(() => [0, 0]);
      for (const x of xs) {
        const k = c.reduce((b, v, i) => (Math.abs(x - v) < Math.abs(x - c[b]) ? i : b), 0);
        sums[k][0] += x;
        sums[k][1]++;
      }
      c = c.map((v, k) => (sums[k][1] > 0 ? sums[k][0] / sums[k][1] : v));
    }
    return c;
  }

  it('finds the centres Lloyd finds without noise, within the noise (ρ = 1, 2,000 rows)', async () => {
    const init = [10, 45, 90];
    const r = await post(
      '/v1/models',
      model(
        {
          model: 'kmeans',
          features: ['x'],
          budget: { rho: 1 },
          options: { clusters: 3, iterations: 6, init: init.map(v => [v]), evaluate: true }
        },
        'e2e_zcdp'
      )
    );
    expect(r.status).toBe(200);
    const centres = r.body.parameters.centres.map((c: number[]) => c[0]);
    const exact = lloyd(
      e2e.rows.map(row => row.x),
      init,
      6
    );
    console.log(
      `k-means on x, ρ = 1: centres ${centres.map((c: number) => c.toFixed(1)).join(', ')} (without noise ${exact.map(c => c.toFixed(1)).join(', ')}); inertia ${r.body.metrics.inertia.value.toFixed(1)}`
    );
    // Each round's noise moves a centre by about σ/n·50 ≈ 0.2: 2 units is far beyond it.
    exact.forEach((c, k) => expect(Math.abs(centres[k] - c)).toBeLessThan(2));
    expect(r.body.noise.map((n: any) => [n.step, n.invocations])).toEqual([
      ['round', 6],
      ['inertia', 1]
    ]);
  });
});

describe('bad input is refused before any charge, with the rule and the fix', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'a feature without bounds',
      { model: 'linear', features: ['z'], target: 'y' },
      'PRIVACY_RULE',
      /bounded-contribution.*feature "z" needs bounds.*Give the bounds you expect/
    ],
    [
      'a string feature without an encoding',
      { model: 'linear', features: ['group'], target: 'y' },
      'PRIVACY_RULE',
      /feature-encoding.*encoding: "onehot"/
    ],
    [
      'a classifier whose target has no public classes',
      { model: 'naive_bayes', features: ['x'], target: 'y' },
      'PRIVACY_RULE',
      /public-classes/
    ],
    [
      'too many features',
      { model: 'linear', features: Array.from({ length: 33 }, (_, i) => `f${i}`), target: 'y' },
      'INVALID_REQUEST',
      /at most 32 features/
    ],
    [
      'too many gradient steps',
      { model: 'logistic', features: ['x'], target: 'flag', options: { iterations: 101 } },
      'INVALID_REQUEST',
      /iterations/
    ],
    [
      'too many Lloyd rounds',
      { model: 'kmeans', features: ['x'], options: { clusters: 2, iterations: 60 } },
      'INVALID_PARAMETER',
      /iterations.*from 1 to 50/
    ],
    [
      'a budget too small for its steps',
      {
        model: 'logistic',
        features: ['x'],
        target: 'flag',
        budget: { epsilon: 0.01 },
        options: { iterations: 20 }
      },
      'INVALID_PARAMETER',
      /too small.*fewer iterations/
    ],
    [
      'an option of another model',
      { model: 'logistic', features: ['x'], target: 'flag', options: { ridge: 1 } },
      'INVALID_REQUEST',
      /ridge.*does not apply to logistic/
    ],
    [
      'Gaussian noise on a pure-ε dataset',
      { model: 'linear', features: ['x'], target: 'y', budget: { rho: 1 } },
      'PRIVACY_RULE',
      /pure-dp-dataset/
    ],
    [
      'a target with too many classes',
      {
        model: 'naive_bayes',
        steps: [
          {
            op: 'derive',
            columns: {
              k: {
                expr: { kind: 'lit', value: 'c0' },
                categories: Array.from({ length: 21 }, (_, i) => `c${i}`)
              }
            }
          }
        ],
        features: ['x'],
        target: 'k'
      },
      'INVALID_REQUEST',
      /21 public classes, above the limit of 20/
    ],
    [
      'a k-means target',
      { model: 'kmeans', features: ['x'], target: 'y', options: { clusters: 2 } },
      'INVALID_REQUEST',
      /k-means has no target/
    ]
  ];
  let n = 0;
  it.each(cases)('%s', async (_what, parts, code, message) => {
    const before = await spent('e2e');
    const r = await post('/v1/models', model(parts, 'e2e'), `refused-model-${++n}`);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(code);
    expect(r.body.message).toMatch(message);
    expect(await spent('e2e')).toEqual(before);
  });
});

describe('a failure after the charge', () => {
  it('keeps the charge; a retry with the same key gets the same error for free', async () => {
    const req = model({ model: 'linear', features: ['x'], target: 'y' }, 'gone_models');
    const first = await post('/v1/models', req, 'model-failure-0001');
    expect(first.status).toBe(500);
    expect(first.body.code).toBe('QUERY_FAILED');
    expect((await spent('gone_models')).epsilon).toBe('1');
    const retry = await post('/v1/models', req, 'model-failure-0001');
    expect(retry.body).toEqual(first.body);
    expect((await spent('gone_models')).epsilon).toBe('1');
    const history = await e2e.req('GET', '/v1/queries?dataset=gone_models', undefined, {
      key: ANALYST_KEY
    });
    expect(history.body[0].plan.kind).toBe('model');
  });
});

test('the OpenAPI document lists the model routes with their schemas', async () => {
  const doc = (await e2e.req('GET', '/openapi.json', undefined, { key: null })).body;
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/v1/models', '/v1/models/estimate', '/v1/models/dummy'])
  );
  expect(Object.keys(doc.components.schemas)).toEqual(
    expect.arrayContaining(['ModelRequest', 'ModelRelease', 'ModelEstimate'])
  );
});
