/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * The real Python Lomas client (lomas-client 0.5.1 from PyPI, venv of .ci/python.sh), unchanged,
 * against a real server process (server/dist/main.js): it signs in through a real Dex (password
 * grant, client id lomas_client) and runs server/test/lomas-client/check_client.py, which asserts
 * what a Lomas demo notebook sees. Here the server's own ledger and archive are checked against
 * what the client reported, and the routes' refusals are checked to charge nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dexFromEnv, type Dex } from '../helpers/dex';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/serverProcess';
import { describeWith, serviceEnv } from '../helpers/services';

const run = promisify(execFile);
const HOW =
  'Run `npm test`, or in the shell that runs jest: `source .ci/python.sh && python_tools_install` and `source .ci/dex.sh && dex_start`.';
const env = serviceEnv('Python Lomas client', ['LOMAS_CLIENT_PYTHON', 'DEX_ISSUER'], HOW);
const dex = env ? dexFromEnv() : null;

async function call(
  sp: ServerProcess,
  method: string,
  path: string,
  bearer: string,
  body?: unknown
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sp.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' })
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describeWith(env && dex)('the Python Lomas client 0.5.1 against /lomas', () => {
  const d = dex as Dex;
  let sp: ServerProcess;
  let tokenDir: string;

  beforeAll(async () => {
    sp = await startServerProcess({
      env: { LOMAS_OIDC_ISSUER: d.issuer, LOMAS_OIDC_AUDIENCE: 'lomas_client' }
    });
    const u = await call(sp, 'POST', '/admin/users', sp.adminKey, { name: d.analyst.email });
    expect(u.status).toBe(201);
    const g = await call(
      sp,
      'PUT',
      `/admin/grants/penguins/${encodeURIComponent(d.analyst.email)}`,
      sp.adminKey,
      { epsilon: '12', delta: '0' }
    );
    expect(g.status).toBe(200);
    // The client caches its tokens in the temporary directory: a fresh one per run.
    tokenDir = mkdtempSync(join(tmpdir(), 'lomas-client-tokens-'));
  }, 120_000);

  afterAll(async () => {
    await sp?.stop();
    if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
  });

  test('signs in through Dex, reads, estimates, queries and is refused as a Lomas notebook would be', async () => {
    const script = join(REPO_ROOT, 'server/test/lomas-client/check_client.py');
    let stdout: string;
    try {
      ({ stdout } = await run(env!.LOMAS_CLIENT_PYTHON, [script], {
        timeout: 170_000,
        env: {
          ...process.env,
          LOMAS_URL: `${sp.url}/lomas`,
          OIDC_DISCOVERY_URL: `${d.issuer}/.well-known/openid-configuration`,
          LOMAS_USER: d.analyst.email,
          LOMAS_PASSWORD: d.analyst.password,
          STRANGER_USER: d.stranger.email,
          STRANGER_PASSWORD: d.stranger.password,
          // Dex listens on plain HTTP on loopback in the tests; authlib refuses that otherwise.
          AUTHLIB_INSECURE_TRANSPORT: '1',
          TMPDIR: tokenDir
        }
      }));
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(
        `check_client.py failed:\n${e.stderr ?? ''}\n${e.stdout ?? ''}\n${sp.logs()}`
      );
    }
    const seen = JSON.parse(stdout.trim().split('\n').pop()!);
    process.stderr.write(`check_client.py saw: ${JSON.stringify(seen)}\n`);
    expect(seen.bill_length_bounds).toEqual([30, 60]);
    expect(seen.dummy_shape).toEqual([200, 7]);
    expect(seen.dummy_dtypes).toMatchObject({
      species: 'string',
      bill_length_mm: 'float64',
      body_mass_g: 'Int64'
    });
    expect(seen.initial_epsilon).toBe(12);
    expect(seen.spent_before).toBe(0);
    expect(seen.spent_after_queries).toBe(9.5);
    expect(seen.remaining_after_queries).toBe(2.5);
    expect(seen.grouped.map((r: any) => r.species).sort()).toEqual([
      'Adelie',
      'Chinstrap',
      'Gentoo'
    ]);
    expect(seen.opendp_refusal).toMatch(/opendp requests are not supported.*Nothing was charged/);
    expect(seen.join_refusal).toMatch(/no-joins/);
    expect(seen.mechanism_refusal).toMatch(/"median" is not a SmartNoise mechanism key/);
    expect(seen.postprocess_refusal).toMatch(/postprocess=false is not supported/);
    expect(seen.budget_refusal).toMatch(/only ε = 2.5 of your budget/);
    expect(seen.no_grant_refusal).toMatch(/Dataset "cars" does not exist or is not shared/);
    expect(seen.stranger_refusal).toMatch(/no Lomas user "stranger@lomas.test" exists/);
    expect(seen.previous_queries).toBe(3);

    // The server's own books: three charges, in the order the client sent them, each as
    // estimated; the archive keeps the SQL text and the count the client was shown.
    const ledger = await call(
      sp,
      'GET',
      `/admin/ledger?dataset=penguins&user=${encodeURIComponent(d.analyst.email)}`,
      sp.adminKey
    );
    expect(ledger.status).toBe(200);
    const charges = ledger.body
      .filter((e: any) => e.kind === 'charge')
      .sort((a: any, b: any) => a.seq - b.seq);
    expect(charges.map((e: any) => e.cost.epsilon)).toEqual(['1/2', '1/1', '8/1']); // exact fractions
    const archive = await call(
      sp,
      'GET',
      `/admin/archive?dataset=penguins&user=${encodeURIComponent(d.analyst.email)}`,
      sp.adminKey
    );
    const texts = archive.body.map((r: any) => r.sql?.text).reverse();
    expect(texts).toEqual([
      'SELECT COUNT(*) AS nb_penguins FROM df',
      'SELECT AVG(bill_length_mm) AS avg_bill_length_mm FROM df',
      expect.stringMatching(/^SELECT species, AVG\(bill_length_mm\)/)
    ]);
    expect(archive.body.at(-1).release.rows[0].nb_penguins).toBe(seen.count);
  }, 180_000);

  test('API keys work on /lomas too; bad tokens get 401 in the client type; refusals charge nothing', async () => {
    const key = sp.analystKey;
    const before = await call(sp, 'POST', '/lomas/get_total_spent_budget', key, {
      dataset_name: 'penguins'
    });
    expect(before.status).toBe(200);
    const refusals = [
      ['opendp_query', { dataset_name: 'penguins', opendp_json: 'AAAA', epsilon: 1 }],
      ['diffprivlib_query', { dataset_name: 'penguins', diffprivlib_json: '{}' }],
      ['smartnoise_synth_query', { dataset_name: 'penguins', synth_name: 'mwem', epsilon: 1 }],
      [
        'smartnoise_sql_query',
        {
          dataset_name: 'penguins',
          query_str: 'SELECT MIN(bill_length_mm) AS m FROM df',
          epsilon: 1,
          delta: 0,
          mechanisms: {},
          postprocess: true
        }
      ],
      [
        'smartnoise_sql_query',
        {
          dataset_name: 'penguins',
          query_str: 'SELECT COUNT(*) AS n FROM df',
          epsilon: 1,
          delta: 0,
          mechanisms: { count: 'laplace', sum_float: 'gaussian' },
          postprocess: true
        }
      ]
    ] as const;
    const types: string[] = [];
    for (const [route, body] of refusals) {
      const r = await call(sp, 'POST', `/lomas/${route}`, key, body);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.body.message).toEqual(expect.any(String));
      types.push(`${r.status} ${r.body.type}`);
    }
    expect(types).toEqual([
      '400 InvalidQueryException',
      '400 InvalidQueryException',
      '400 InvalidQueryException',
      '422 ExternalLibraryException',
      '400 InvalidQueryException'
    ]);
    const after = await call(sp, 'POST', '/lomas/get_total_spent_budget', key, {
      dataset_name: 'penguins'
    });
    expect(after.body).toEqual(before.body);

    const bad = await call(sp, 'POST', '/lomas/get_initial_budget', 'a.b.c', {
      dataset_name: 'penguins'
    });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({
      type: 'UnauthorizedAccessException',
      code: 'UNAUTHENTICATED'
    });
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.js:\d+/);
  });
});
