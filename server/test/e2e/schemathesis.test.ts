/**
 * The wire contract checked by a tool no one here wrote: Schemathesis (PyPI) reads /openapi.json
 * of a real server process (demo datasets, embedded store) and sends it thousands of generated
 * requests, valid and invalid, once with the demo analyst's key and once with the admin key. No
 * answer may be a 5xx, break its own response schema, carry an undocumented status, content type
 * or header.
 *
 * The Python Lomas client's routes (/lomas) are in the document too. Their job status route takes
 * a job's uid, which no generated value hits: each run first starts real jobs with its key (a cost
 * estimate, a dummy query and, for the analyst, a charged query) and hands their uids to
 * Schemathesis (schemathesis.toml, a dictionary for the `uid` path parameter), so the answers of
 * finished jobs are checked against their schema too.
 *
 * The binary comes from SCHEMATHESIS_BIN (the CI's Python venv, .ci/python.sh, pins
 * schemathesis==4.32.*). Without it the test is skipped with a message, except in CI (CI set),
 * where its absence fails. Seeded (SEED), so a failure replays; Schemathesis prints a curl line
 * for each failing case.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess';

const BIN = process.env.SCHEMATHESIS_BIN;
const SEED = process.env.LOMAS_SCHEMATHESIS_SEED ?? '7';
const EXAMPLES = process.env.LOMAS_SCHEMATHESIS_EXAMPLES ?? '8';
/** Each run is stopped (and fails) after this long, so a slow machine cannot hang the suite. */
const DEADLINE_MS = Number(process.env.LOMAS_SCHEMATHESIS_DEADLINE_MS ?? 720000);
const children = new Set<ReturnType<typeof spawn>>();
const CHECKS = [
  'not_a_server_error',
  'response_schema_conformance',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance'
].join(',');

function run(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise(resolve => {
    const child = spawn(BIN!, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
    children.add(child);
    let out = '';
    const timer = setTimeout(() => {
      out += `\n[stopped: still running after ${DEADLINE_MS} ms]`;
      child.kill('SIGKILL');
    }, DEADLINE_MS);
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    child.on('close', code => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, out });
    });
  });
}

/** Starts the jobs of the Python client's SQL calls that this key may start; their uids. */
async function startJobs(url: string, key: string, spends: boolean): Promise<string[]> {
  const sql = {
    dataset_name: 'penguins',
    query_str: 'SELECT species, AVG(bill_length_mm) AS b FROM df GROUP BY species',
    epsilon: 0.1,
    delta: 0,
    mechanisms: {}
  };
  const calls: Array<[string, object]> = [
    ['estimate_smartnoise_sql_cost', sql],
    ['dummy_smartnoise_sql_query', { ...sql, postprocess: true, dummy_nb_rows: 20, dummy_seed: 1 }]
  ];
  if (spends) calls.push(['smartnoise_sql_query', { ...sql, postprocess: true }]);
  const uids: string[] = [];
  for (const [name, body] of calls) {
    const res = await fetch(`${url}/lomas/${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    });
    const answer = (await res.json()) as { uid?: string };
    if (res.status !== 202 || !answer.uid)
      throw new Error(`${name}: ${res.status} ${JSON.stringify(answer)}`);
    uids.push(answer.uid);
  }
  return uids;
}

/** How many job answers (200) the server has sent on GET /lomas/status/{uid} (its metrics). */
async function jobAnswers(url: string, adminKey: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } });
  const line = (await res.text())
    .split('\n')
    .find(l =>
      l.startsWith(
        'lomas_http_requests_total{method="GET",route="/lomas/status/{uid}",status="200"}'
      )
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Schemathesis's configuration (read from its working directory): the jobs' uids. */
function writeConfig(cwd: string, uids: string[]): void {
  writeFileSync(
    join(cwd, 'schemathesis.toml'),
    [
      '[dictionaries.jobs]',
      `values = [${uids.map(u => JSON.stringify(u)).join(', ')}]`,
      '',
      '[parameters]',
      '"path.uid" = { dictionary = "jobs" }',
      ''
    ].join('\n')
  );
}

if (!BIN) {
  if (process.env.CI) {
    test('Schemathesis is available (SCHEMATHESIS_BIN)', () => {
      throw new Error('SCHEMATHESIS_BIN is not set: source .ci/python.sh, which installs it');
    });
  } else {
    test.skip('Schemathesis contract run: skipped, SCHEMATHESIS_BIN is not set (pip install "schemathesis==4.32.*" and point SCHEMATHESIS_BIN at its binary)', () =>
      undefined);
  }
} else {
  describe('Schemathesis against /openapi.json of a real server', () => {
    let server: ServerProcess;
    let cwd: string;
    beforeAll(async () => {
      server = await startServerProcess({
        env: {
          LOMAS_RATE_LIMIT_PER_MINUTE: '1000000',
          LOMAS_MIN_LATENCY_MS: '0',
          LOMAS_LATENCY_JITTER_MS: '0'
        }
      });
      cwd = mkdtempSync(join(tmpdir(), 'lomas-schemathesis-'));
    }, 90000);
    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await server?.stop();
      if (cwd) rmSync(cwd, { recursive: true, force: true });
    });

    test.each([
      // The demo analyst has a grant on penguins; the admin reads it but spends nothing.
      ['analyst', () => server.analystKey, true],
      ['admin', () => server.adminKey, false]
    ])(
      'with the %s key: zero 5xx, zero answers that break their schema',
      async (who, key, spends) => {
        writeConfig(cwd, await startJobs(server.url, key(), spends));
        const answersBefore = await jobAnswers(server.url, server.adminKey);
        const { code, out } = await run(
          [
            'run',
            `${server.url}/openapi.json`,
            '-H',
            `Authorization: Bearer ${key()}`,
            '--checks',
            CHECKS,
            '--max-examples',
            EXAMPLES,
            '--seed',
            SEED,
            '--generation-database',
            'none',
            '--no-color',
            '--output-truncate',
            'true'
          ],
          cwd
        );
        const cases = /(\d+) generated/.exec(out)?.[1];
        console.log(`schemathesis (${who} key, seed ${SEED}): ${cases ?? '?'} cases, exit ${code}`);
        if (code !== 0)
          throw new Error(`Schemathesis failed (exit ${code}):\n${out.slice(-20000)}`);
        expect(Number(cases)).toBeGreaterThan(1000);
        // The jobs' uids reached Schemathesis: it read finished jobs, not only unknown uids.
        // Checked after the analyst's run only: the admin's run may revoke its own key (its
        // stateful phase follows GET /admin/users/{name}/keys to DELETE /admin/keys/{id}), and
        // /metrics then answers 401.
        if (who === 'analyst') {
          const read = (await jobAnswers(server.url, server.adminKey)) - answersBefore;
          console.log(`schemathesis (${who} key): ${read} answers of finished /lomas jobs read`);
          expect(read).toBeGreaterThan(0);
        }
        // Nothing the server logged as a failure of its own while it was being fuzzed.
        expect(server.logs()).not.toMatch(/"level":50/);
      },
      DEADLINE_MS + 60000
    );
  });
}
