import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { EXIT, parseArgs, runCli } from '../../src/cli/admin';
import { fractionText } from '../../src/cli/amounts';
import { call, KEYS, PENGUINS_METADATA, startHarness, type Harness } from '../http/harness';

let h: Harness;
const dir = mkdtempSync(join(tmpdir(), 'lomas-cli-'));
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: s => (out += s),
    stderr: s => (err += s),
    env: { LOMAS_URL: h.url, LOMAS_ADMIN_KEY: KEYS.admin, ...env }
  });
  return { code, out, err };
}

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, name.endsWith('.json') ? JSON.stringify(content) : YAML.stringify(content));
  return p;
}

test('argument parsing', () => {
  expect(parseArgs(['grants', 'set', 'd', 'u', '--epsilon', '1', '--delta=0', '--json'])).toEqual({
    positional: ['grants', 'set', 'd', 'u'],
    flags: new Map<string, string | true>([
      ['epsilon', '1'],
      ['delta', '0'],
      ['json', true]
    ])
  });
  expect(() => parseArgs(['--epsilon'])).toThrow(/needs a value/);
});

test('users, keys, grants, datasets, ledger, archive and audit through the CLI', async () => {
  const created = await cli(['users', 'create', 'ivy', '--label', 'notebook', '--json']);
  expect(created.code).toBe(EXIT.OK);
  const { key, keyId } = JSON.parse(created.out);
  expect(created.err).toMatch(/shown once/);
  expect((await call(h, 'GET', '/v1/me', { key })).body.user).toBe('ivy');

  expect((await cli(['users', 'list'])).out).toMatch(/name: ivy/);
  expect((await cli(['keys', 'list', 'ivy', '--json'])).out).toContain(keyId);

  const ds = file('ds.yaml', {
    name: 'cli-ds',
    connector: { kind: 'vega-datasets', name: 'penguins' },
    metadata: PENGUINS_METADATA,
    cap: { epsilon: 5, delta: '0.001' }
  });
  expect((await cli(['datasets', 'create', ds])).code).toBe(EXIT.OK);
  const upd = file('upd.json', { description: 'from the CLI' });
  expect(
    JSON.parse((await cli(['datasets', 'update', 'cli-ds', upd, '--json'])).out).description
  ).toBe('from the CLI');

  expect(
    (await cli(['grants', 'set', 'cli-ds', 'ivy', '--epsilon', '1', '--delta', '0'])).code
  ).toBe(EXIT.OK);
  expect(
    JSON.parse(
      (
        await cli([
          'grants',
          'raise',
          'cli-ds',
          'ivy',
          '--epsilon',
          '0.5',
          '--delta',
          '0',
          '--json'
        ])
      ).out
    ).budget.epsilon
  ).toBe('1.5');
  const lowered = await cli(['grants', 'lower', 'cli-ds', 'ivy', '--epsilon', '9', '--delta', '0']);
  expect(lowered.code).toBe(EXIT.ERROR);
  expect(lowered.err).toMatch(/INVALID_PARAMETER \(400\)/);
  expect((await cli(['grants', 'list', '--user', 'ivy', '--json'])).out).toContain('cli-ds');

  expect((await cli(['ledger', '--dataset', 'cli-ds', '--limit', '10', '--json'])).out).toContain(
    '"kind": "grant"'
  );
  expect((await cli(['archive', '--limit', '5'])).code).toBe(EXIT.OK);
  const audit = await cli(['audit']);
  expect(audit.code).toBe(EXIT.OK);
  expect(audit.out).toMatch(/^OK: the hash chain verifies/);

  expect((await cli(['users', 'deactivate', 'ivy'])).code).toBe(EXIT.OK);
  expect((await call(h, 'GET', '/v1/me', { key })).status).toBe(401);
  expect((await cli(['users', 'reactivate', 'ivy'])).code).toBe(EXIT.OK);
  expect((await cli(['keys', 'revoke', keyId])).code).toBe(EXIT.OK);
  expect((await call(h, 'GET', '/v1/me', { key })).status).toBe(401);
  expect((await cli(['datasets', 'remove', 'cli-ds'])).code).toBe(EXIT.OK);
  expect((await cli(['datasets', 'show', 'cli-ds'])).err).toMatch(/DATASET_NOT_FOUND \(404\)/);
});

test('load is idempotent, prints issued keys once, and dump gives it back without secrets', async () => {
  const config = {
    users: [{ name: 'jack', role: 'analyst' }, { name: 'kim' }, { name: 'alice', active: true }],
    datasets: [
      {
        name: 'seeded',
        description: 'seeded by load',
        connector: { kind: 'vega-datasets', name: 'penguins' },
        metadata: PENGUINS_METADATA,
        accounting: 'approx',
        cap: { epsilon: 10, delta: 0.001 }
      }
    ],
    grants: [
      { user: 'jack', dataset: 'seeded', budget: { epsilon: 1, delta: 1e-5 } },
      { user: 'kim', dataset: 'seeded', budget: { epsilon: '0.5', delta: '0' } }
    ]
  };
  const p = file('config.yaml', config);
  const dry = await cli(['load', p, '--dry-run']);
  expect(dry.out).toMatch(/would create user jack/);
  expect((await call(h, 'GET', '/admin/users/jack', { key: KEYS.admin })).status).toBe(404);

  const first = await cli(['load', p]);
  expect(first.code).toBe(EXIT.OK);
  expect(first.out).toMatch(/create user jack/);
  expect(first.out).toMatch(/register dataset seeded/);
  expect(first.out).toMatch(/set grant of jack on seeded/);
  const keys = [...first.out.matchAll(/key for (\w+) \(shown once\): (\S+)/g)];
  expect(keys.map(k => k[1])).toEqual(['jack', 'kim']);
  expect((await call(h, 'GET', '/v1/me', { key: keys[0][2] })).body.user).toBe('jack');
  const ledgerAfterFirst = await h.store.ledgerEntries({ dataset: 'seeded' });
  const versionAfterFirst = (await h.store.getDataset('seeded'))!.version;

  const second = await cli(['load', p]);
  expect(second.out).toBe('Nothing to change: the server already matches the file.\n');
  expect(await h.store.ledgerEntries({ dataset: 'seeded' })).toEqual(ledgerAfterFirst);
  expect((await h.store.getDataset('seeded'))!.version).toBe(versionAfterFirst);

  // A change in the file changes only that.
  config.grants[1].budget.epsilon = '0.75';
  const third = await cli(['load', file('config2.json', config)]);
  expect(third.out).toBe('change grant of kim on seeded\n');

  const dump = await cli(['dump', '--format', 'yaml']);
  expect(dump.code).toBe(EXIT.OK);
  expect(dump.out).not.toMatch(/secret|salt|hash|lomas_[0-9a-f]{16}_/);
  const dumped = YAML.parse(dump.out);
  expect(dumped.grants).toContainEqual({
    user: 'kim',
    dataset: 'seeded',
    budget: { epsilon: '0.75', delta: '0' }
  });
  // The dump loads back with no change.
  const back = await cli(['load', file('dump.yaml', dumped)]);
  expect(back.code).toBe(EXIT.OK);
  expect(back.out).toBe('Nothing to change: the server already matches the file.\n');
});

test('readable errors and exit codes', async () => {
  expect((await cli([])).code).toBe(EXIT.USAGE);
  expect((await cli(['--help'])).out).toMatch(/Usage: lomas-admin/);
  const unknown = await cli(['frobnicate']);
  expect(unknown.code).toBe(EXIT.USAGE);
  expect(unknown.err).toMatch(/unknown command: frobnicate/);
  expect((await cli(['grants', 'set', 'nope', 'b', '--epsilon', '1'])).err).toMatch(
    /DATASET_NOT_FOUND \(404\)/
  );
  const noKey = await cli(['users', 'list'], { LOMAS_ADMIN_KEY: '' });
  expect(noKey.code).toBe(EXIT.USAGE);
  expect(noKey.err).toMatch(/no admin key/);
  const analyst = await cli(['users', 'list', '--key', KEYS.alice]);
  expect(analyst.code).toBe(EXIT.ERROR);
  expect(analyst.err).toMatch(/FORBIDDEN \(403\)/);
  const wrong = await cli(['users', 'list', '--key', KEYS.wrong]);
  expect(wrong.err).toMatch(/UNAUTHENTICATED \(401\)/);
  const port = await new Promise<number>(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const down = await cli(['users', 'list', '--url', `http://127.0.0.1:${port}`]);
  expect(down.code).toBe(EXIT.UNREACHABLE);
  expect(down.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  const bad = await cli([
    'load',
    file('bad.yaml', { users: [{ name: 'x', role: 'root' }], extra: 1 })
  ]);
  expect(bad.code).toBe(EXIT.USAGE);
  expect(bad.err).toMatch(/not a valid configuration/);
  const missing = await cli(['load', join(dir, 'nope.yaml')]);
  expect(missing.err).toMatch(/cannot read/);
});

test('audit exits 3 when the chain is broken', async () => {
  let out = '';
  const fakeFetch = (async () =>
    new Response(
      JSON.stringify({
        ok: false,
        entries: 3,
        dataset: 'd',
        firstBadSeq: 2,
        problem: 'hash does not match the entry (it was altered)',
        heads: {}
      }),
      {
        status: 200,
        headers: { 'content-type': 'application/json' }
      }
    )) as typeof fetch;
  const code = await runCli(['audit'], {
    stdout: s => (out += s),
    stderr: () => undefined,
    env: { LOMAS_ADMIN_KEY: KEYS.admin },
    fetch: fakeFetch
  });
  expect(code).toBe(EXIT.AUDIT_FAILED);
  expect(out).toMatch(/BROKEN: dataset "d", entry 2: hash does not match/);
});

describe("grants in the dataset's own measure", () => {
  const DATASETS = { 'g-pure': 'pure', 'g-approx': 'approx', 'g-zcdp': 'zcdp' } as const;
  beforeAll(async () => {
    await cli(['users', 'create', 'gus', '--no-key']);
    for (const [name, accounting] of Object.entries(DATASETS)) {
      const spec = {
        name,
        connector: { kind: 'vega-datasets', name: 'penguins' },
        metadata: PENGUINS_METADATA,
        accounting,
        cap: null
      };
      expect((await cli(['datasets', 'create', file(`${name}.yaml`, spec)])).code).toBe(EXIT.OK);
    }
  });

  async function grant(argv: string[]) {
    const r = await cli(['grants', ...argv, '--json']);
    return { ...r, budget: r.code === EXIT.OK ? JSON.parse(r.out).budget : undefined };
  }

  test('zCDP: --rho alone, δ defaults to 0', async () => {
    expect((await grant(['set', 'g-zcdp', 'gus', '--rho', '0.5'])).budget).toEqual({
      epsilon: '0',
      delta: '0',
      rho: '0.5'
    });
    expect((await grant(['raise', 'g-zcdp', 'gus', '--rho', '0.25'])).budget.rho).toBe('0.75');
    expect((await grant(['lower', 'g-zcdp', 'gus', '--rho', '0.5'])).budget.rho).toBe('0.25');
    // A δ for private key discovery, and the long form that worked before, still work.
    expect(
      (await grant(['set', 'g-zcdp', 'gus', '--rho', '1', '--delta', '0.000001'])).budget
    ).toEqual({ epsilon: '0', delta: '0.000001', rho: '1' });
    expect(
      (await grant(['set', 'g-zcdp', 'gus', '--epsilon', '0', '--delta', '0', '--rho', '2'])).budget
    ).toEqual({ epsilon: '0', delta: '0', rho: '2' });
  });

  test('pure: --epsilon alone; approx: --epsilon, δ defaults to 0', async () => {
    expect((await grant(['set', 'g-pure', 'gus', '--epsilon', '2'])).budget).toEqual({
      epsilon: '2',
      delta: '0'
    });
    expect((await grant(['set', 'g-pure', 'gus', '--epsilon', '2', '--delta', '0'])).code).toBe(
      EXIT.OK
    );
    expect((await grant(['set', 'g-approx', 'gus', '--epsilon', '1'])).budget).toEqual({
      epsilon: '1',
      delta: '0'
    });
    expect(
      (await grant(['set', 'g-approx', 'gus', '--epsilon', '1', '--delta', '0.00001'])).budget
    ).toEqual({ epsilon: '1', delta: '0.00001' });
  });

  test('a flag in another measure is refused with the flags that fit, and nothing changes', async () => {
    const before = (await grant(['show', 'g-zcdp', 'gus'])).budget;
    const eps = await cli(['grants', 'set', 'g-zcdp', 'gus', '--epsilon', '2', '--delta', '0']);
    expect(eps.code).toBe(EXIT.USAGE);
    expect(eps.err).toContain(
      '--epsilon does not apply; g-zcdp is budgeted in ρ (zCDP): write --rho R [--delta D]'
    );
    expect((await grant(['show', 'g-zcdp', 'gus'])).budget).toEqual(before);
    expect((await cli(['grants', 'set', 'g-pure', 'gus', '--rho', '1'])).err).toContain(
      '--rho does not apply; g-pure is budgeted in ε (pure DP): write --epsilon E'
    );
    expect(
      (await cli(['grants', 'set', 'g-pure', 'gus', '--epsilon', '1', '--delta', '0.1'])).err
    ).toContain('--delta does not apply');
    expect((await cli(['grants', 'set', 'g-approx', 'gus', '--delta', '0.1'])).err).toContain(
      'no --epsilon given; g-approx is budgeted in ε and δ (approximate DP)'
    );
  });

  test('the ledger shows decimals (exact fractions with --json)', async () => {
    const text = (await cli(['ledger', '--dataset', 'g-approx', '--limit', '20'])).out;
    expect(text).not.toMatch(/\d+\/\d+/);
    const entries = YAML.parse(text) as Array<{ kind: string; userGrant: unknown }>;
    expect(entries.filter(e => e.kind === 'grant').pop()?.userGrant).toEqual({
      epsilon: '1',
      delta: '0.00001',
      rho: '0'
    });
    expect((await cli(['ledger', '--dataset', 'g-approx', '--json'])).out).toContain('"1/100000"');
  });
});

test('amounts read as decimals; a fraction without an end says so', () => {
  expect(fractionText('20/1')).toBe('20');
  expect(fractionText('1/10000')).toBe('0.0001');
  expect(fractionText('0/1')).toBe('0');
  expect(fractionText('3/8')).toBe('0.375');
  expect(fractionText('1/6')).toBe('0.166666666667 (exactly 1/6)');
  expect(fractionText('2026-11-30')).toBe('2026-11-30');
});

test("a file written with npm's banner in it is refused with the command that writes it right", async () => {
  const p = join(dir, 'bannered.yaml');
  writeFileSync(
    p,
    '\n> jupyterlab-lomas@0.1.0 admin\n> npm run --silent --workspace server admin -- dump\n\nusers: []\n'
  );
  const r = await cli(['load', p]);
  expect(r.code).toBe(EXIT.USAGE);
  expect(r.err).toContain("npm's script banner");
  expect(r.err).toContain('npm run --silent admin -- dump > file');
});

test('files are read from where the command was typed (npm run keeps it in INIT_CWD)', async () => {
  const p = file('typed-here.yaml', { users: [], datasets: [], grants: [] });
  const r = await cli(['load', 'typed-here.yaml'], { INIT_CWD: dir });
  expect(r.err).toBe('');
  expect(r.out).toBe('Nothing to change: the server already matches the file.\n');
  expect((await cli(['load', 'nope.yaml'], { INIT_CWD: dir })).err).toContain(
    `cannot read ${join(dir, 'nope.yaml')}: no such file`
  );
  expect(p).toBe(join(dir, 'typed-here.yaml'));
});
