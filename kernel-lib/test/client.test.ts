import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import { LomasError, RESULT_MIME, type ReleaseResponse } from '../src/protocol';
import { resolveConfig } from '../src/client/config';
import { HttpClient } from '../src/client/http';
import { QueryResult } from '../src/client/result';
import { bundleOf } from '../src/client/show';
import { chartFor } from '../src/client/chart';

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
