/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * Hostile input: well over 1,000 generated bad requests across the analyst and admin routes.
 * Every one must get a 4xx with a typed {code, message} body; the server stays up; no budget
 * moves (the ledger and the grants are byte-for-byte the same before and after).
 */
import { ERROR_CODES } from 'lomas-kernel/protocol';
import {
  call,
  countPlan,
  GRANT,
  KEYS,
  PENGUINS_METADATA,
  startHarness,
  type Harness
} from './harness';

interface Target {
  method: string;
  path: string;
  key: string;
  base: Record<string, unknown>;
  /** Fields that may be left out (so dropping them is not an error). */
  optional?: string[];
  /** An empty body is valid here. */
  emptyOk?: boolean;
}

const BAD_AMOUNTS: unknown[] = [
  -1,
  -0.0001,
  '-0.5',
  'NaN',
  'Infinity',
  '1e1000',
  '1.5e',
  '',
  ' 1',
  '0x10',
  '1/3',
  null,
  true,
  {},
  [],
  '1'.repeat(1200),
  'ε'
];
const RAW_BAD_AMOUNTS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-1e999',
  '--1',
  '+1',
  '.5',
  '01'
];
const WRONG_TYPES: unknown[] = [
  42,
  -3.5,
  true,
  null,
  'text',
  [],
  [1, 2],
  {},
  { nested: { deep: true } }
];
const LONG = 'x'.repeat(20_000);

function targets(): Target[] {
  const plan = countPlan('penguins', '0.1');
  const dataset = {
    name: 'hostile',
    connector: { kind: 'vega-datasets', name: 'penguins' },
    metadata: PENGUINS_METADATA,
    accounting: 'approx',
    cap: { epsilon: '3', delta: '0.001' }
  };
  return [
    {
      method: 'POST',
      path: '/admin/users',
      key: KEYS.admin,
      base: { name: 'mallory', role: 'analyst', active: true },
      optional: ['role', 'active']
    },
    { method: 'PATCH', path: '/admin/users/alice', key: KEYS.admin, base: { active: true } },
    {
      method: 'POST',
      path: '/admin/users/alice/keys',
      key: KEYS.admin,
      base: { label: 'x' },
      optional: ['label'],
      emptyOk: true
    },
    {
      method: 'PUT',
      path: '/admin/grants/penguins/alice',
      key: KEYS.admin,
      base: { ...GRANT, rho: '0' },
      optional: ['rho']
    },
    {
      method: 'POST',
      path: '/admin/grants/penguins/alice/raise',
      key: KEYS.admin,
      base: { epsilon: '0.5', delta: '0', rho: '0' },
      optional: ['rho']
    },
    {
      method: 'POST',
      path: '/admin/grants/penguins/alice/lower',
      key: KEYS.admin,
      base: { epsilon: '0.5', delta: '0', rho: '0' },
      optional: ['rho']
    },
    {
      method: 'POST',
      path: '/admin/datasets',
      key: KEYS.admin,
      base: dataset,
      optional: ['accounting', 'cap']
    },
    {
      method: 'PATCH',
      path: '/admin/datasets/penguins',
      key: KEYS.admin,
      base: { cap: { epsilon: '10', delta: '0.01' } }
    },
    { method: 'POST', path: '/v1/queries', key: KEYS.alice, base: plan },
    { method: 'POST', path: '/v1/queries/estimate', key: KEYS.alice, base: plan },
    { method: 'POST', path: '/v1/queries/dummy', key: KEYS.alice, base: plan }
  ];
}

interface BadRequest {
  label: string;
  method: string;
  path: string;
  key?: string;
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** The error code this request must get (when one is certain). */
  want?: string;
}

function setPath(obj: unknown, path: string[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(obj));
  let o = copy;
  for (const p of path.slice(0, -1)) o = o[p];
  o[path[path.length - 1]] = value;
  return copy;
}

/** Paths of every leaf and object in a body (e.g. ['budget', 'epsilon']). */
function paths(obj: unknown, prefix: string[] = []): string[][] {
  if (obj === null || typeof obj !== 'object') return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [k, v] of Object.entries(obj)) out.push(...paths(v, [...prefix, k]));
  return out;
}

/** The Idempotency-Key of the spend made before the hostile burst (reused with another plan). */
const SPENT_KEY = 'hostile-prespend-0001';

/**
 * Well-formed JSON that only the real domain can refuse: plans that do not fit the dataset's
 * public metadata, budgets above what is left, datasets the analyst may not see, admin changes
 * that would break an invariant (a grant below what is spent, a duplicate name).
 */
function semantic(): BadRequest[] {
  const out: BadRequest[] = [];
  const col = (name: string) => ({ kind: 'col', name });
  const lit = (value: unknown) => ({ kind: 'lit', value });
  const plan = (extra: Record<string, unknown>) => ({
    version: 1,
    dataset: 'penguins',
    steps: [],
    aggregations: [{ op: 'count' }],
    budget: { epsilon: '0.1' },
    ...extra
  });
  const invalid: Array<[string, Record<string, unknown>]> = [
    ['unknown column', plan({ aggregations: [{ op: 'mean', column: 'nope' }] })],
    ['mean of a string column', plan({ aggregations: [{ op: 'mean', column: 'species' }] })],
    ['sum of a string column', plan({ aggregations: [{ op: 'sum', column: 'island' }] })],
    [
      'quantile of a string column',
      plan({ aggregations: [{ op: 'quantile', column: 'species', q: 0.5 }] })
    ],
    [
      'histogram bins on a string column',
      plan({ aggregations: [{ op: 'histogram', column: 'species', bins: [0, 1, 2] }] })
    ],
    [
      'filter on an unknown column',
      plan({ steps: [{ op: 'filter', predicate: { kind: 'isnull', arg: col('nope') } }] })
    ],
    [
      'filter comparing a string with a number',
      plan({
        steps: [
          {
            op: 'filter',
            predicate: { kind: 'binary', op: '<', left: col('species'), right: lit(3) }
          }
        ]
      })
    ],
    [
      'filter that is not a boolean',
      plan({ steps: [{ op: 'filter', predicate: col('body_mass_g') }] })
    ],
    ['select of an unknown column', plan({ steps: [{ op: 'select', columns: ['nope'] }] })],
    ['dataset of another analyst', plan({ dataset: 'other' })],
    ['dataset that does not exist', plan({ dataset: 'nosuchdataset' })],
    ['dataset name with a path', plan({ dataset: '../penguins' })],
    ['zero epsilon', plan({ budget: { epsilon: '0' } })]
  ];
  for (const path of ['/v1/queries', '/v1/queries/estimate', '/v1/queries/dummy'])
    for (const [label, body] of invalid)
      out.push({ label: `POST ${path}: ${label}`, method: 'POST', path, key: KEYS.alice, body });
  // Over budget: refused by the ledger's atomic step (the grant is ε = 1, δ = 1e-5; 0.4 of ε is
  // spent before the burst). A δ beyond the whole grant is a privacy rule, refused before the
  // ledger is even asked.
  for (const [label, budget, mechanism, want] of [
    ['ε above the grant', { epsilon: '5' }, 'laplace', 'BUDGET_EXHAUSTED'],
    ['ε above what is left', { epsilon: '0.7' }, 'laplace', 'BUDGET_EXHAUSTED'],
    ['ε just above what is left', { epsilon: '0.6000000001' }, 'laplace', 'BUDGET_EXHAUSTED'],
    ['δ above the grant (Gaussian)', { epsilon: '0.01', delta: '0.5' }, 'gaussian', 'PRIVACY_RULE'],
    [
      'δ just above the grant (Gaussian)',
      { epsilon: '0.01', delta: '0.0000100001' },
      'gaussian',
      'PRIVACY_RULE'
    ]
  ] as const)
    out.push({
      label: `POST /v1/queries: ${label}`,
      method: 'POST',
      path: '/v1/queries',
      key: KEYS.alice,
      body: plan({ budget, aggregations: [{ op: 'count', mechanism }] }),
      want
    });
  // Idempotency: a used key with another request; malformed keys.
  out.push({
    label: 'POST /v1/queries: used Idempotency-Key, other plan',
    method: 'POST',
    path: '/v1/queries',
    key: KEYS.alice,
    body: plan({ budget: { epsilon: '0.01' } }),
    headers: { 'idempotency-key': SPENT_KEY },
    want: 'CONFLICT'
  });
  for (const k of ['short', 'x'.repeat(129), 'has space in it', 'semi;colon;key', '../../../etc'])
    out.push({
      label: `POST /v1/queries: Idempotency-Key ${JSON.stringify(k.slice(0, 20))}`,
      method: 'POST',
      path: '/v1/queries',
      key: KEYS.alice,
      body: plan({ budget: { epsilon: '0.01' } }),
      headers: { 'idempotency-key': k }
    });
  // Admin changes that would break an invariant.
  const admin = (label: string, method: string, path: string, body?: unknown): void => {
    out.push({ label: `${method} ${path}: ${label}`, method, path, key: KEYS.admin, body });
  };
  admin('grant below what is spent', 'PUT', '/admin/grants/penguins/alice', {
    epsilon: '0.1',
    delta: '0.00001'
  });
  admin('lower below what is spent', 'POST', '/admin/grants/penguins/alice/lower', {
    epsilon: '0.7',
    delta: '0'
  });
  admin('lower below zero', 'POST', '/admin/grants/penguins/alice/lower', {
    epsilon: '2',
    delta: '0'
  });
  admin('grant for an unknown user', 'PUT', '/admin/grants/penguins/nobody', GRANT);
  admin('grant on an unknown dataset', 'PUT', '/admin/grants/nosuchdataset/alice', GRANT);
  admin('lower a grant that does not exist', 'POST', '/admin/grants/other/alice/lower', {
    epsilon: '0.1',
    delta: '0'
  });
  admin('duplicate user', 'POST', '/admin/users', { name: 'alice', role: 'analyst' });
  admin('duplicate dataset', 'POST', '/admin/datasets', {
    name: 'penguins',
    connector: { kind: 'file', path: '/etc/passwd', format: 'csv' },
    metadata: PENGUINS_METADATA
  });
  admin('cap below what is spent', 'PATCH', '/admin/datasets/penguins', {
    cap: { epsilon: '0.1', delta: '0.001' }
  });
  admin('keys of an unknown user', 'POST', '/admin/users/nobody/keys', { label: 'x' });
  admin('revoke an unknown key', 'DELETE', '/admin/keys/0123456789abcdef');
  return out;
}

function generate(): BadRequest[] {
  const out: BadRequest[] = semantic();
  for (const t of targets()) {
    const at = (label: string, extra: Partial<BadRequest>): void => {
      out.push({
        label: `${t.method} ${t.path}: ${label}`,
        method: t.method,
        path: t.path,
        key: t.key,
        ...extra
      });
    };
    // Wrong types at every position (top-level fields and nested ones).
    for (const p of paths(t.base)) {
      const isOptionalTop = p.length === 1 && t.optional?.includes(p[0]);
      for (const w of WRONG_TYPES) {
        const original = p.reduce<any>((o, k) => o[k], t.base);
        if (JSON.stringify(original) === JSON.stringify(w)) continue;
        // Same JSON type is not a wrong type (a name 'text' or a count 42 may be valid).
        const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
        if (kind(original) === kind(w)) continue;
        const last = p[p.length - 1];
        const isAmount = ['epsilon', 'delta', 'rho'].includes(last);
        if (isAmount && typeof w === 'number' && w >= 0) continue;
        if (t.path.startsWith('/v1') && p[0] === 'steps' && Array.isArray(w) && w.length === 0)
          continue;
        if (w === null && p[p.length - 1] === 'cap') continue; // cap: null means "no cap"
        at(`${p.join('.')} = ${JSON.stringify(w)}`, { body: setPath(t.base, p, w) });
      }
      // Missing fields.
      if (
        !isOptionalTop &&
        !(
          p.length > 1 &&
          [
            'rho',
            'delta',
            'nullable',
            'rows',
            'lower',
            'upper',
            'categories',
            'max_ids',
            'row_privacy'
          ].includes(p[p.length - 1])
        )
      ) {
        const copy = JSON.parse(JSON.stringify(t.base));
        let o = copy;
        for (const k of p.slice(0, -1)) o = o[k];
        if (Array.isArray(o)) continue;
        if (p[0] === 'metadata' && p[1] === 'columns' && p.length === 3) continue; // other columns remain
        delete o[p[p.length - 1]];
        if (t.path === '/admin/datasets/penguins' && Object.keys(copy).length > 0) continue;
        at(`missing ${p.join('.')}`, { body: copy });
      }
    }
    // Bad budgets wherever an amount lives.
    for (const p of paths(t.base).filter(p =>
      ['epsilon', 'delta', 'rho'].includes(p[p.length - 1])
    )) {
      for (const a of BAD_AMOUNTS)
        at(`${p.join('.')} = ${JSON.stringify(a)}`, { body: setPath(t.base, p, a) });
      for (const raw of RAW_BAD_AMOUNTS) {
        const marker = '"__AMOUNT__"';
        const text = JSON.stringify(setPath(t.base, p, '__AMOUNT__')).replace(marker, raw);
        at(`${p.join('.')} = ${raw} (raw)`, { raw: text, contentType: 'application/json' });
      }
    }
    // Unknown fields, prototype keys.
    for (const extra of [
      'admin',
      'role_override',
      'isAdmin',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty'
    ])
      at(`unknown field ${extra}`, {
        body: { ...t.base, [extra]: { prototype: { polluted: true } } }
      });
    for (const p of paths(t.base).filter(p => {
      const v = p.reduce<any>((o, k) => o[k], t.base);
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    })) {
      const body = JSON.stringify(setPath(t.base, p, '__X__')).replace(
        '"__X__"',
        JSON.stringify(p.reduce<any>((o, k) => o[k], t.base)).replace(
          /^\{/,
          '{"__proto__":{"polluted":true},'
        )
      );
      at(`__proto__ inside ${p.join('.')}`, { raw: body, contentType: 'application/json' });
    }
    at('__proto__ at top level', {
      raw: JSON.stringify(t.base).replace(/^\{/, '{"__proto__":{"isAdmin":true},'),
      contentType: 'application/json'
    });
    at('constructor.prototype at top level', {
      raw: JSON.stringify(t.base).replace(/^\{/, '{"constructor":{"prototype":{"isAdmin":true}},'),
      contentType: 'application/json'
    });
    // Very long strings in every string position.
    for (const p of paths(t.base).filter(
      p => typeof p.reduce<any>((o, k) => o[k], t.base) === 'string'
    )) {
      if (t.path.endsWith('/keys') && p[0] === 'label') {
        at(`very long ${p.join('.')}`, { body: setPath(t.base, p, 'x'.repeat(101)) });
        continue;
      }
      at(`very long ${p.join('.')}`, { body: setPath(t.base, p, LONG) });
      at(`control chars in ${p.join('.')}`, { body: setPath(t.base, p, 'a\u0000b\u001b[31m') });
    }
    // Huge bodies.
    at('huge body (200 kB)', { body: { ...t.base, pad: 'y'.repeat(200_000) } });
    at('huge body (2 MB)', { raw: Buffer.alloc(2_000_000, 0x20), contentType: 'application/json' });
    at('huge array', { raw: '[' + '1,'.repeat(60_000) + '1]', contentType: 'application/json' });
    // Invalid UTF-8, malformed JSON, wrong JSON shapes.
    const json = JSON.stringify(t.base);
    at('invalid UTF-8 (0xff 0xfe)', {
      raw: Buffer.concat([
        Buffer.from(json.slice(0, -1) + ',"z":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}')
      ]),
      contentType: 'application/json'
    });
    at('invalid UTF-8 (overlong /)', {
      raw: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      contentType: 'application/json'
    });
    at('invalid UTF-8 (lone surrogate bytes)', {
      raw: Buffer.concat([
        Buffer.from(json.slice(0, -1) + ',"z":"'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}')
      ]),
      contentType: 'application/json'
    });
    at('invalid UTF-8 (truncated sequence)', {
      raw: Buffer.concat([Buffer.from(json.slice(0, -1)), Buffer.from([0xe2, 0x82])]),
      contentType: 'application/json'
    });
    for (const raw of [
      '{',
      '{"a":}',
      "{'a':1}",
      '{"a":1,}',
      json + 'x',
      json.slice(0, json.length / 2),
      'null',
      '1',
      '"str"',
      'true',
      '[]',
      '[' + json + ']',
      '{"a":1}{"b":2}',
      '\u0000',
      '{"a":"\\ud800"}'
    ])
      at(`malformed/shape ${JSON.stringify(raw.slice(0, 20))}`, {
        raw,
        contentType: 'application/json'
      });
    at('deep nesting (5,000 levels)', {
      raw: '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
      contentType: 'application/json'
    });
    at('deep arrays (50,000 levels)', {
      raw: '['.repeat(50_000) + ']'.repeat(50_000),
      contentType: 'application/json'
    });
    if (!t.emptyOk) at('empty body', { raw: '', contentType: 'application/json' });
    // Wrong content types.
    for (const ct of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'image/png',
      'application/javascript'
    ])
      at(`content-type ${ct}`, { raw: json, contentType: ct });
    at('no content-type', { raw: json });
    at('gzip encoding that is not gzip', {
      raw: json,
      contentType: 'application/json',
      headers: { 'content-encoding': 'gzip' }
    });
    at('unknown encoding', {
      raw: json,
      contentType: 'application/json',
      headers: { 'content-encoding': 'br-zz' }
    });
  }
  // Bad path and query parameters.
  const gets: Array<[string, string]> = [];
  for (const bad of [
    '..%2F..%2Fetc',
    '%00',
    '%ff%fe',
    'a'.repeat(300),
    '%E2%80%AE',
    '-leading',
    '.hidden',
    'sp%20ace',
    '%7B%7D',
    'a%2Fb'
  ])
    gets.push(
      ['/admin/users/' + bad, KEYS.admin],
      ['/admin/datasets/' + bad, KEYS.admin],
      ['/admin/grants/' + bad + '/alice', KEYS.admin],
      ['/admin/users/' + bad + '/keys', KEYS.admin],
      ['/admin/archive/' + bad, KEYS.admin]
    );
  for (const q of [
    'limit=0',
    'limit=-1',
    'limit=abc',
    'limit=1e3',
    'limit=99999999999',
    'limit=1.5',
    'afterSeq=-1',
    'afterSeq=NaN',
    'limit=1&limit=2',
    'limit[]=1',
    'dataset=%00',
    'user=' + 'a'.repeat(200),
    'unknown=1',
    '__proto__=1',
    'constructor=1',
    'dataset[__proto__]=x'
  ])
    gets.push(['/admin/ledger?' + q, KEYS.admin], ['/admin/archive?' + q, KEYS.admin]);
  for (const q of ['unknown=1', 'dataset=%00', 'user[]=x', 'dataset=' + 'x'.repeat(300)])
    gets.push(['/admin/grants?' + q, KEYS.admin], ['/admin/audit?' + q, KEYS.admin]);
  for (const q of [
    'rows=0',
    'rows=-5',
    'rows=abc',
    'rows=100001',
    'seed=-1',
    'seed=1.5',
    'rows=1e3',
    'seed=99999999999'
  ])
    gets.push(['/v1/datasets/penguins/dummy?' + q, KEYS.alice]);
  for (const q of ['limit=0', 'limit=abc', 'limit=1001', 'limit=-1'])
    gets.push(['/v1/queries?' + q, KEYS.alice]);
  for (const [path, key] of gets)
    out.push({ label: `GET ${path.slice(0, 80)}`, method: 'GET', path, key });
  for (const bad of [
    'lomas_',
    'lomas_zz_zz',
    'Bearer',
    '../../',
    'x'.repeat(10_000),
    KEYS.alice + '\u0000'.replace('\u0000', ''),
    'lomas_00000000000000b1_' + 'a'.repeat(101)
  ])
    out.push({
      label: `bad key ${bad.slice(0, 20)}`,
      method: 'POST',
      path: '/v1/queries',
      key: bad === KEYS.alice ? bad + 'x' : bad,
      body: countPlan('penguins')
    });
  return out;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ bodyLimit: '64kb' });
});
afterAll(() => h.close());

/** The same, as the admin and the analyst see it over HTTP. */
async function viaApi() {
  const ledger = await call(h, 'GET', '/admin/ledger?limit=1000', { key: KEYS.admin });
  const grants = await call(h, 'GET', '/admin/grants', { key: KEYS.admin });
  const budgets = await call(h, 'GET', '/v1/me/budgets', { key: KEYS.alice });
  expect([ledger.status, grants.status, budgets.status]).toEqual([200, 200, 200]);
  return { ledger: ledger.body, grants: grants.body, budgets: budgets.body };
}

async function snapshot() {
  return JSON.stringify({
    ledger: await h.store.ledgerEntries({}),
    grants: await h.store.listGrants({}),
    datasets: (await h.store.listDatasets()).map(d => [d.name, d.version, d.cap])
  });
}

test('every generated bad request gets a typed 4xx; the server stays up; no budget moves', async () => {
  const requests = generate();
  expect(requests.length).toBeGreaterThanOrEqual(1000);
  // A spend first, so that "spent" is not trivially zero.
  expect(
    (await call(h, 'POST', '/v1/queries', { key: KEYS.alice, body: countPlan('penguins', '0.2') }))
      .status
  ).toBe(200);
  expect(
    (
      await call(h, 'POST', '/v1/queries', {
        key: KEYS.alice,
        body: countPlan('penguins', '0.2'),
        headers: { 'idempotency-key': SPENT_KEY }
      })
    ).status
  ).toBe(200);
  const before = await snapshot();
  const beforeApi = await viaApi();
  const failures: string[] = [];
  const codes = new Map<string, number>();
  let next = 0;
  async function worker() {
    while (next < requests.length) {
      const r = requests[next++];
      let res;
      try {
        res = await call(h, r.method, r.path, {
          key: r.key,
          body: r.body,
          raw: r.raw,
          contentType: r.contentType,
          headers: r.headers
        });
      } catch (e) {
        failures.push(`${r.label}: transport error ${(e as Error).message}`);
        continue;
      }
      const okShape =
        res.status >= 400 &&
        res.status < 500 &&
        res.body &&
        typeof res.body.message === 'string' &&
        Object.prototype.hasOwnProperty.call(ERROR_CODES, res.body.code) &&
        ERROR_CODES[res.body.code as keyof typeof ERROR_CODES] === res.status &&
        !/at .*\.(ts|js):\d+/.test(res.text) &&
        (r.want === undefined || res.body.code === r.want);
      if (!okShape) failures.push(`${r.label}: ${res.status} ${res.text.slice(0, 200)}`);
      else codes.set(res.body.code, (codes.get(res.body.code) ?? 0) + 1);
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker));
  expect(failures).toEqual([]);
  expect((await call(h, 'GET', '/health')).body).toEqual({ status: 'ok' });
  expect((await call(h, 'GET', '/ready')).body).toEqual({ status: 'ok' });
  expect(await snapshot()).toBe(before);
  expect(await viaApi()).toEqual(beforeApi);
  expect((await call(h, 'GET', '/admin/audit', { key: KEYS.admin })).body.ok).toBe(true);
  // Nothing leaked into Object.prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  // The mix of answers is what the generator aimed at.
  for (const c of [
    'INVALID_REQUEST',
    'INVALID_PLAN',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'INVALID_PARAMETER',
    'UNAUTHENTICATED',
    'DATASET_NOT_FOUND',
    'BUDGET_EXHAUSTED',
    'CONFLICT',
    'NOT_FOUND'
  ])
    expect(codes.get(c) ?? 0).toBeGreaterThan(0);
  console.log(`hostile requests: ${requests.length}`, Object.fromEntries(codes));
}, 120_000);
