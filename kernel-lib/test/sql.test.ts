import { agg, QueryBuilder } from '../src/query';
import {
  LomasError,
  type EstimateResponse,
  type QueryPlan,
  type ReleaseResponse
} from '../src/protocol';
import { applyPostProcess, compileSql, evaluate, SqlSource } from '../src/protocol/sql';
import { templateRequest } from '../src/client/sql';
import { Dataset } from '../src/client/dataset';
import { Lomas } from '../src/client/connect';
import type { HttpClient } from '../src/client/http';

const penguins = () => new QueryBuilder('penguins');
const sql = (text: string, options: Record<string, unknown> = { epsilon: 1 }, params?: unknown[]) =>
  compileSql({ sql: text, dataset: 'penguins', options, params: params as never }).plan;

function refusal(f: () => unknown): LomasError {
  try {
    f();
  } catch (e) {
    if (e instanceof LomasError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('SQL and builder forms of the same question give equal plans', () => {
  const cases: Array<[string, () => QueryPlan, () => QueryPlan]> = [
    [
      'the Lomas client query: count and mean by species',
      () => sql('SELECT species, COUNT(*) AS n, AVG(bill_length_mm) FROM df GROUP BY species'),
      () =>
        penguins()
          .groupby('species')
          .agg(a => [a.count({ as: 'n' }), a.mean('bill_length_mm')], { epsilon: 1 }).plan
    ],
    [
      'count of everything',
      () => sql('SELECT COUNT(*) FROM penguins', { epsilon: '0.5' }),
      () => penguins().agg([agg.count()], { epsilon: '0.5' }).plan
    ],
    [
      'filter with AND, comparison and IN, then a bounded sum',
      () =>
        sql(
          "SELECT SUM(body_mass_g) FROM df WHERE island = 'Biscoe' AND body_mass_g > 3000 AND species IN ('Adelie', 'Gentoo')",
          { epsilon: 1, bounds: { body_mass_g: [3000, 6000] } }
        ),
      () =>
        penguins()
          .filter(
            d =>
              d.island === 'Biscoe' &&
              d.body_mass_g > 3000 &&
              ['Adelie', 'Gentoo'].includes(d.species)
          )
          .agg([agg.sum('body_mass_g', { bounds: [3000, 6000] })], { epsilon: 1 }).plan
    ],
    [
      'NOT, OR, IS NULL, LIKE prefix',
      () => sql("SELECT COUNT(*) FROM df WHERE NOT (sex IS NULL) OR species LIKE 'Gen%'"),
      () =>
        penguins()
          .filter(d => !(d.sex === null) || d.species.startsWith('Gen'))
          .agg([agg.count()], { epsilon: 1 }).plan
    ],
    [
      'quantiles, median and a confidence level',
      () =>
        sql(
          'SELECT island, PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY flipper_length_mm) AS p90, MEDIAN(bill_depth_mm) FROM df GROUP BY island',
          { epsilon: 2, confidence: 0.9 }
        ),
      () =>
        penguins()
          .groupby('island')
          .agg(
            [agg.quantile('flipper_length_mm', 0.9, { as: 'p90' }), agg.median('bill_depth_mm')],
            { epsilon: 2, confidence: 0.9 }
          ).plan
    ],
    [
      'a bound parameter is the same literal as a builder param',
      () =>
        sql(
          'SELECT sex, STDDEV(body_mass_g) FROM df WHERE island = $1 GROUP BY sex',
          { epsilon: 1 },
          ['Dream']
        ),
      () =>
        penguins()
          .filter((d, $) => d.island === $.island, { island: 'Dream' })
          .groupby('sex')
          .agg([agg.stdev('body_mass_g')], { epsilon: 1 }).plan
    ],
    [
      'explicit keys and discovered keys',
      () =>
        sql('SELECT sex, VARIANCE(body_mass_g) AS v FROM df GROUP BY sex', {
          epsilon: 1,
          keys: { sex: ['MALE', 'FEMALE'] }
        }),
      () =>
        penguins()
          .groupby('sex', { values: { sex: ['MALE', 'FEMALE'] } })
          .agg([agg.variance('body_mass_g', { as: 'v' })], { epsilon: 1 }).plan
    ]
  ];
  test.each(cases)('%s', (_n, fromSql, fromBuilder) => {
    expect(fromSql()).toEqual(fromBuilder());
  });
});

describe('tagged templates bind values, never splice them', () => {
  const tag = (s: TemplateStringsArray, ...v: unknown[]) => templateRequest(s, v);

  test('values become $n parameters', () => {
    const island = "Dream' OR 1=1 --";
    const r = tag`SELECT COUNT(*) FROM df WHERE island = ${island} AND body_mass_g > ${3000}`;
    expect(r.sql).toBe('SELECT COUNT(*) FROM df WHERE island = $1 AND body_mass_g > $2');
    expect(r.params).toEqual([island, 3000]);
    const plan = compileSql({ ...r, dataset: 'penguins', options: { epsilon: 1 } }).plan;
    expect(plan.steps[0]).toEqual({
      op: 'filter',
      predicate: {
        kind: 'logical',
        op: '&&',
        left: {
          kind: 'binary',
          op: '==',
          left: { kind: 'col', name: 'island' },
          right: { kind: 'lit', value: island }
        },
        right: {
          kind: 'binary',
          op: '>',
          left: { kind: 'col', name: 'body_mass_g' },
          right: { kind: 'lit', value: 3000 }
        }
      }
    });
  });

  test('a list binds as the whole list of IN, a Date as its ISO text', () => {
    const r = tag`SELECT COUNT(*) FROM df WHERE species IN (${['Adelie', 'Gentoo']}) AND island <> ${new Date(0)}`;
    expect(r.params).toEqual([['Adelie', 'Gentoo'], '1970-01-01T00:00:00.000Z']);
  });

  test('objects, functions, NaN and undefined are refused', () => {
    for (const bad of [{}, () => 1, NaN, undefined, 1n])
      expect(refusal(() => tag`SELECT COUNT(*) FROM df WHERE x = ${bad}`).code).toBe(
        'INVALID_PARAMETER'
      );
  });
});

describe('the notebook API returns the builder query object and sends the SQL', () => {
  function fakeHttp() {
    const posts: Array<{ path: string; body: unknown }> = [];
    const release: ReleaseResponse = {
      version: 1,
      kind: 'dummy',
      dataset: 'penguins',
      title: 't',
      columns: [{ name: 'count', role: 'estimate', type: 'integer' }],
      rows: [{ count: 3 }],
      cost: { epsilon: '0', delta: '0' },
      mechanisms: []
    };
    const http = {
      config: { display: false, url: 'http://x' },
      post: async (path: string, body: unknown) => {
        posts.push({ path, body });
        return path.endsWith('estimate')
          ? ({ dataset: 'penguins', cost: {}, mechanisms: [] } as unknown as EstimateResponse)
          : release;
      },
      get: async () => ({})
    } as unknown as HttpClient;
    return { http, posts };
  }

  test('dataset.sql(text, options) and lomas.sql(options)`…` hit the SQL routes', async () => {
    const { http, posts } = fakeHttp();
    const lomas = new Lomas(http);
    const ds = lomas.dataset('penguins');
    const q1 = ds.sql('SELECT COUNT(*) FROM df WHERE island = $1', {
      epsilon: 1,
      params: ['Dream']
    });
    const island = 'Biscoe';
    const q2 = lomas.sql({ epsilon: 1 })`SELECT COUNT(*) FROM penguins WHERE island = ${island}`;
    const q3 = ds.sql({ epsilon: 1 })`SELECT COUNT(*) FROM df WHERE island = ${island}`;
    expect(q2.plan).toEqual(q3.plan);
    expect(q1.plan.dataset).toBe('penguins');
    await q1.estimate();
    await q2.dummy();
    await q3.run({ idempotencyKey: 'abcdefgh12' });
    expect(posts.map(p => p.path)).toEqual([
      '/v1/queries/sql/estimate',
      '/v1/queries/sql/dummy',
      '/v1/queries/sql'
    ]);
    expect(posts[1].body).toEqual({
      sql: 'SELECT COUNT(*) FROM penguins WHERE island = $1',
      params: ['Biscoe'],
      options: { epsilon: 1 }
    });
    expect(posts[2].body).toMatchObject({ dataset: 'penguins', params: ['Biscoe'] });
    expect(ds).toBeInstanceOf(Dataset);
  });

  test('a mistake fails in the notebook, before anything is sent, with a caret', () => {
    const { http, posts } = fakeHttp();
    const e = refusal(() =>
      new Lomas(http)
        .dataset('penguins')
        .sql('SELECT species, island, COUNT(*) FROM df GROUP BY species', { epsilon: 1 })
    );
    expect(e.code).toBe('UNSUPPORTED_SQL');
    expect(e.message).toContain(
      '    SELECT species, island, COUNT(*) FROM df GROUP BY species\n                    ^^^^^^'
    );
    expect(posts).toHaveLength(0);
  });

  test('the bare tag asks for a budget', () => {
    const { http } = fakeHttp();
    const e = refusal(() => new Lomas(http).sql`SELECT COUNT(*) FROM penguins`);
    expect(e.code).toBe('INVALID_PARAMETER');
    expect(e.message).toContain('lomas.sql({ epsilon: 1 })');
  });
});

describe('errors point at the SQL', () => {
  test('line and column on a later line, with the caret under the span', () => {
    const e = refusal(() =>
      compileSql({
        sql: 'SELECT COUNT(*)\nFROM df\nWHERE LOG(body_mass_g) > 3',
        dataset: 'penguins',
        options: { epsilon: 1 }
      })
    );
    expect(e.details.sql).toMatchObject({ line: 3, column: 7, length: 16 });
    expect(e.message).toMatch(/line 3, column 7:\n {4}WHERE LOG\(body_mass_g\) > 3\n {10}\^{16}$/);
    expect(e.message).toContain('LN(x)');
  });

  test('a long line is cut to a window around the span', () => {
    const long = `SELECT COUNT(*) FROM df WHERE ${Array.from({ length: 30 }, (_, i) => `body_mass_g <> ${i}`).join(' AND ')} AND nope(1) = 1`;
    const e = refusal(() =>
      compileSql({ sql: long, dataset: 'penguins', options: { epsilon: 1 } })
    );
    const excerpt = (e.details.sql as { excerpt: string }).excerpt;
    const [line, caret] = excerpt.split('\n');
    expect(line.length).toBeLessThan(120);
    expect(line.slice(caret.indexOf('^'), caret.indexOf('^') + 4)).toBe('nope');
  });

  test('source positions count lines from 1', () => {
    const s = new SqlSource('a\nbc\n');
    expect(s.position(0)).toEqual({ line: 1, column: 1 });
    expect(s.position(3)).toEqual({ line: 2, column: 2 });
  });

  test('texts over the size limit are refused', () => {
    const e = refusal(() =>
      compileSql({
        sql: 'SELECT COUNT(*) FROM df ' + ' '.repeat(20000),
        dataset: 'penguins',
        options: { epsilon: 1 }
      })
    );
    expect(e.code).toBe('INVALID_SQL');
    expect(e.details.sqlRule).toBe('text-size');
  });

  test('bounds that match no aggregate, and keys that are not GROUP BY keys, are refused', () => {
    expect(
      refusal(() => sql('SELECT COUNT(*) FROM df', { epsilon: 1, bounds: { x: [0, 1] } })).details
        .parameter
    ).toBe('options.bounds.x');
    expect(
      refusal(() =>
        sql('SELECT island, COUNT(*) FROM df GROUP BY island', {
          epsilon: 1,
          keys: { sex: ['MALE'] }
        })
      ).details.parameter
    ).toBe('options.keys.sex');
  });
});

describe('post-processing of released values (HAVING, ORDER BY, LIMIT)', () => {
  const release: ReleaseResponse = {
    version: 1,
    kind: 'release',
    dataset: 'penguins',
    title: 't',
    columns: [
      { name: 'species', role: 'key', type: 'string' },
      { name: 'n', role: 'estimate', type: 'integer' },
      { name: 'n_lower', role: 'lower', type: 'number' },
      { name: 'n_upper', role: 'upper', type: 'number' },
      { name: 'mass', role: 'estimate', type: 'number' },
      { name: 'mass_lower', role: 'lower', type: 'number' },
      { name: 'mass_upper', role: 'upper', type: 'number' }
    ],
    rows: [
      {
        species: 'Adelie',
        n: 150,
        n_lower: 140,
        n_upper: 160,
        mass: 3700,
        mass_lower: 3600,
        mass_upper: 3800
      },
      {
        species: 'Chinstrap',
        n: 70,
        n_lower: 60,
        n_upper: 80,
        mass: 3730,
        mass_lower: 3600,
        mass_upper: 3900
      },
      {
        species: 'Gentoo',
        n: 120,
        n_lower: 110,
        n_upper: 130,
        mass: null,
        mass_lower: null,
        mass_upper: null
      }
    ],
    cost: { epsilon: '1', delta: '0' },
    mechanisms: []
  };

  test('HAVING keeps rows where it is true, ORDER BY sorts, LIMIT cuts, columns follow SELECT', () => {
    const c = compileSql({
      sql: 'SELECT AVG(body_mass_g) AS mass, species, COUNT(*) AS n FROM df GROUP BY species HAVING n > 100 OR mass > 3720 ORDER BY n DESC LIMIT 2',
      dataset: 'penguins',
      options: { epsilon: 1 }
    });
    const out = applyPostProcess(release, c.post);
    expect(out.rows.map(r => r.species)).toEqual(['Adelie', 'Gentoo']);
    expect(out.columns.map(x => x.name)).toEqual([
      'mass',
      'mass_lower',
      'mass_upper',
      'species',
      'n',
      'n_lower',
      'n_upper'
    ]);
  });

  test('null compares as null (the row is dropped), in three-valued logic', () => {
    const row = { a: null, b: 2 };
    expect(
      evaluate(
        {
          kind: 'binary',
          op: '>',
          left: { kind: 'col', name: 'a' },
          right: { kind: 'lit', value: 1 }
        },
        row
      )
    ).toBeNull();
    expect(
      evaluate(
        {
          kind: 'logical',
          op: '||',
          left: {
            kind: 'binary',
            op: '>',
            left: { kind: 'col', name: 'a' },
            right: { kind: 'lit', value: 1 }
          },
          right: { kind: 'lit', value: true }
        },
        row
      )
    ).toBe(true);
    expect(
      evaluate(
        {
          kind: 'binary',
          op: '/',
          left: { kind: 'col', name: 'b' },
          right: { kind: 'lit', value: 0 }
        },
        row
      )
    ).toBeNull();
  });
});
