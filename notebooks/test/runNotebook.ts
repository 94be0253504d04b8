import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../..');

/** The Lomas tslab kernel of this checkout (kernel-lib/src/client/kernel.ts, built). */
export const KERNEL_ARGV = [
  process.execPath,
  join(REPO_ROOT, 'kernel-lib/dist/client/kernel.js'),
  '--config-path',
  '{connection_file}'
];

/**
 * A tslab kernelspec of this checkout in a private Jupyter data dir, so the tests never depend on
 * (or are broken by) a kernelspec installed for another checkout.
 */
export function privateKernelspec(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-jupyter-'));
  const dir = join(dataDir, 'kernels', 'tslab');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kernel.json'),
    JSON.stringify({ argv: KERNEL_ARGV, display_name: 'TypeScript', language: 'typescript' })
  );
  return dataDir;
}

export interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string | string[];
  ename?: string;
  evalue?: string;
}

export interface ExecutedCell {
  cell_type: string;
  source: string;
  outputs: NotebookOutput[];
}

/**
 * Executes a notebook headless in a real tslab kernel (jupyter nbconvert --execute) and returns
 * its cells with their outputs. Throws with the kernel's error text when a cell fails.
 */
export async function runNotebook(
  path: string,
  env: Record<string, string>,
  timeoutS = 180
): Promise<ExecutedCell[]> {
  return (await runNotebookFile(path, env, timeoutS)).cells;
}

/** runNotebook, plus the executed notebook's file as Jupyter wrote it (outputs included). */
export async function runNotebookFile(
  path: string,
  env: Record<string, string>,
  timeoutS = 180
): Promise<{ cells: ExecutedCell[]; raw: string }> {
  const outDir = mkdtempSync(join(tmpdir(), 'lomas-nb-'));
  const args = [
    'nbconvert',
    '--to',
    'notebook',
    '--execute',
    '--ExecutePreprocessor.kernel_name=tslab',
    `--ExecutePreprocessor.timeout=${timeoutS}`,
    '--output-dir',
    outDir,
    path
  ];
  await new Promise<void>((ok, fail) =>
    execFile(
      'jupyter',
      args,
      {
        env: { ...process.env, JUPYTER_PATH: privateKernelspec(), ...env },
        timeout: (timeoutS + 60) * 1000,
        maxBuffer: 1 << 24
      },
      (err, _so, se) => (err ? fail(new Error(`${basename(path)} failed:\n${se}`)) : ok())
    )
  );
  const raw = readFileSync(join(outDir, basename(path)), 'utf8');
  const nb = JSON.parse(raw) as {
    cells: Array<{ cell_type: string; source: string | string[]; outputs?: NotebookOutput[] }>;
  };
  const cells = nb.cells.map(c => ({
    cell_type: c.cell_type,
    source: Array.isArray(c.source) ? c.source.join('') : c.source,
    outputs: c.outputs ?? []
  }));
  return { cells, raw };
}

export function textOf(o: NotebookOutput): string {
  if (o.text !== undefined) return Array.isArray(o.text) ? o.text.join('') : o.text;
  const t = o.data?.['text/plain'];
  return Array.isArray(t) ? t.join('') : typeof t === 'string' ? t : '';
}

/**
 * A notebook as `npm run up`'s JupyterLab saves it: its pre-save hook
 * (.ci/jupyter_lab_config.py) applied, written by nbformat as Jupyter writes files.
 */
export function savedByDemoWorkflow(notebook: string): string {
  const script = [
    'import runpy, sys, nbformat',
    'hooks = runpy.run_path(sys.argv[1])',
    'nb = nbformat.reads(sys.stdin.read(), as_version=4)',
    "hooks['strip_outputs'](nb)",
    "sys.stdout.write(nbformat.writes(nb) + '\\n')"
  ].join('\n');
  return execFileSync('python3', ['-c', script, join(REPO_ROOT, '.ci/jupyter_lab_config.py')], {
    input: notebook,
    encoding: 'utf8'
  });
}
