/**
 * The notebook client of synthetic tables: the request it sends (checked by the protocol's rules
 * before sending), the arquero table and display bundle of an answer, the side-by-side chart.
 * A fake HTTP server records what is sent; the real server is exercised in server/test.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import * as aq from 'arquero';
import {
  LomasError,
  RESULT_MIME,
  SyntheticReleaseSchema,
  type SyntheticRelease
} from '../src/protocol';
import { Dataset } from '../src/client/dataset';
import { HttpClient } from '../src/client/http';
import { Runner } from '../src/client/runner';
import { compareChart, SyntheticResult } from '../src/client/synthetic';

const RELEASE: SyntheticRelease = {
  version: 1,
  kind: 'release',
  dataset: 'penguins',
  queryId: 'q-1',
  title: 'synthetic table, 3 rows × 2 columns — penguins',
  rows: 3,
  columns: [
    { name: 'species', type: 'string' },
    { name: 'body_mass_g', type: 'integer' }
  ],
  data: { species: ['Adelie', 'Gentoo', 'Adelie'], body_mass_g: [3700, 5100, null] },
  cost: { epsilon: '1', delta: '0' },
  mechanisms: [
    {
      aggregation: 'one-way marginals',
      mechanism: 'discrete_laplace',
      scale: '6',
      halfWidth: 18,
      confidence: 0.95,
      cost: { epsilon: '0.333333333333334', delta: '0' }
    }
  ],
  model: {
    columns: [
      {
        name: 'species',
        type: 'string',
        cells: 3,
        nullable: false,
        categories: ['Adelie', 'Chinstrap', 'Gentoo']
      },
      { name: 'body_mass_g', type: 'integer', cells: 11, nullable: true, edges: [2500, 6501] }
    ],
    omitted: [],
    tree: [['species', 'body_mass_g']],
    rowsEstimate: 340
  },
  accuracy: {
    confidence: 0.95,
    marginals: [
      {
        columns: ['species'],
        cells: 3,
        mechanism: 'discrete_laplace',
        scale: '6',
        halfWidth: 18,
        expectedTv: 0.04
      }
    ],
    selection: { mechanism: 'permute_and_flip', scale: '12', rounds: 1, gap: 40 },
    note: 'a note'
  }
};

describe('a synthetic answer', () => {
  test('matches the protocol schema (the fixture is a real shape)', () => {
    expect(SyntheticReleaseSchema.safeParse(RELEASE).success).toBe(true);
  });

  test('is an arquero table with every row, plus its cost, model and accuracy', () => {
    const r = new SyntheticResult(RELEASE);
    expect(r.table.columnNames()).toEqual(['species', 'body_mass_g']);
    expect(r.table.numRows()).toBe(3);
    expect(r.table.array('body_mass_g')).toEqual([3700, 5100, null]);
    expect(r.cost).toEqual({ epsilon: '1', delta: '0' });
    expect(r.model.tree).toEqual([['species', 'body_mass_g']]);
    expect(r.queryId).toBe('q-1');
  });

  test('displays as a Lomas result (a preview), HTML and text that say how to fetch it again', () => {
    const b = new SyntheticResult(RELEASE).mimeBundle();
    expect(Object.keys(b).sort()).toEqual([RESULT_MIME, 'text/html', 'text/plain'].sort());
    const bundle = b[RESULT_MIME] as { columns: Array<{ role: string }>; rows: unknown[] };
    expect(bundle.columns.every(c => c.role === 'value')).toBe(true);
    expect(bundle.rows).toHaveLength(3);
    expect(b['text/plain']).toContain('syntheticTable("q-1")');
    expect(b['text/plain']).toContain('species–body_mass_g');
  });

  test('a side-by-side Vega-Lite chart with shared scales', () => {
    const t = new SyntheticResult(RELEASE).table;
    const spec = compareChart(
      [
        { title: 'synthetic', table: t },
        { title: 'dummy', table: aq.table({ species: ['Gentoo'], body_mass_g: [4000] }) }
      ],
      { x: 'body_mass_g', color: 'species' }
    );
    expect(spec.$schema).toMatch(/vega-lite\/v5/);
    const panels = spec.hconcat as Array<{
      encoding: Record<string, { type?: string; bin?: boolean }>;
    }>;
    expect(panels).toHaveLength(2);
    expect(panels[0].encoding.x).toMatchObject({ type: 'quantitative', bin: true });
    expect(panels[0].encoding.color).toMatchObject({ type: 'nominal' });
  });
});

describe('dataset.synthetic(...)', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ path: string; body: unknown; key?: string }> = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        seen.push({
          path: `${req.method} ${req.url}`,
          body: body ? JSON.parse(body) : undefined,
          key: req.headers['idempotency-key'] as string | undefined
        });
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(RELEASE));
      });
    });
    await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>(ok => server.close(() => ok())));

  const dataset = () => {
    const http = new HttpClient({ url, token: 't', display: false, timeoutMs: 5000 });
    return new Dataset('penguins', http, new Runner(http));
  };

  test('run() posts the request with an idempotency key; syntheticTable() fetches the archive', async () => {
    const r = await dataset()
      .synthetic({ rows: 3, epsilon: 1, columns: ['species', 'body_mass_g'] })
      .run();
    expect(r.table.numRows()).toBe(3);
    expect(seen[0]).toMatchObject({
      path: 'POST /v1/synthetic',
      body: {
        version: 1,
        dataset: 'penguins',
        rows: 3,
        budget: { epsilon: 1 },
        columns: ['species', 'body_mass_g']
      }
    });
    expect(seen[0].key).toMatch(/^[0-9a-f-]{36}$/);
    await dataset().syntheticTable('q-1');
    expect(seen[1].path).toBe('GET /v1/synthetic/q-1');
    await dataset().synthetic({ rows: 3, rho: '0.1' }).dummy();
    expect(seen[2]).toMatchObject({
      path: 'POST /v1/synthetic/dummy',
      body: { budget: { rho: '0.1' } }
    });
  });

  test('bad options are refused before anything is sent, naming the rule and the fix', () => {
    const before = seen.length;
    for (const opts of [
      { rows: 0, epsilon: 1 },
      { rows: 1_000_000, epsilon: 1 },
      { rows: 10 },
      { rows: 10, epsilon: 1, bins: 1 }
    ]) {
      let err: unknown;
      try {
        dataset().synthetic(opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LomasError);
      expect((err as LomasError).code).toBe('INVALID_REQUEST');
    }
    let err: unknown;
    try {
      dataset().synthetic({ rows: 100_000, epsilon: 1, columns: ['a', 'b', 'c', 'd', 'e', 'f'] });
    } catch (e) {
      err = e;
    }
    expect((err as LomasError).message).toMatch(
      /exceed the limit of 500000 cells.*at most 83333 rows/
    );
    expect(seen.length).toBe(before);
  });
});
