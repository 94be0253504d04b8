/**
 * Runs a real tslab kernel on kernel-lib/test/fixtures/tslab-query.ipynb (headless nbconvert):
 * tslab compiles each TypeScript cell to CommonJS JavaScript with its own TypeScript (5.0), and
 * the query builder must still read the compiled row functions. Needs `jupyter` (nbconvert) on
 * the PATH and builds kernel-lib (tsc -b) first. Set LOMAS_SKIP_TSLAB=1 to skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { op, QueryBuilder } from '../src/query';

const root = resolve(__dirname, '..', '..');
const run = process.env.LOMAS_SKIP_TSLAB === '1' ? describe.skip : describe;

interface Output {
  output_type: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
}

run('in a real tslab kernel', () => {
  let dir: string;
  let lines: string[] = [];
  let errors: Output[] = [];

  beforeAll(() => {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'kernel-lib'], {
      cwd: root,
      stdio: 'pipe'
    });
    dir = mkdtempSync(join(tmpdir(), 'lomas-tslab-'));
    const spec = join(dir, 'jupyter', 'kernels', 'tslab');
    mkdirSync(spec, { recursive: true });
    writeFileSync(
      join(spec, 'kernel.json'),
      JSON.stringify({
        argv: [
          join(root, 'node_modules', '.bin', 'tslab'),
          'kernel',
          '--config-path',
          '{connection_file}'
        ],
        display_name: 'TypeScript',
        language: 'typescript'
      })
    );
    execFileSync(
      'jupyter',
      [
        'nbconvert',
        '--to',
        'notebook',
        '--execute',
        join(__dirname, 'fixtures', 'tslab-query.ipynb'),
        '--output-dir',
        dir,
        '--ExecutePreprocessor.kernel_name=tslab',
        '--ExecutePreprocessor.timeout=60'
      ],
      {
        cwd: root,
        stdio: 'pipe',
        env: { ...process.env, JUPYTER_PATH: join(dir, 'jupyter') },
        timeout: 90000
      }
    );
    const nb = JSON.parse(readFileSync(join(dir, 'tslab-query.ipynb'), 'utf8')) as {
      cells: Array<{ outputs: Output[] }>;
    };
    const outputs = nb.cells.flatMap(c => c.outputs);
    errors = outputs.filter(o => o.output_type === 'error');
    lines = outputs
      .filter(o => o.output_type === 'stream')
      .flatMap(o => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')).split('\n'));
  }, 120000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds the plan from arrow functions after tslab compiled the cell', () => {
    expect(errors).toEqual([]);
    const line = lines.find(l => l.startsWith('PLAN '));
    expect(line).toBeDefined();
    const printed = JSON.parse(line!.slice(5));
    // The same query built here (ts-jest compiles it differently) gives the same plan.
    const expected = new QueryBuilder('penguins')
      .filter(d => d.island === 'Biscoe' && d.body_mass_g > 3000)
      .filter((d, $) => (d.bill_length_mm ?? 0) >= $.min, { min: 40 })
      .derive({ name_len: d => d.sex?.length ?? 0, year: d => op.year(d.seen) })
      .filter(d => d.sex != null)
      .groupby('species')
      .mean('body_mass_g', { epsilon: 0.5, bounds: [2000, 7000] }).plan;
    expect(printed).toEqual(expected);
  });

  it('refuses a closure over a notebook variable, quoting it', () => {
    const line = lines.find(l => l.startsWith('REFUSED '));
    expect(JSON.parse(line!.slice(8))).toEqual({
      code: 'UNSUPPORTED_EXPRESSION',
      snippet: 'exports.minBill'
    });
  });
});
