/**
 * The Jupyter server extension (jupyterlab_lomas, Python) in a real `jupyter server`, against a
 * real Lomas server process: sign-in checked with the Lomas server and stored in the config file
 * the notebook library reads (0600, in a temp LOMAS_CONFIG, never the user's own ~/.lomas), the
 * key never returned nor logged, the proxy open to the front end's reads and to /admin only,
 * behind Jupyter's authentication, and sign-in refused when the environment overrides the file.
 * The package is imported from this checkout (PYTHONPATH), not from the pip-installed copy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../kernel-lib/src/client/config';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/serverProcess';
import { freePort, REPO_ROOT } from '../ui-tests/harness';

interface Jupyter {
  url: string;
  token: string;
  configFile: string;
  log(): string;
  stop(): Promise<void>;
}

/** `jupyter server` with only this extension, private config and runtime dirs, a fresh token. */
async function startJupyter(env: Record<string, string> = {}): Promise<Jupyter> {
  const scratch = mkdtempSync(join(tmpdir(), 'lomas-jpserver-'));
  const configFile = join(scratch, 'lomas', 'config.json');
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (/^(LOMAS_|JUPYTER)/.test(k)) delete clean[k];
  const args = [
    'server',
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${scratch}`,
    '--ServerApp.jpserver_extensions=jupyterlab_lomas=True'
  ];
  if (process.getuid?.() === 0) args.push('--allow-root');
  const child: ChildProcess = spawn('jupyter', args, {
    env: {
      ...clean,
      PYTHONPATH: [REPO_ROOT, process.env.PYTHONPATH].filter(Boolean).join(':'),
      JUPYTER_CONFIG_DIR: join(scratch, 'config'),
      JUPYTER_RUNTIME_DIR: join(scratch, 'runtime'),
      JUPYTER_DATA_DIR: join(scratch, 'data'),
      LOMAS_CONFIG: configFile,
      ...env
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  child.stdout?.on('data', d => (out += d));
  child.stderr?.on('data', d => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`jupyter server exited:\n${out}`);
    const ok = await fetch(`${url}/api/status?token=${token}`).then(
      r => r.ok,
      () => false
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`jupyter server did not start:\n${out}`);
    await new Promise(r => setTimeout(r, 200));
  }
  return {
    url,
    token,
    configFile,
    log: () => out,
    async stop() {
      const exited = new Promise(r => child.once('exit', r));
      const signal = (s: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, s);
        } catch {
          // gone
        }
      };
      signal('SIGTERM');
      const late = new Promise(r => setTimeout(r, 8000).unref());
      if ((await Promise.race([exited.then(() => true), late])) !== true) signal('SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
    }
  };
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

async function call(
  j: Jupyter,
  method: string,
  path: string,
  body?: unknown,
  auth = true
): Promise<Answer> {
  const res = await fetch(`${j.url}${path}`, {
    method,
    headers: {
      ...(auth ? { Authorization: `token ${j.token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {})
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

/** A GET whose path is sent byte for byte (fetch would resolve "..", as browsers do). */
function rawGet(j: Jupyter, path: string): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request(
      `${j.url}${path}`,
      { headers: { Authorization: `token ${j.token}` }, agent: false },
      res => {
        let text = '';
        res.on('data', d => (text += d));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: JSON.parse(text), text }));
      }
    );
    req.path = path;
    req.on('error', fail);
    req.end();
  });
}

let lomas: ServerProcess;
let jupyter: Jupyter;

beforeAll(async () => {
  lomas = await startServerProcess();
  jupyter = await startJupyter();
}, 90_000);

afterAll(async () => {
  await Promise.all([jupyter?.stop(), lomas?.stop()]);
});

test("Jupyter's authentication guards every route", async () => {
  for (const path of ['/lomas/connection', '/lomas/api/v1/me']) {
    const r = await call(jupyter, 'GET', path, undefined, false);
    expect(r.status).toBe(403);
  }
});

test('signed out at first: the state says which file holds the connection', async () => {
  const r = await call(jupyter, 'GET', '/lomas/connection');
  expect(r.status).toBe(200);
  expect(r.body).toEqual({
    status: 'signed-out',
    url: null,
    source: 'file',
    configFile: jupyter.configFile
  });
  const proxied = await call(jupyter, 'GET', '/lomas/api/v1/me/budgets');
  expect(proxied.status).toBe(401);
  expect(proxied.body).toMatchObject({
    code: 'UNAUTHENTICATED',
    details: { via: 'jupyterlab_lomas' }
  });
  expect(proxied.body.message).toContain('Lomas: Sign in');
});

test('a wrong key, a wrong URL or a server that is not there: refused with advice, nothing stored', async () => {
  const wrongKey = await call(jupyter, 'PUT', '/lomas/connection', {
    url: lomas.url,
    token: 'lomas_0123456789abcdef_notakeynotakeynotakeynotakey'
  });
  expect(wrongKey.status).toBe(401);
  expect(wrongKey.body.code).toBe('UNAUTHENTICATED');
  expect(wrongKey.body.message).toContain(`The Lomas server at ${lomas.url} refused this API key`);
  const notUrl = await call(jupyter, 'PUT', '/lomas/connection', {
    url: 'ftp://example.org',
    token: lomas.analystKey
  });
  expect(notUrl.status).toBe(400);
  expect(notUrl.body.message).toContain('is not a server URL');
  const withPassword = await call(jupyter, 'PUT', '/lomas/connection', {
    url: `http://user:pw@127.0.0.1:1`,
    token: lomas.analystKey
  });
  expect(withPassword.status).toBe(400);
  const down = await call(jupyter, 'PUT', '/lomas/connection', {
    url: 'http://127.0.0.1:1',
    token: lomas.analystKey
  });
  expect(down.status).toBe(503);
  expect(down.body.message).toContain('Could not reach the Lomas server at http://127.0.0.1:1');
  expect(existsSync(jupyter.configFile)).toBe(false);
});

test('sign-in stores URL and key in the private file the notebook library reads', async () => {
  const r = await call(jupyter, 'PUT', '/lomas/connection', {
    url: `${lomas.url}/`,
    token: lomas.analystKey
  });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({
    status: 'signed-in',
    url: lomas.url,
    user: 'analyst',
    role: 'analyst'
  });
  expect(r.text).not.toContain(lomas.analystKey);
  expect(statSync(jupyter.configFile).mode & 0o777).toBe(0o600);
  expect(statSync(join(jupyter.configFile, '..')).mode & 0o777).toBe(0o700);
  expect(JSON.parse(readFileSync(jupyter.configFile, 'utf8'))).toEqual({
    url: lomas.url,
    token: lomas.analystKey
  });
  // The notebook library resolves the same server and key from that file.
  const saved = { ...process.env };
  try {
    delete process.env.LOMAS_URL;
    delete process.env.LOMAS_API_KEY;
    process.env.LOMAS_CONFIG = jupyter.configFile;
    expect(resolveConfig()).toMatchObject({ url: lomas.url, token: lomas.analystKey });
  } finally {
    process.env = saved;
  }
  const state = await call(jupyter, 'GET', '/lomas/connection');
  expect(state.body).toMatchObject({ status: 'signed-in', user: 'analyst' });
});

test("the proxy: the analyst's reads go through with the key added; spending and other paths do not", async () => {
  const budgets = await call(jupyter, 'GET', '/lomas/api/v1/me/budgets');
  expect(budgets.status).toBe(200);
  expect(budgets.body.map((b: { dataset: string }) => b.dataset)).toContain('penguins');
  const history = await call(jupyter, 'GET', '/lomas/api/v1/queries?limit=5');
  expect(history.status).toBe(200);
  const metadata = await call(jupyter, 'GET', '/lomas/api/v1/datasets/penguins');
  expect(metadata.body.metadata.columns.species.type).toBe('string');

  const spend = await call(jupyter, 'POST', '/lomas/api/v1/queries', {});
  expect(spend.status).toBe(403);
  expect(spend.body).toMatchObject({ code: 'FORBIDDEN', details: { via: 'jupyterlab_lomas' } });
  for (const path of [
    '/lomas/api/v1/../metrics',
    '/lomas/api/v1/%2E%2E/metrics',
    '/lomas/api/v1/datasets%2F..%2F..%2Fmetrics',
    '/lomas/api/openapi.json',
    '/lomas/api/metrics'
  ]) {
    const r = await rawGet(jupyter, path);
    expect([400, 403]).toContain(r.status);
    expect(r.body.details).toEqual({ via: 'jupyterlab_lomas' });
  }
  // /admin goes through, and the Lomas server refuses an analyst there (its error, not ours).
  const admin = await call(jupyter, 'GET', '/lomas/api/admin/users');
  expect(admin.status).toBe(403);
  expect(admin.body.code).toBe('FORBIDDEN');
  expect(admin.body.details?.via).toBeUndefined();
});

test("an administrator's key opens /admin through the proxy", async () => {
  expect(
    (await call(jupyter, 'PUT', '/lomas/connection', { url: lomas.url, token: lomas.adminKey }))
      .body
  ).toMatchObject({ status: 'signed-in', user: 'admin', role: 'admin' });
  const created = await call(jupyter, 'POST', '/lomas/api/admin/users', { name: 'dora' });
  expect(created.status).toBe(201);
  const issued = await call(jupyter, 'POST', '/lomas/api/admin/users/dora/keys', { label: 'ui' });
  expect(issued.status).toBe(201);
  expect(issued.body.key).toMatch(/^lomas_/);
  const users = await call(jupyter, 'GET', '/lomas/api/admin/users');
  expect(users.body.map((u: { name: string }) => u.name)).toContain('dora');
});

test('sign-out removes the key and keeps the URL', async () => {
  const r = await call(jupyter, 'DELETE', '/lomas/connection');
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ status: 'signed-out', url: lomas.url });
  expect(JSON.parse(readFileSync(jupyter.configFile, 'utf8'))).toEqual({ url: lomas.url });
});

test('no key ever reaches the Jupyter server log', () => {
  const log = jupyter.log();
  expect(log).toContain('jupyterlab_lomas');
  expect(log).toContain('Lomas: signed in to');
  for (const key of [lomas.analystKey, lomas.adminKey]) expect(log).not.toContain(key);
});

test('with LOMAS_API_KEY in the environment, sign-in is refused: the kernels would not use it', async () => {
  const overridden = await startJupyter({ LOMAS_URL: lomas.url, LOMAS_API_KEY: lomas.analystKey });
  try {
    const state = await call(overridden, 'GET', '/lomas/connection');
    expect(state.body).toMatchObject({
      status: 'signed-in',
      source: 'environment',
      user: 'analyst'
    });
    const r = await call(overridden, 'PUT', '/lomas/connection', {
      url: lomas.url,
      token: lomas.adminKey
    });
    expect(r.status).toBe(409);
    expect(r.body.message).toContain('LOMAS_URL and LOMAS_API_KEY are set in the environment');
    expect(existsSync(overridden.configFile)).toBe(false);
  } finally {
    await overridden.stop();
  }
}, 60_000);
