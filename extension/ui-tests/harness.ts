/**
 * A small harness for UI tests against a real JupyterLab in real Chromium.
 *
 *   await withJupyterLab({ rootDir, env }, lab =>
 *     withBrowser(async page => {
 *       await openAndRunNotebook(page, lab, 'demo.ipynb');
 *       ...
 *     }));
 *
 * `withJupyterLab` starts `jupyter lab` on a free loopback port with a random token, isolated from
 * the user's own Jupyter state (temporary config, runtime, settings and workspace directories), with
 * a `tslab` kernelspec pointing at this repository's tslab, autosave off (notebooks under test are
 * never rewritten) and the app exposed as `window.jupyterapp`. It always stops the server (kernels
 * first, then the whole process group), also when the callback throws. The Lomas connection file
 * (LOMAS_CONFIG, read by the server extension and the kernels) is a private temporary file, never
 * the user's ~/.lomas: `lomas: { url, token }` writes it before the start; LOMAS_URL and
 * LOMAS_API_KEY of the test's own environment are not passed on. `env` reaches the kernels. The
 * extension under test is the one installed with pip (`npm run build:extension && npm run
 * install:extension`); the harness refuses to start when that is not this checkout's build.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type Dirent
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts', 'ui');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface LabOptions {
  /** Directory served as the JupyterLab root; notebook paths are relative to it. */
  rootDir: string;
  /** Extra environment for the server and therefore for the kernels. */
  env?: Record<string, string>;
  /** User settings to pre-seed: `{ '<package>:<plugin>': { ... } }`. */
  settings?: Record<string, Record<string, unknown>>;
  /** The Lomas connection to write in the private LOMAS_CONFIG file (none: signed out). */
  lomas?: { url: string; token?: string };
  /** Labextensions to disable (`jupyter labextension disable`, in this lab's own config dir). */
  disabledExtensions?: string[];
  /** Milliseconds to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
}

export interface Lab {
  baseUrl: string;
  token: string;
  rootDir: string;
  /** A full URL of a lab page, token included: lab.url('lab/tree/x.ipynb'). */
  url(path?: string): string;
  /** The server's recent output (its last `lines` lines, 40 by default; kernels' stderr included). */
  log(lines?: number): string;
  /** JupyterLab's user-settings and workspaces directories of this lab (private, temporary). */
  settingsDir: string;
  workspacesDir: string;
  /** The Lomas connection file of this lab (LOMAS_CONFIG). */
  lomasConfig: string;
}

/** Settings that keep a test run quiet and side-effect free. */
const BASE_SETTINGS: Record<string, Record<string, unknown>> = {
  '@jupyterlab/docmanager-extension:plugin': { autosave: false },
  '@jupyterlab/apputils-extension:notification': { fetchNews: 'false', checkForUpdates: false }
};

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** A delay that does not keep the process alive (used in races with process exits). */
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms).unref());

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2));
}

/** `<data>/kernels/tslab/kernel.json` for this repository's Lomas tslab kernel (kernel-lib). */
export function writeTslabKernelspec(dataDir: string): void {
  writeJson(join(dataDir, 'kernels', 'tslab', 'kernel.json'), {
    argv: [
      process.execPath,
      join(REPO_ROOT, 'kernel-lib', 'dist', 'client', 'kernel.js'),
      '--config-path',
      '{connection_file}'
    ],
    display_name: 'TypeScript',
    language: 'typescript'
  });
}

let checkedBuild = false;

/**
 * The pip-installed extension must be this checkout's build: other checkouts on the machine
 * install theirs into the same Python environment. Compares the labextension's remote entry and
 * the server extension's handlers.
 */
export function assertInstalledBuild(): void {
  if (checkedBuild) return;
  const installed = JSON.parse(
    execFileSync(
      'python3',
      [
        '-c',
        `import json, os, sys, jupyterlab_lomas
p = os.path.join(sys.prefix, "share/jupyter/labextensions/jupyterlab-lomas/package.json")
print(json.dumps({"load": json.load(open(p))["jupyterlab"]["_build"]["load"], "handlers": open(os.path.join(os.path.dirname(jupyterlab_lomas.__file__), "handlers.py")).read()}))`
      ],
      { encoding: 'utf8', env: { ...process.env, PYTHONPATH: '' }, cwd: '/' }
    )
  ) as { load: string; handlers: string };
  const built = JSON.parse(
    readFileSync(join(REPO_ROOT, 'jupyterlab_lomas', 'labextension', 'package.json'), 'utf8')
  ) as { jupyterlab: { _build: { load: string } } };
  const handlers = readFileSync(join(REPO_ROOT, 'jupyterlab_lomas', 'handlers.py'), 'utf8');
  if (installed.load !== built.jupyterlab._build.load || installed.handlers !== handlers)
    throw new Error(
      "The installed jupyterlab_lomas is not this checkout's build (another checkout installed its own?). Run: npm run build:extension && npm run install:extension"
    );
  checkedBuild = true;
}

/** Disables labextensions for this lab only (its JUPYTER_CONFIG_DIR). */
function disableExtensions(names: string[], env: NodeJS.ProcessEnv): void {
  for (const name of names)
    execFileSync('jupyter', ['labextension', 'disable', '--level=user', name], {
      env,
      stdio: 'ignore'
    });
}

function writeSettings(dir: string, settings: Record<string, Record<string, unknown>>): void {
  for (const [id, value] of Object.entries(settings)) {
    const [pkg, plugin] = id.split(':');
    writeJson(join(dir, pkg, `${plugin}.jupyterlab-settings`), value);
  }
}

async function waitForServer(lab: Lab, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`jupyter lab exited early (code ${proc.exitCode}).\n${lab.log()}`);
    }
    try {
      const res = await fetch(`${lab.baseUrl}/api/status`, {
        headers: { Authorization: `token ${lab.token}` }
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`jupyter lab did not answer within ${timeoutMs} ms.\n${lab.log()}`);
}

async function stopServer(lab: Lab, proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  // Kernels run in their own sessions: shut them down through the API before the server goes.
  try {
    const headers = { Authorization: `token ${lab.token}` };
    const kernels = (await (await fetch(`${lab.baseUrl}/api/kernels`, { headers })).json()) as {
      id: string;
    }[];
    await Promise.all(
      kernels.map(k =>
        fetch(`${lab.baseUrl}/api/kernels/${k.id}`, { method: 'DELETE', headers }).catch(
          () => undefined
        )
      )
    );
  } catch {
    // server already unhealthy: the signals below still apply
  }
  const exited = new Promise<void>(ok => proc.once('exit', () => ok()));
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-proc.pid!, sig); // the whole process group (spawned detached)
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(8000).then(() => false)])) return;
  signal('SIGKILL');
  await Promise.race([exited, sleep(2000)]);
}

export async function withJupyterLab<T>(
  opts: LabOptions,
  fn: (lab: Lab) => Promise<T>
): Promise<T> {
  assertInstalledBuild();
  const scratch = mkdtempSync(join(tmpdir(), 'lomas-ui-'));
  const dataDir = join(scratch, 'data');
  const settingsDir = join(scratch, 'settings');
  const workspacesDir = join(scratch, 'workspaces');
  const lomasConfig = join(scratch, 'lomas', 'config.json');
  if (opts.lomas) {
    mkdirSync(dirname(lomasConfig), { recursive: true, mode: 0o700 });
    writeFileSync(lomasConfig, JSON.stringify(opts.lomas), { mode: 0o600 });
  }
  writeTslabKernelspec(dataDir);
  writeSettings(settingsDir, { ...BASE_SETTINGS, ...(opts.settings ?? {}) });

  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = [
    'lab',
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${resolve(opts.rootDir)}`,
    `--LabApp.user_settings_dir=${settingsDir}`,
    `--LabApp.workspaces_dir=${workspacesDir}`,
    '--LabApp.expose_app_in_browser=True'
  ];
  if (process.getuid?.() === 0) args.push('--allow-root'); // CI containers run as root
  const inherited = { ...process.env };
  delete inherited.LOMAS_URL;
  delete inherited.LOMAS_API_KEY;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    LOMAS_CONFIG: lomasConfig,
    ...opts.env,
    JUPYTER_PATH: [dataDir, process.env.JUPYTER_PATH].filter(Boolean).join(':'),
    JUPYTER_DATA_DIR: dataDir,
    JUPYTER_CONFIG_DIR: join(scratch, 'config'),
    JUPYTER_RUNTIME_DIR: join(scratch, 'runtime')
  };
  if (opts.disabledExtensions?.length) disableExtensions(opts.disabledExtensions, env);
  const proc = spawn('jupyter', args, {
    cwd: resolve(opts.rootDir),
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-200000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const spawnError = new Promise<never>((_, fail) => proc.once('error', fail));
  // Last resort if the test process dies without running `finally`.
  const onExit = (): void => {
    try {
      if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);

  const lab: Lab = {
    baseUrl,
    token,
    rootDir: resolve(opts.rootDir),
    url: (path = 'lab') => `${baseUrl}/${path.replace(/^\/+/, '')}?token=${token}`,
    log: (lines = 40) => output.split('\n').slice(-lines).join('\n'),
    settingsDir,
    workspacesDir,
    lomasConfig
  };
  try {
    await Promise.race([waitForServer(lab, proc, opts.startTimeoutMs ?? 60000), spawnError]);
    return await fn(lab);
  } finally {
    await stopServer(lab, proc);
    process.removeListener('exit', onExit);
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

/** Debian's Chromium through playwright-core, with a fresh temporary profile (never a download). */
export async function withBrowser<T>(
  fn: (page: Page, browser: Browser) => Promise<T>,
  viewport = { width: 1400, height: 900 }
): Promise<T> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS
  });
  try {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    return await fn(page, browser);
  } finally {
    await browser.close();
  }
}

interface CellError {
  index: number;
  ename: string;
  evalue: string;
}

/** Opens a notebook (path relative to the lab root) and waits until its kernel is ready. */
export async function openNotebook(
  page: Page,
  lab: Lab,
  path: string,
  { timeoutMs = 60000 } = {}
): Promise<void> {
  await page.goto(lab.url(`lab/tree/${path.split('/').map(encodeURIComponent).join('/')}`));
  await page.waitForFunction(
    p => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const app = (window as any).jupyterapp;
      if (!app?.shell) return false;
      for (const w of app.shell.widgets('main')) if (w.context?.path === p) return true;
      return false;
    },
    path,
    { timeout: timeoutMs, polling: 200 }
  );
  await page.evaluate(
    async ({ path, timeout }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const app = (window as any).jupyterapp;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const panel = [...app.shell.widgets('main')].find((w: any) => w.context?.path === path);
      const within = <T>(p: Promise<T>, what: string): Promise<T> =>
        Promise.race([
          p,
          new Promise<T>((_, fail) =>
            setTimeout(() => fail(new Error(`timed out: ${what}`)), timeout)
          )
        ]);
      await within(panel.context.ready, 'notebook load');
      await within(panel.sessionContext.ready, 'kernel session');
      const kernel = panel.sessionContext.session?.kernel;
      if (!kernel) throw new Error('the notebook has no kernel (is the kernelspec installed?)');
      await within(kernel.info, 'kernel start');
    },
    { path, timeout: timeoutMs }
  );
}

/** An output of a cell, as the notebook model holds it (nbformat). */
export interface CellOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/** Runs one cell of an open notebook (`index` among all cells) and returns its outputs. */
export async function runCell(
  page: Page,
  path: string,
  index: number,
  timeoutMs = 60000
): Promise<CellOutput[]> {
  return page.evaluate(
    async ({ path, index, timeout }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const app = (window as any).jupyterapp;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const panel = [...app.shell.widgets('main')].find((w: any) => w.context?.path === path);
      if (!panel) throw new Error(`notebook ${path} is not open`);
      app.shell.activateById(panel.id);
      panel.content.activeCellIndex = index;
      await Promise.race([
        app.commands.execute('notebook:run-cell'),
        new Promise((_, fail) =>
          setTimeout(() => fail(new Error(`timed out: cell ${index}`)), timeout)
        )
      ]);
      return panel.content.model.cells.get(index).toJSON().outputs ?? [];
    },
    { path, index, timeout: timeoutMs }
  );
}

/**
 * Opens a notebook (path relative to the lab root), waits for its kernel, runs all cells and waits
 * until they have finished. Throws with the cells' error outputs if any cell failed.
 */
export async function openAndRunNotebook(
  page: Page,
  lab: Lab,
  path: string,
  { timeoutMs = 60000, allowErrors = false } = {}
): Promise<void> {
  await page.goto(lab.url(`lab/tree/${path.split('/').map(encodeURIComponent).join('/')}`));
  await page.waitForFunction(
    p => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const app = (window as any).jupyterapp;
      if (!app?.shell) return false;
      for (const w of app.shell.widgets('main')) if (w.context?.path === p) return true;
      return false;
    },
    path,
    { timeout: timeoutMs, polling: 200 }
  );
  const errors = await page.evaluate(
    async ({ timeout, path }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const app = (window as any).jupyterapp;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const panel = [...app.shell.widgets('main')].find((w: any) => w.context?.path === path);
      if (!panel) throw new Error(`notebook ${path} is not open`);
      const within = <T>(p: Promise<T>, what: string): Promise<T> =>
        Promise.race([
          p,
          new Promise<T>((_, fail) =>
            setTimeout(() => fail(new Error(`timed out: ${what}`)), timeout)
          )
        ]);
      await within(panel.context.ready, 'notebook load');
      await within(panel.sessionContext.ready, 'kernel session');
      const kernel = panel.sessionContext.session?.kernel;
      if (!kernel) throw new Error('the notebook has no kernel (is the kernelspec installed?)');
      await within(kernel.info, 'kernel start');
      await within(app.commands.execute('notebook:run-all-cells'), 'running all cells');
      const found: { index: number; ename: string; evalue: string }[] = [];
      const cells = panel.content.model.cells;
      for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        for (const out of cell.toJSON().outputs ?? []) {
          if (out.output_type === 'error')
            found.push({ index: i, ename: out.ename, evalue: out.evalue });
        }
      }
      return found;
    },
    { timeout: timeoutMs, path }
  );
  if (errors.length > 0 && !allowErrors) {
    const lines = (errors as CellError[]).map(e => `cell ${e.index}: ${e.ename}: ${e.evalue}`);
    throw new Error(`notebook ${path} failed:\n${lines.join('\n')}`);
  }
}

/** Saves a full-page screenshot under test-artifacts/ui/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Runs a JupyterLab command in the page (window.jupyterapp.commands). */
export function runCommand(
  page: Page,
  command: string,
  args: Record<string, unknown> = {}
): Promise<unknown> {
  return page.evaluate(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ([c, a]) => (window as any).jupyterapp.commands.execute(c, a),
    [command, args] as const
  );
}

/**
 * The drawn chart of a result card: a result's chart is the next output of the same cell
 * (application/vnd.lomas.chart.v1+json, drawn by the extension through JupyterLab's Vega renderer).
 */
export function chartOf(card: ReturnType<Page['locator']>): ReturnType<Page['locator']> {
  return card
    .locator('xpath=ancestor::div[contains(concat(" ", @class, " "), " jp-OutputArea ")][1]')
    .locator('.jp-LomasChart .jp-LomasResult-chart[data-lomas-chart="rendered"]');
}

/** Every file under `dir` whose content contains `text` (settings, workspaces: nothing secret). */
export function filesContaining(dir: string, text: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (readFileSync(p, 'utf8').includes(text)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** Starts a command without waiting for it (one that opens a dialog waits for the user). */
export function startCommand(
  page: Page,
  command: string,
  args: Record<string, unknown> = {}
): Promise<void> {
  return page.evaluate(
    ([c, a]) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      void (window as any).jupyterapp.commands.execute(c, a);
    },
    [command, args] as const
  );
}

/** A notebook (nbformat 4, tslab kernel) with one code cell per source. */
export function notebookJson(sources: string[]): string {
  return JSON.stringify({
    cells: sources.map((source, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `cell-${i}`,
      metadata: {},
      outputs: [],
      source
    })),
    metadata: {
      kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

/**
 * A lab root of its own inside the repository (test-artifacts/ is git-ignored), so that the
 * kernel finds lomas-kernel in the repository's node_modules as it does from notebooks/.
 */
export function labRoot(prefix: string, notebooks: Record<string, string[]>): string {
  mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
  const root = mkdtempSync(join(REPO_ROOT, 'test-artifacts', `${prefix}-`));
  for (const [name, sources] of Object.entries(notebooks))
    writeFileSync(join(root, name), notebookJson(sources));
  return root;
}
