/**
 * `npm run up` as a new user meets it (the install step skipped: LOMAS_SKIP_SETUP=1), on free
 * ports, with its own data directory, JupyterLab settings and Jupyter state: the keys file a shell
 * can source, the README's admin commands run verbatim (copied from README.md by this test), the
 * server's log in a file with route templates, the budget panel's settings rewritten with new keys,
 * a port in use found before anything starts, and a stop by signal that leaves no kernel behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { freePort, newKey, REPO_ROOT } from '../../server/test/helpers/serverProcess';
import { privateKernelspec } from './runNotebook';

const TOKEN = 'up-test-token';

interface Up {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** The environment of a fresh terminal: nothing Lomas set, nothing a previous run exported. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(LOMAS_|MONGODB_|JUPYTER)/.test(k)) delete env[k];
  return env;
}

function startUp(env: NodeJS.ProcessEnv): Up {
  const child = spawn('npm', ['run', 'up'], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  child.stdout?.on('data', d => (out += d));
  child.stderr?.on('data', d => (out += d));
  const exited = new Promise<number | null>(ok => child.once('exit', code => ok(code)));
  return { child, output: () => out, exited };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`timed out: ${what}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise(ok => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids whose command line contains `text` (the kernel's connection file names its id). */
function pidsWith(text: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text)) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The README's admin commands: the bash block of its "Administration" section, as written. */
function readmeAdminBlock(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Administration'));
  const m = /```bash\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README.md has no bash block under "## Administration"');
  return m[1];
}

let scratch: string;
let dataDir: string;
let settingsFile: string;
let env: NodeJS.ProcessEnv;
let ports: { lomas: number; lab: number };
let up: Up;
const OLD_KEYS = { admin: newKey(), analyst: newKey() };

beforeAll(async () => {
  // The README's commands run from a checkout with its own .lomas-data: the repository's files
  // are linked into a scratch directory, so this test never touches the real .lomas-data.
  scratch = mkdtempSync(join(tmpdir(), 'lomas-up-'));
  for (const f of ['package.json', 'node_modules', 'server', 'kernel-lib'])
    symlinkSync(join(REPO_ROOT, f), join(scratch, f));
  dataDir = join(scratch, '.lomas-data');
  mkdirSync(dataDir);
  // A keys file from an earlier version (no `export`), and panel settings with another key.
  writeFileSync(
    join(dataDir, 'keys.env'),
    `LOMAS_ADMIN_KEY=${OLD_KEYS.admin}\nLOMAS_DEMO_ANALYST_KEY=${OLD_KEYS.analyst}\n`
  );
  const settingsDir = join(scratch, 'settings');
  settingsFile = join(settingsDir, 'jupyterlab-lomas', 'plugin.jupyterlab-settings');
  mkdirSync(join(settingsDir, 'jupyterlab-lomas'), { recursive: true });
  writeFileSync(
    settingsFile,
    JSON.stringify({ serverUrl: 'http://127.0.0.1:1', apiKey: 'lomas_stale', confidence: 0.9 })
  );
  ports = { lomas: await freePort(), lab: await freePort() };
  env = {
    ...cleanEnv(),
    LOMAS_SKIP_SETUP: '1',
    LOMAS_DATA_DIR: dataDir,
    LOMAS_PORT: String(ports.lomas),
    JUPYTER_PORT: String(ports.lab),
    JUPYTER_TOKEN: TOKEN,
    JUPYTERLAB_SETTINGS_DIR: settingsDir,
    JUPYTER_PATH: privateKernelspec(),
    JUPYTER_CONFIG_DIR: join(scratch, 'jupyter-config'),
    JUPYTER_RUNTIME_DIR: join(scratch, 'jupyter-runtime')
  };
  up = startUp(env);
  await until(
    'the Lomas server and JupyterLab',
    async () => {
      if (up.child.exitCode !== null) throw new Error(`npm run up exited:\n${up.output()}`);
      const res = await fetch(`http://127.0.0.1:${ports.lab}/api/status`, {
        headers: { Authorization: `token ${TOKEN}` }
      });
      return res.ok && up.output().includes('Lomas server ready') ? true : undefined;
    },
    120000
  ).catch(e => {
    throw new Error(`${(e as Error).message}\n${up.output()}`);
  });
}, 150000);

afterAll(async () => {
  // Whatever a failed test left (npm run up starts its own process group): stopped as up.sh
  // stops it, then killed.
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-up.child.pid!, signal);
    } catch {
      break; // nothing left in the group
    }
    await new Promise(r => setTimeout(r, signal === 'SIGTERM' ? 8000 : 0));
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('keys.env exports the URL and the kept keys, so `source` works in a shell', () => {
  const text = readFileSync(join(dataDir, 'keys.env'), 'utf8');
  expect(text).toContain(`export LOMAS_URL=http://127.0.0.1:${ports.lomas}\n`);
  expect(text).toContain(`export LOMAS_ADMIN_KEY=${OLD_KEYS.admin}\n`);
  expect(text).toContain(`export LOMAS_DEMO_ANALYST_KEY=${OLD_KEYS.analyst}\n`);
  expect(statSync(join(dataDir, 'keys.env')).mode & 0o777).toBe(0o600);
  const r = spawnSync('bash', ['-c', 'source .lomas-data/keys.env && bash -c "echo $LOMAS_URL"'], {
    cwd: scratch,
    env: cleanEnv(),
    encoding: 'utf8'
  });
  expect(r.stdout.trim()).toBe(`http://127.0.0.1:${ports.lomas}`);
});

test("the README's admin commands work as written", () => {
  const block = readmeAdminBlock();
  expect(block).toContain('source .lomas-data/keys.env');
  expect(block).toMatch(/dump > config\.yaml/);
  const r = spawnSync('bash', ['-e', '-c', block], {
    cwd: scratch,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 120000
  });
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toContain('OK: the hash chain verifies');
  expect(r.stdout).toContain('Nothing to change: the server already matches the file.');
  // The dump is YAML only (no npm banner), and it holds what the commands did.
  const dumped = readFileSync(join(scratch, 'config.yaml'), 'utf8');
  expect(dumped).not.toMatch(/^\s*>/);
  const config = YAML.parse(dumped) as {
    users: Array<{ name: string }>;
    grants: Array<{ user: string; dataset: string; budget: Record<string, string> }>;
  };
  expect(config.users.map(u => u.name)).toContain('alice');
  const grant = (d: string) => config.grants.find(g => g.user === 'alice' && g.dataset === d);
  expect(grant('penguins')?.budget).toEqual({ epsilon: '2', delta: '0' });
  expect(grant('flights')?.budget).toEqual({ epsilon: '0', delta: '0', rho: '0.5' });
}, 150000);

test('the server logs to .lomas-data/server.log with the route of each request', async () => {
  const res = await fetch(`http://127.0.0.1:${ports.lomas}/v1/me`, {
    headers: { Authorization: `Bearer ${OLD_KEYS.analyst}` }
  });
  expect(res.status).toBe(200);
  const requests = await until(
    'the GET /v1/me log line',
    async () => {
      const lines = readFileSync(join(dataDir, 'server.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(
          l => JSON.parse(l) as { msg: string; route?: string; status?: number; method?: string }
        )
        .filter(l => l.msg === 'request');
      return lines.some(l => l.route === '/v1/me') ? lines : undefined;
    },
    10000
  );
  expect(requests.filter(l => l.route === 'unmatched' && (l.status ?? 0) < 400)).toEqual([]);
  expect(up.output()).not.toContain('"msg":"request"');
});

test("the panel's settings follow the keys; other settings are kept", () => {
  const s = JSON.parse(readFileSync(settingsFile, 'utf8'));
  expect(s).toEqual({
    serverUrl: `http://127.0.0.1:${ports.lomas}`,
    apiKey: OLD_KEYS.analyst,
    confidence: 0.9
  });
});

test('a port in use is found before anything starts, with what to do', async () => {
  const other = await freePort();
  const cases = [
    { lomas: ports.lomas, lab: other, what: 'the Lomas server', port: ports.lomas },
    { lomas: other, lab: ports.lab, what: 'JupyterLab', port: ports.lab }
  ];
  for (const c of cases) {
    const second = startUp({
      ...env,
      LOMAS_DATA_DIR: join(scratch, `second-${c.port}`),
      LOMAS_PORT: String(c.lomas),
      JUPYTER_PORT: String(c.lab)
    });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `Port ${c.port} on 127.0.0.1 is in use, so ${c.what} cannot start there.`
    );
    expect(second.output()).toMatch(/LOMAS_PORT=\d+ JUPYTER_PORT=\d+ npm run up/);
    expect(second.output()).not.toContain('server ready');
  }
  expect((await fetch(`http://127.0.0.1:${ports.lomas}/ready`)).ok).toBe(true);
}, 60000);

test('JupyterLab saves the demo notebooks without outputs; a notebook of your own keeps them', async () => {
  const headers = { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' };
  const api = (path: string) => `http://127.0.0.1:${ports.lab}/api/contents/${path}`;
  const demo = join(REPO_ROOT, 'notebooks', '01-penguins.ipynb');
  const committed = readFileSync(demo, 'utf8');
  const own = `scratch-${process.pid}.ipynb`;
  const checkpoints = join(REPO_ROOT, 'notebooks', '.ipynb_checkpoints');
  const hadCheckpoints = existsSync(checkpoints);
  try {
    const model = (await (await fetch(api('01-penguins.ipynb'), { headers })).json()) as {
      content: { cells: Array<Record<string, unknown>> };
    };
    const cell = model.content.cells.find(c => c.cell_type === 'code')!;
    cell.outputs = [{ output_type: 'stream', name: 'stdout', text: 'connected as analyst\n' }];
    cell.execution_count = 1;
    cell.metadata = { execution: { 'iopub.status.idle': '2026-11-30T17:00:00Z' } };
    const save = (path: string) =>
      fetch(api(path), {
        method: 'PUT',
        headers,
        body: JSON.stringify({ type: 'notebook', format: 'json', content: model.content })
      });
    expect((await save('01-penguins.ipynb')).status).toBe(200);
    expect(readFileSync(demo, 'utf8')).toBe(committed);
    expect((await save(own)).status).toBe(201);
    expect(readFileSync(join(REPO_ROOT, 'notebooks', own), 'utf8')).toContain(
      'connected as analyst'
    );
  } finally {
    writeFileSync(demo, committed);
    rmSync(join(REPO_ROOT, 'notebooks', own), { force: true });
    if (!hadCheckpoints) rmSync(checkpoints, { recursive: true, force: true });
  }
});

test('a signal stops JupyterLab, its kernels and the server: nothing is left running', async () => {
  const headers = { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' };
  const res = await fetch(`http://127.0.0.1:${ports.lab}/api/kernels`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'tslab' })
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const [kernel] = await until(
    'the kernel process',
    async () => {
      const pids = pidsWith(`kernel-${id}.json`);
      return pids.length > 0 ? pids : undefined;
    },
    30000
  );
  process.kill(up.child.pid!, 'SIGTERM'); // what a script does to the `npm run up` it started
  await Promise.race([up.exited, new Promise(r => setTimeout(r, 30000))]);
  const left = {
    up: up.child.exitCode === null && up.child.signalCode === null,
    kernel: alive(kernel),
    serverPort: !(await portFree(ports.lomas)),
    labPort: !(await portFree(ports.lab))
  };
  if (left.kernel) process.kill(kernel, 'SIGKILL'); // never leave one behind, even on failure
  expect(left).toEqual({ up: false, kernel: false, serverPort: false, labPort: false });
}, 90000);
