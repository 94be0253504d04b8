import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import {
  caveatCells,
  caveatNotes,
  CHART_MIME,
  LomasError,
  RESULT_MIME,
  VEGALITE_MIME,
  type ReleaseResponse
} from '../src/protocol';
import { resolveConfig } from '../src/client/config';
import { HttpClient } from '../src/client/http';
import { QueryResult } from '../src/client/result';
import { bundleOf } from '../src/client/show';
import { chartFor } from '../src/client/chart';
import { budgetBundle, budgetText, displayableBudget } from '../src/client/budget';
import { beginCell, markShown } from '../src/client/display';
import { lastValueBundles } from '../src/client/kernel';
import { interruptRequests } from '../src/client/interrupt';
import { chargeOf, Runner } from '../src/client/runner';
import { Lomas } from '../src/client/connect';
import { inspect } from 'node:util';

const RELEASE: ReleaseResponse = {
  version: 1,
  kind: 'release',
  dataset: 'penguins',
  title: 'count by species — penguins',
  columns: [
    { name: 'species', role: 'key', type: 'string' },
    { name: 'count', role: 'estimate', type: 'integer' },
    { name: 'lower', role: 'lower', type: 'number' },
    { name: 'upper', role: 'upper', type: 'number' }
  ],
  rows: [
    { species: 'Adelie', count: 150, lower: 144, upper: 156 },
    { species: 'Gentoo', count: 125, lower: 119, upper: 131 }
  ],
  cost: { epsilon: '0.5', delta: '0' },
  mechanisms: [
    {
      aggregation: 'count',
      mechanism: 'discrete_laplace',
      scale: '2',
      halfWidth: 6,
      confidence: 0.95,
      cost: { epsilon: '0.5', delta: '0' }
    }
  ]
};

describe('configuration', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  test('options win over the environment, which wins over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lomas-cfg-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ url: 'http://file:1', token: 'file-token' }));
    process.env.LOMAS_CONFIG = file;
    delete process.env.LOMAS_URL;
    delete process.env.LOMAS_API_KEY;
    expect(resolveConfig()).toMatchObject({ url: 'http://file:1', token: 'file-token' });
    process.env.LOMAS_URL = 'http://env:2/';
    expect(resolveConfig().url).toBe('http://env:2');
    expect(resolveConfig({ url: 'http://opt:3', token: 't' })).toMatchObject({
      url: 'http://opt:3',
      token: 't'
    });
  });

  test('a missing key is a typed error that says how to fix it', () => {
    process.env.LOMAS_CONFIG = '/nonexistent/config.json';
    delete process.env.LOMAS_API_KEY;
    process.env.LOMAS_URL = 'http://x:1';
    expect(() => resolveConfig()).toThrow(LomasError);
    expect(() => resolveConfig()).toThrow(/LOMAS_API_KEY/);
  });
});

async function failure(p: Promise<unknown>): Promise<LomasError> {
  try {
    await p;
  } catch (e) {
    return e as LomasError;
  }
  throw new Error('expected a failure');
}

describe('HTTP errors become typed errors', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.headers.authorization !== 'Bearer good')
        return void res
          .writeHead(401)
          .end(JSON.stringify({ code: 'UNAUTHENTICATED', message: 'No valid API key was sent.' }));
      res.writeHead(500).end('{"not":"a lomas error"}');
    });
    await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>(ok => server.close(() => ok())));

  const client = (u: string, token: string) =>
    new HttpClient({ url: u, token, display: false, timeoutMs: 5000 });

  test("the server's code and wording are kept", async () => {
    const err = await failure(client(url, 'bad').get('/v1/me'));
    expect(err).toBeInstanceOf(LomasError);
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toBe('No valid API key was sent.');
  });

  test('an unknown error body is INTERNAL, never a raw axios error', async () => {
    const err = await failure(client(url, 'good').get('/v1/me'));
    expect(err).toBeInstanceOf(LomasError);
    expect(err.code).toBe('INTERNAL');
  });

  test('no server is UNAVAILABLE, with advice', async () => {
    const err = await failure(client('http://127.0.0.1:1', 'x').get('/v1/me'));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/is the Lomas server running/);
  });
});

describe('results', () => {
  test('an arquero table with one column per released column', () => {
    const r = new QueryResult(RELEASE);
    expect(r.table.columnNames()).toEqual(['species', 'count', 'lower', 'upper']);
    expect(r.table.numRows()).toBe(2);
    expect(r.cost).toEqual({ epsilon: '0.5', delta: '0' });
  });

  test('a display bundle: the Lomas type, HTML and text fallbacks', () => {
    const b = new QueryResult(RELEASE).mimeBundle();
    expect(Object.keys(b).sort()).toEqual([RESULT_MIME, 'text/html', 'text/plain'].sort());
    expect(b['text/plain']).toContain('count by species');
    expect(b['text/plain']).toContain('discrete Laplace, ±6 at 95%');
    expect(b['text/html']).not.toContain('<script');
  });

  test('the chart is an output of its own, in a type every Vega-Lite front end draws', () => {
    const r = new QueryResult(RELEASE);
    const [card, chart] = r.displays();
    expect(card).toEqual(r.mimeBundle());
    // Not in the table's bundle: JupyterLab would pick its HTML (rank 50) over Vega-Lite (57).
    expect((card[RESULT_MIME] as Record<string, unknown>).chart).toBeUndefined();
    expect(Object.keys(chart).sort()).toEqual([CHART_MIME, VEGALITE_MIME, 'text/plain'].sort());
    expect(chart[VEGALITE_MIME]).toEqual(chartFor(RELEASE));
    expect(chart[CHART_MIME]).toEqual({ version: 1, dataset: 'penguins', title: RELEASE.title });
    expect(r.chart).toEqual(chartFor(RELEASE));
    const noChart = new QueryResult({ ...RELEASE, rows: [] });
    expect(noChart.displays()).toHaveLength(1);
  });

  test('a Vega-Lite chart with bars and interval rules, only when it makes sense', () => {
    const spec = chartFor(RELEASE)!;
    expect(spec.$schema).toMatch(/vega-lite\/v5/);
    expect((spec.layer as unknown[]).length).toBe(2);
    expect(chartFor({ ...RELEASE, columns: RELEASE.columns.filter(c => c.role !== 'key') })).toBe(
      undefined
    );
  });

  test('show() bundles arquero tables as HTML and markdown', () => {
    const b = bundleOf(aq.table({ a: [1, 2], b: ['x', '<y>'] }));
    expect(String(b['text/html'])).toContain('&lt;y&gt;');
    expect(String(b['text/plain'])).toContain('|a|b|');
  });
});

const MEAN: ReleaseResponse = {
  version: 1,
  kind: 'release',
  dataset: 'penguins',
  title: 'mean_body_mass_g by species — penguins',
  columns: [
    { name: 'species', role: 'key', type: 'string' },
    { name: 'mean_body_mass_g', role: 'estimate', type: 'number' },
    { name: 'lower', role: 'lower', type: 'number' },
    { name: 'upper', role: 'upper', type: 'number' }
  ],
  rows: [
    { species: 'Adelie', mean_body_mass_g: 3700, lower: 3300, upper: 4100 },
    { species: 'Chinstrap', mean_body_mass_g: 6500, lower: 2500, upper: 6500 }
  ],
  cost: { epsilon: '0.5', delta: '0' },
  mechanisms: [
    {
      aggregation: 'mean_body_mass_g',
      column: 'body_mass_g',
      kind: 'mean',
      interval: 'per_row',
      accuracy: 'each row has its own interval (lower, upper): ±400 to ±2,000 at 95%',
      mechanism: 'discrete_laplace',
      scale: '4',
      halfWidth: 2000,
      confidence: 0.95,
      cost: { epsilon: '0.5', delta: '0' }
    }
  ],
  caveats: [
    {
      rows: [1],
      column: 'mean_body_mass_g',
      kind: 'whole_range',
      text: 'the interval covers every value body_mass_g may take (2,500 to 6,500): this row says nothing'
    }
  ]
};

const MEDIAN: ReleaseResponse = {
  ...RELEASE,
  title: 'median_body_mass_g — penguins',
  columns: [
    { name: 'median_body_mass_g', role: 'estimate', type: 'number' },
    { name: 'lower', role: 'lower', type: 'number' },
    { name: 'upper', role: 'upper', type: 'number' }
  ],
  rows: [{ median_body_mass_g: 4020, lower: null, upper: null }],
  mechanisms: [
    {
      ...RELEASE.mechanisms[0],
      aggregation: 'median_body_mass_g',
      kind: 'median',
      interval: 'rank',
      halfWidth: 41,
      accuracy:
        "no interval in the unit of body_mass_g: the released value's rank is within ±41 rows of the median's, at 95%"
    }
  ]
};

type Layer = { mark: { type: string }; encoding: Record<string, unknown> };

describe('releases say what they know, and mark what they do not', () => {
  test('means are drawn as points with intervals; counts as bars with error bars', () => {
    const marks = (r: ReleaseResponse) =>
      (chartFor(r)!.layer as Layer[]).map(l => l.mark.type).sort();
    expect(marks(MEAN)).toEqual(['point', 'rule']);
    expect(marks(RELEASE)).toEqual(['bar', 'rule']);
    const point = (chartFor(MEAN)!.layer as Layer[]).find(l => l.mark.type === 'point')!;
    expect(point.encoding.y).toMatchObject({ scale: { zero: false } });
  });

  test('a row whose interval covers the whole range is drawn apart, with a legend', () => {
    const spec = chartFor(MEAN)!;
    const values = (spec.data as { values: Record<string, unknown>[] }).values;
    expect(values.map(v => v.status)).toEqual(['estimate', 'interval covers the whole range']);
    const rule = (spec.layer as Layer[]).find(l => l.mark.type === 'rule')!;
    expect(rule.encoding.strokeDash).toMatchObject({
      field: 'status',
      scale: { domain: ['estimate', 'interval covers the whole range'] },
      legend: { orient: 'bottom' }
    });
    expect(JSON.stringify(rule.encoding.opacity)).toContain("datum['status'] !== 'estimate'");
  });

  test('the table text marks the row and says why; the accuracy is the words of the server', () => {
    const text = new QueryResult(MEAN).toString();
    expect(text).toMatch(/Chinstrap +6500 ⚠/);
    expect(text).toContain('⚠ Chinstrap: the interval covers every value body_mass_g may take');
    expect(text).toContain('±400 to ±2,000 at 95%');
    expect(text).not.toContain('±2000 at 95%');
    expect(new QueryResult(MEAN).caveats).toHaveLength(1);
  });

  test('a caveat over many rows says its sentence once and names the first rows', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      species: `s${String(i).padStart(4, '0')}`,
      mean_body_mass_g: 4500,
      lower: 2500,
      upper: 6500
    }));
    const many: ReleaseResponse = {
      ...MEAN,
      rows,
      caveats: [{ ...MEAN.caveats![0], rows: rows.map((_, i) => i) }]
    };
    const notes = caveatNotes(many, String);
    expect(notes).toEqual([
      `⚠ s0000, s0001, s0002, s0003, s0004 and 2,995 more rows: ${MEAN.caveats![0].text}`
    ]);
    expect(caveatCells(many).size).toBe(3000);
    const text = new QueryResult(many).toString();
    expect(text.split('\n').filter(l => l.startsWith('⚠'))).toHaveLength(1);
    expect(text.match(/4500 ⚠/g)).toHaveLength(3000);
  });

  test('a median says in words why it has no interval, instead of "—" next to "±41"', () => {
    const text = new QueryResult(MEDIAN).toString();
    expect(text).toMatch(/4020 +— +—/);
    expect(text).toContain('no interval in the unit of body_mass_g');
    expect(text).not.toMatch(/±41 at 95%/);
  });

  test('the budget names its dataset once and reads as amounts', () => {
    const s = {
      dataset: 'penguins',
      accounting: 'pure' as const,
      initial: { epsilon: '10', delta: '0' },
      spent: { epsilon: '0.5', delta: '0' },
      remaining: { epsilon: '9.5', delta: '0' }
    };
    expect(budgetText(s)).toBe('penguins (pure DP): ε 0.5 spent of 10 · 9.5 left');
    const html = String(budgetBundle(s)['text/html']);
    expect(html.match(/penguins/g)).toHaveLength(1);
    const z = {
      ...s,
      dataset: 'flights',
      accounting: 'zcdp' as const,
      initial: { epsilon: '0', delta: '0', rho: '1' },
      spent: { epsilon: '0', delta: '0', rho: '0.25' },
      remaining: { epsilon: '0', delta: '0', rho: '0.75' }
    };
    expect(budgetText(z)).toBe('flights (zCDP): ρ 0.25 spent of 1 · 0.75 left');
  });
});

describe('displays in a kernel', () => {
  test('a budget and a result print readably, and JSON stays plain', () => {
    const s = displayableBudget({
      dataset: 'penguins',
      accounting: 'pure' as const,
      initial: { epsilon: '10', delta: '0' },
      spent: { epsilon: '0', delta: '0' },
      remaining: { epsilon: '10', delta: '0' }
    });
    expect(inspect(s)).toBe('penguins (pure DP): ε 0 spent of 10 · 10 left');
    expect(Object.keys(s)).toEqual(['dataset', 'accounting', 'initial', 'spent', 'remaining']);
    expect(JSON.parse(JSON.stringify(s)).dataset).toBe('penguins');
    expect(inspect(new QueryResult(RELEASE))).toBe(new QueryResult(RELEASE).toString());
  });

  test("a cell's last value: tables and results get their display, once per cell", () => {
    const t = aq.table({ species: ['Adelie'], n: [1] });
    const b = lastValueBundles(t) as Record<string, unknown>[];
    expect(b).toHaveLength(1);
    expect(String(b[0]['text/html'])).toContain('<table');
    expect(lastValueBundles({ plain: 'object' })).toBeNull();
    beginCell();
    const r = new QueryResult(RELEASE);
    markShown(r);
    expect(lastValueBundles(r)).toBe('shown');
    beginCell();
    const [card, chart] = lastValueBundles(r) as Record<string, unknown>[];
    expect(card[RESULT_MIME]).toBeDefined();
    expect(chart[VEGALITE_MIME]).toBeDefined();
  });

  test('an error prints as its code and advice, without stack frames or details', () => {
    const e = new LomasError('UNKNOWN_COLUMN', {
      column: 'weight',
      dataset: 'penguins',
      known: 'x'
    });
    e.stack = `/somewhere/kernel-lib/dist/query/builder.js:118\n  throw …\n\n${e.stack}`;
    expect(inspect(e)).toBe(
      'LomasError [UNKNOWN_COLUMN]: Column "weight" is not in dataset "penguins". Known columns: x.'
    );
  });
});

describe('a failed run says whether it was charged, in one line', () => {
  let server: Server;
  let url: string;
  const answers: Record<string, [number, unknown]> = {
    '/v1/queries': [
      403,
      { code: 'BUDGET_EXHAUSTED', message: 'This query costs ε = 50 …', details: {} }
    ]
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const [status, body] = answers[req.url ?? ''] ?? [404, {}];
      if (body === 'hang') return; // never answers: only an interrupt ends the request
      res.setHeader('Content-Type', 'application/json');
      res.writeHead(status).end(JSON.stringify(body));
    });
    await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(
    () =>
      new Promise<void>(ok => {
        server.closeAllConnections();
        server.close(() => ok());
      })
  );

  test('refused before the charge, charged then failed, or no answer', async () => {
    const runner = (u: string) =>
      new Runner(new HttpClient({ url: u, token: 't', display: false, timeoutMs: 5000 }));
    const refused = await failure(runner(url).run({}));
    expect(chargeOf(refused)).toBe('not charged');
    expect(refused.details.charged).toBe('not charged');
    answers['/v1/queries'] = [
      500,
      { code: 'INTERNAL', message: 'failed', details: { queryId: 'q-1' } }
    ];
    expect(chargeOf(await failure(runner(url).run({})))).toBe('charged');
    expect(chargeOf(await failure(runner('http://127.0.0.1:1').run({})))).toBe('unknown');
  });

  test('interrupted, and the server cannot say whether it charged: unknown, with the key to retry', async () => {
    answers['/v1/queries'] = [0, 'hang'];
    const runner = new Runner(new HttpClient({ url, token: 't', display: false, timeoutMs: 5000 }));
    const run = failure(runner.run({}, { idempotencyKey: 'interrupt-unknown-1' }));
    await new Promise(r => setTimeout(r, 100));
    interruptRequests();
    const err = await run;
    expect(err.code).toBe('CANCELLED');
    expect(chargeOf(err)).toBe('unknown');
    expect(err.message).toContain('.run({ idempotencyKey: "interrupt-unknown-1" })');
  });
});

test('printing or serializing a connection, a dataset or a client never shows the API key', () => {
  const http = new HttpClient({
    url: 'http://127.0.0.1:9',
    token: 'lomas_0123456789abcdef_SECRETSECRETSECRETSECRET',
    display: false,
    timeoutMs: 1
  });
  const lomas = new Lomas(http);
  const penguins = lomas.dataset('penguins');
  for (const v of [http, lomas, penguins, new Runner(http), { lomas, penguins }]) {
    expect(inspect(v, { depth: 10, showHidden: true })).not.toContain('SECRET');
    expect(JSON.stringify(v)).not.toContain('SECRET');
  }
  expect(inspect(lomas)).toBe('Lomas(http://127.0.0.1:9)');
  expect(inspect(penguins)).toBe('Dataset(penguins)');
});
