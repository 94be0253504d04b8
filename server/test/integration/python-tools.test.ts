/**
 * The Python tools that the test run installs into cached venvs (.ci/python.sh) run:
 * lomas-client 0.5.1 (the Python Lomas client, issue 15) and Schemathesis 4.32 (issue 10).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeWith, serviceEnv } from '../helpers/services';

const run = promisify(execFile);
const HOW =
  'Run `npm test`, or `source .ci/python.sh && python_tools_install` in the shell that runs jest.';
const env = serviceEnv('Python tools', ['LOMAS_CLIENT_PYTHON', 'SCHEMATHESIS_BIN'], HOW);

describeWith(env)('Python tools for the compatibility and contract tests', () => {
  test('lomas-client 0.5.1 and lomas-core 0.5.1 import', async () => {
    const script = [
      'import importlib.metadata as m, os, sys',
      'import lomas_client, lomas_core',
      'from lomas_client import Client',
      "print(m.version('lomas-client'), m.version('lomas-core'))",
      // The client's telemetry exporters can hold a normal exit for minutes.
      'sys.stdout.flush(); os._exit(0)'
    ].join('\n');
    const { stdout } = await run(env!.LOMAS_CLIENT_PYTHON, ['-c', script], { timeout: 110_000 });
    expect(stdout.trim()).toBe('0.5.1 0.5.1');
  }, 120_000);

  test('schemathesis --version says 4.32', async () => {
    const { stdout } = await run(env!.SCHEMATHESIS_BIN, ['--version'], { timeout: 50_000 });
    expect(stdout).toMatch(/^schemathesis, version 4\.32\.\d+$/m);
  }, 60_000);
});
