/**
 * The front end's pure parts and its model, without a browser: typed request errors with advice,
 * the model's state and signals (with a fake Jupyter server), the status bar text, query
 * templates built from metadata, and the admin panel's spending series.
 */
import type { ResultBundle } from 'lomas-kernel/protocol';
import {
  amountNumber,
  spendingSeries,
  spendingSpec,
  totals,
  type SpendEntry
} from '../src/admin/spending';
import { LomasModel, REFRESH_DELAY_MS } from '../src/model';
import { errorOf, LomasRequestError, NO_EXTENSION_MESSAGE, type Request } from '../src/request';
import { statusText } from '../src/status';
import { queryTemplate, variableName } from '../src/template';
import { SAMPLE_BUNDLE } from '../ui-tests/fixtures/bundle';

describe('request errors say what to do', () => {
  test.each<[string, number, unknown, string, RegExp]>([
    ['no server extension', 404, undefined, 'no-extension', /pip install jupyterlab_lomas/],
    ['Jupyter refused the request', 403, '<html>', 'forbidden', /reload the page/],
    [
      'not signed in (said by the Jupyter server)',
      401,
      {
        code: 'UNAUTHENTICATED',
        message: 'You are not signed in.',
        details: { via: 'jupyterlab_lomas' }
      },
      'signed-out',
      /not signed in/
    ],
    [
      'a key the Lomas server refused',
      401,
      { code: 'UNAUTHENTICATED', message: 'No valid API key.' },
      'refused',
      /refused your key: No valid API key\. Run "Lomas: Sign in"/
    ],
    [
      'not an admin',
      403,
      { code: 'FORBIDDEN', message: 'needs the admin role' },
      'forbidden',
      /admin role/
    ],
    [
      'Lomas down',
      503,
      { code: 'UNAVAILABLE', message: 'Could not reach' },
      'unreachable',
      /reach/
    ],
    [
      'a refused amount',
      400,
      { code: 'INVALID_PARAMETER', message: 'delta must be below 1' },
      'invalid',
      /delta/
    ],
    ['a server failure', 500, { code: 'INTERNAL', message: 'failed' }, 'server', /failed/],
    [
      "Jupyter's own JSON error (no Lomas error body)",
      500,
      { message: 'Unhandled error', reason: null },
      'server',
      /^JupyterLab's server answered HTTP 500: Unhandled error$/
    ],
    [
      'a code outside the closed set is no Lomas error',
      400,
      { code: 'TEAPOT', message: 'short and stout' },
      'server',
      /^JupyterLab's server answered HTTP 400: short and stout$/
    ]
  ])('%s', (_name, status, body, kind, message) => {
    const err = errorOf(status, body);
    expect(err).toBeInstanceOf(LomasRequestError);
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
  });

  test('the missing server extension names the package to install', () => {
    expect(NO_EXTENSION_MESSAGE).toContain('jupyter server extension list');
  });
});

/** A fake Jupyter server: answers by path; records calls. */
function fakeServer(answers: Record<string, () => unknown>): { request: Request; calls: string[] } {
  const calls: string[] = [];
  const request: Request = async <T>(path: string, init?: RequestInit): Promise<T> => {
    calls.push(`${init?.method ?? 'GET'} ${path}`);
    const answer = answers[`${init?.method ?? 'GET'} ${path}`] ?? answers[path];
    if (!answer) throw errorOf(404, undefined);
    return answer() as T;
  };
  return { request, calls };
}

const SIGNED_IN = {
  status: 'signed-in',
  url: 'http://lomas:1',
  user: 'alice',
  role: 'analyst',
  source: 'file',
  configFile: '/x/config.json'
};

describe('the model', () => {
  afterEach(() => jest.useRealTimers());

  test('signed in: loads budgets and history and tells its listeners', async () => {
    const { request } = fakeServer({
      connection: () => SIGNED_IN,
      'api/v1/me/budgets': () => [SAMPLE_BUNDLE.budget],
      'api/v1/queries?limit=20': () => []
    });
    const model = new LomasModel(request);
    const seen: string[] = [];
    model.connectionChanged.connect((_m, c) => seen.push(`connection ${c.status}`));
    model.budgetsChanged.connect(() => seen.push(`budgets ${model.budgets.kind}`));
    await model.refreshConnection();
    await new Promise(r => setTimeout(r, 0));
    await model.refresh();
    expect(model.connection).toMatchObject({ status: 'signed-in', user: 'alice' });
    expect(model.isAdmin).toBe(false);
    expect(model.budgets).toMatchObject({ kind: 'loaded', value: [SAMPLE_BUNDLE.budget] });
    expect(model.history).toMatchObject({ kind: 'loaded', value: [] });
    expect(seen[0]).toBe('connection signed-in');
    expect(seen).toContain('budgets loaded');
  });

  test('without the server extension the state says so, with the fix', async () => {
    const model = new LomasModel(fakeServer({}).request);
    const c = await model.refreshConnection();
    expect(c.status).toBe('unavailable');
    expect(c.problem).toContain('pip install jupyterlab_lomas');
    expect(model.budgets.kind).toBe('idle');
  });

  test('a refused sign-in throws and leaves the connection as it was', async () => {
    const { request } = fakeServer({
      connection: () => ({ status: 'signed-out', url: null, source: 'file' }),
      'PUT connection': () => {
        throw errorOf(401, {
          code: 'UNAUTHENTICATED',
          message: 'The Lomas server at http://lomas:1 refused this API key',
          details: { via: 'jupyterlab_lomas' }
        });
      }
    });
    const model = new LomasModel(request);
    await model.refreshConnection();
    await expect(model.signIn('http://lomas:1', 'lomas_bad_key_000')).rejects.toThrow(
      'refused this API key'
    );
    expect(model.connection.status).toBe('signed-out');
  });

  test('a drawn release sets the dataset last queried, then a refresh updates its budget', async () => {
    jest.useFakeTimers();
    const fresh = { ...SAMPLE_BUNDLE.budget!, remaining: { epsilon: '8', delta: '0' } };
    const { request, calls } = fakeServer({
      connection: () => SIGNED_IN,
      'api/v1/me/budgets': () => [fresh],
      'api/v1/queries?limit=20': () => []
    });
    const model = new LomasModel(request);
    await model.refreshConnection();
    const last: unknown[] = [];
    model.lastQueriedChanged.connect((_m, l) => last.push(l));
    const bundle = SAMPLE_BUNDLE as ResultBundle;
    model.releaseDrawn(bundle);
    model.releaseDrawn(bundle);
    expect(model.lastQueried).toEqual({ dataset: 'penguins', budget: SAMPLE_BUNDLE.budget });
    const before = calls.filter(c => c.includes('budgets')).length;
    jest.advanceTimersByTime(REFRESH_DELAY_MS);
    jest.useRealTimers();
    await new Promise(r => setTimeout(r, 10));
    // Two releases, one refresh.
    expect(calls.filter(c => c.includes('budgets')).length).toBe(before + 1);
    expect(model.lastQueried?.budget?.remaining.epsilon).toBe('8');
    expect(statusText(model).text).toBe('penguins: ε 8 of 10 left');
    // A dummy run is no release: nothing changes.
    model.releaseDrawn({ ...bundle, kind: 'dummy', dataset: 'other' });
    expect(model.lastQueried?.dataset).toBe('penguins');
  });
});

describe('the status bar item', () => {
  const base = { lastQueried: undefined };
  test('says what to do when not signed in, and the budget left after a query', () => {
    expect(statusText({ ...base, connection: { status: 'signed-out', url: null } }).text).toBe(
      'Lomas: sign in'
    );
    expect(
      statusText({ ...base, connection: { status: 'unreachable', url: 'u', problem: 'down' } })
    ).toEqual({ text: 'Lomas: not connected', title: 'down' });
    expect(
      statusText({
        connection: { status: 'signed-in', url: 'u', user: 'a' },
        lastQueried: { dataset: 'penguins', budget: SAMPLE_BUNDLE.budget }
      }).text
    ).toBe('penguins: ε 9.5 of 10 left');
  });
});

describe('query templates from public metadata', () => {
  const penguins = {
    name: 'penguins',
    accounting: 'pure',
    metadata: {
      max_ids: 1,
      columns: {
        species: { type: 'string', categories: ['Adelie', 'Chinstrap', 'Gentoo'] },
        island: { type: 'string', categories: ['Biscoe', 'Dream', 'Torgersen'] },
        body_mass_g: { type: 'float', lower: 2700, upper: 6300 },
        note: { type: 'string' }
      }
    }
  };

  test('groups by a public category and takes the mean of a bounded column, estimate first', () => {
    const t = queryTemplate('penguins', penguins);
    expect(t).toContain('import { connect } from "lomas-kernel";');
    expect(t).toContain('const penguins = lomas.dataset("penguins");');
    expect(t).toContain('  .groupby("species")\n  .mean("body_mass_g", { epsilon: 0.5 });');
    expect(t).toContain('await q.estimate();');
    expect(t).toContain('// const r = await q.run();');
    expect(t).toContain('species (string: Adelie, Chinstrap, Gentoo)');
    expect(t).toContain('body_mass_g (float 2700–6300)');
  });

  test('zCDP datasets are budgeted in ρ; no bounded column means a count', () => {
    const t = queryTemplate('flights-3m', {
      name: 'flights-3m',
      accounting: 'zcdp',
      metadata: { columns: { origin: { type: 'string' } } }
    });
    expect(t).toContain('const flights_3m = lomas.dataset("flights-3m");');
    expect(t).toContain('  .count({ rho: 0.01 });');
    expect(t).not.toContain('groupby');
  });

  test('a malformed metadata answer is refused with the field, not templated half-read', () => {
    expect(() => queryTemplate('penguins', { ...penguins, accounting: 'fuzzy' })).toThrow(
      /^The server answered, but dataset\.accounting: /
    );
  });

  test('variable names are valid identifiers that do not shadow the template', () => {
    expect(variableName('2024.sales')).toBe('ds_2024_sales');
    expect(variableName('class')).toBe('classData');
    expect(variableName('q')).toBe('qData');
  });
});

describe('spending over time', () => {
  const entry = (
    dataset: string,
    user: string,
    at: string,
    cost: Partial<SpendEntry['cost']>,
    kind: SpendEntry['kind'] = 'charge'
  ): SpendEntry => ({
    dataset,
    seq: 1,
    user,
    kind,
    at,
    cost: { epsilon: '0/1', delta: '0/1', rho: '0/1', ...cost }
  });
  const ledger = [
    entry('penguins', 'admin', '2026-11-01T09:00:00Z', {}, 'grant'),
    entry('penguins', 'alice', '2026-11-01T10:00:00Z', { epsilon: '1/2' }),
    entry('flights', 'bob', '2026-11-01T10:30:00Z', { rho: '1/100' }),
    entry('penguins', 'bob', '2026-11-01T11:00:00Z', { epsilon: '1/4' }),
    entry('penguins', 'alice', '2026-11-01T12:00:00Z', { epsilon: '1' })
  ];
  const accounting = (d: string) => (d === 'flights' ? 'zcdp' : 'pure');

  test('cumulative per dataset, each in its own measure; grants are not spending', () => {
    const points = spendingSeries(ledger, accounting, 'dataset');
    expect(points.map(p => [p.series, p.spent])).toEqual([
      ['penguins (ε)', 0.5],
      ['flights (ρ)', 0.01],
      ['penguins (ε)', 0.75],
      ['penguins (ε)', 1.75]
    ]);
    expect(totals(points)).toEqual([
      { series: 'penguins (ε)', spent: 1.75 },
      { series: 'flights (ρ)', spent: 0.01 }
    ]);
  });

  test('per analyst and dataset, drawn as step lines over time', () => {
    const points = spendingSeries(ledger, accounting, 'analyst');
    expect(totals(points).map(t => t.series)).toEqual([
      'alice · penguins (ε)',
      'bob · penguins (ε)',
      'bob · flights (ρ)'
    ]);
    const spec = spendingSpec(points, 'x');
    expect(spec.$schema).toMatch(/vega-lite\/v5/);
    expect((spec.encoding as { x: { type: string } }).x.type).toBe('temporal');
  });

  test('ledger amounts are exact fractions, read as numbers for drawing only', () => {
    expect(amountNumber('1/3')).toBeCloseTo(0.3333);
    expect(amountNumber('0.25')).toBe(0.25);
    expect(amountNumber(undefined)).toBe(0);
  });
});
