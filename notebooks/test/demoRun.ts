/**
 * A demo notebook run once, top to bottom, in a real tslab kernel against a real server process of
 * its own (embedded store, demo datasets), and what its tests read from it: cells by a snippet of
 * their source, their text and Lomas results, the budget spent. One set-up for every notebook test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULT_MIME, type ResultBundle } from 'lomas-kernel/protocol';
import {
  REPO_ROOT,
  startServerProcess,
  type ServerProcess
} from '../../server/test/helpers/serverProcess';
import { runNotebookFile, savedByDemoWorkflow, textOf, type ExecutedCell } from './runNotebook';

export interface DemoRun {
  server: ServerProcess;
  cells: ExecutedCell[];
  /** The notebook file as the kernel left it (outputs included). */
  raw: string;
}

/** Runs notebooks/<file> with the analyst key (and the admin key when asked) in its environment. */
export async function executeDemo(file: string, withAdminKey = false): Promise<DemoRun> {
  const server = await startServerProcess();
  const env: Record<string, string> = { LOMAS_URL: server.url, LOMAS_API_KEY: server.analystKey };
  if (withAdminKey) env.LOMAS_ADMIN_KEY = server.adminKey;
  const { cells, raw } = await runNotebookFile(join(REPO_ROOT, 'notebooks', file), env);
  return { server, cells, raw };
}

/**
 * The run of one notebook for the tests of a file or `describe` block: executed before them, its
 * server stopped after them, and the checks every demo notebook must pass registered with them.
 * The object is filled in before the first test runs.
 */
export function demoNotebook(file: string, opts: { withAdminKey?: boolean } = {}): DemoRun {
  const run = {} as DemoRun;
  beforeAll(
    async () => void Object.assign(run, await executeDemo(file, opts.withAdminKey)),
    240000
  );
  afterAll(async () => run.server?.stop());
  commonChecks(run, file);
  return run;
}

/** The code cell whose source contains `snippet`. */
export function cellWith(run: DemoRun, snippet: string): ExecutedCell {
  const c = run.cells.find(x => x.cell_type === 'code' && x.source.includes(snippet));
  if (!c) throw new Error(`no cell contains ${snippet}`);
  return c;
}

/** Everything a cell printed or displayed as text. */
export const text = (c: ExecutedCell): string => c.outputs.map(textOf).join('');

/** The Lomas results a cell displayed. */
export function results(c: ExecutedCell): ResultBundle[] {
  return c.outputs
    .filter(o => o.data?.[RESULT_MIME])
    .map(o => o.data![RESULT_MIME] as ResultBundle);
}

/** The one Lomas result of the cell with `snippet`. */
export function resultOf(run: DemoRun, snippet: string): ResultBundle {
  const [r] = results(cellWith(run, snippet));
  if (!r) throw new Error(`no Lomas result in the cell with ${snippet}`);
  return r;
}

/** What the analyst (or the key given) has spent on a dataset, from the server. */
export async function spent(run: DemoRun, dataset: string, key = run.server.analystKey) {
  const res = await fetch(`${run.server.url}/v1/datasets/${dataset}/budget`, {
    headers: { Authorization: `Bearer ${key}` }
  });
  return ((await res.json()) as { spent: Record<string, string> }).spent;
}

/** What every demo notebook must do: run without an error, and save back to its committed form. */
function commonChecks(run: DemoRun, file: string): void {
  test('no cell fails', () => {
    expect(run.cells.flatMap(c => c.outputs).filter(o => o.output_type === 'error')).toEqual([]);
  });
  test('run, then saved by the demo workflow, the notebook is the committed file again', () => {
    expect(savedByDemoWorkflow(run.raw)).toBe(
      readFileSync(join(REPO_ROOT, 'notebooks', file), 'utf8')
    );
  });
}
