/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * Every failure after the charge looks the same to the analyst: a timeout, an out-of-memory, too
 * many discovered keys, two engine rows with one key, a data source that cannot be read. Which one
 * happened can depend on the private data, so each is answered with the same code and message,
 * charged exactly once, archived, and repeated unchanged to a retry with the same Idempotency-Key.
 * The real cause goes to the server log only.
 *
 * Two real servers (startServer, real DuckDB): one whose statements time out after 100 ms, one
 * whose DuckDB instances have 40 MB of memory (DuckDB's CSV reader alone takes 32 MB). Both read a 200,000-row CSV ((ε, δ) accounting, so
 * keys can be discovered).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import * as compileModule from '../../src/query/compile';
import { ANALYST_KEY, plan, startE2E, type E2E, type Reply } from './harness';

const ROWS = 200_000;
const WIDE = {
  max_ids: 1,
  row_privacy: true,
  columns: {
    k: { type: 'int', nullable: false },
    g: { type: 'int', lower: 0, upper: 9999, nullable: false },
    v: { type: 'float', lower: 0, upper: 1, nullable: false }
  }
};

/** A server whose log lines are kept, so the test can read the cause it logged. */
async function serverWith(env: Record<string, string>): Promise<{ e2e: E2E; logs: any[] }> {
  const logs: any[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    }
  });
  const e2e = await startE2E({ env, logger: pino({ level: 'error' }, sink) });
  const csv = join(e2e.dataDir, 'wide.csv');
  const lines = ['k,g,v'];
  for (let i = 0; i < ROWS; i++) lines.push(`${i},${i % 10_000},${(i % 97) / 97}`);
  writeFileSync(csv, lines.join('\n') + '\n');
  return { e2e, logs };
}

async function register(e2e: E2E, name: string, path: string, metadata: unknown): Promise<void> {
  const created = await e2e.admin('POST', '/admin/datasets', {
    name,
    connector: { kind: 'file', path, format: 'csv' },
    metadata,
    accounting: 'approx',
    cap: null
  });
  expect(created.status).toBe(201);
  const grant = await e2e.admin('PUT', `/admin/grants/${name}/analyst`, {
    epsilon: '10',
    delta: '0.001'
  });
  expect(grant.status).toBe(200);
}

let slow: { e2e: E2E; logs: any[] };
let small: { e2e: E2E; logs: any[] };

beforeAll(async () => {
  slow = await serverWith({ LOMAS_QUERY_TIMEOUT_MS: '100' });
  small = await serverWith({ LOMAS_DUCKDB_MEMORY_LIMIT: '40MB' });
  const wide = (s: { e2e: E2E }) => join(s.e2e.dataDir, 'wide.csv');
  await register(slow.e2e, 'timeout', wide(slow), WIDE);
  await register(small.e2e, 'memory', wide(small), WIDE);
  await register(small.e2e, 'cap', wide(small), WIDE);
  await register(small.e2e, 'duplicate', wide(small), WIDE);
  await register(small.e2e, 'connector', join(small.e2e.dataDir, 'missing.csv'), WIDE);
}, 120_000);

afterAll(async () => {
  await slow?.e2e.stop();
  await small?.e2e.stop();
});

const discover = { keys: ['k'], discover: { delta: '0.000001' } };

/** One failure of each kind: the server, the plan, and the cause the log must name. */
const CASES: Record<string, { server: () => E2E; plan: unknown; cause: string }> = {
  // 10,000 public groups × 256 quantile candidates: seconds of work, stopped after 100 ms.
  timeout: {
    server: () => slow.e2e,
    plan: { groupby: { keys: ['g'] }, aggregations: [{ op: 'median', column: 'v' }] },
    cause: 'timeout'
  },
  // 200,000 discovered groups, each with its quantile histogram: more than 40 MB.
  memory: {
    server: () => small.e2e,
    plan: { groupby: discover, aggregations: [{ op: 'median', column: 'v' }] },
    cause: 'memory'
  },
  // 200,000 distinct keys, above the public cap of 10,000.
  cap: {
    server: () => small.e2e,
    plan: { groupby: discover, aggregations: [{ op: 'count' }] },
    cause: 'group-cap'
  },
  // The compiled statement is doctored (below) to return every group twice.
  duplicate: {
    server: () => small.e2e,
    plan: { groupby: { keys: ['g'] }, aggregations: [{ op: 'count' }] },
    cause: 'duplicate-key'
  },
  connector: {
    server: () => small.e2e,
    plan: { aggregations: [{ op: 'count' }] },
    cause: 'connector'
  }
};

async function runCase(name: string, key: string): Promise<Reply> {
  const c = CASES[name];
  if (name !== 'duplicate') return c.server().run(plan(c.plan as never, name), key);
  const original = compileModule.compile;
  const spy = jest.spyOn(compileModule, 'compile').mockImplementation((p, storage) => {
    const q = original(p, storage);
    return { ...q, sql: `${q.sql} UNION ALL ${q.sql}` };
  });
  try {
    return await c.server().run(plan(c.plan as never, name), key);
  } finally {
    spy.mockRestore();
  }
}

/** The body without the one thing that must differ: the query id. */
const withoutQueryId = (body: any) => ({
  ...body,
  details: { ...body.details, queryId: undefined }
});

test('every post-charge failure gets the same answer, is charged once, archived, and replayed', async () => {
  const bodies: Record<string, any> = {};
  for (const name of Object.keys(CASES)) {
    const e2e = CASES[name].server();
    const key = `post-charge-${name}-0001`;
    const first = await runCase(name, key);
    expect({ name, status: first.status }).toEqual({ name, status: 500 });
    expect(first.body.code).toBe('QUERY_FAILED');
    expect(first.body.details.queryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.text).not.toMatch(/INTERRUPT|Out of Memory|missing\.csv|at .*\.js/); // no cause, no stack
    bodies[name] = first.body;
    expect((await e2e.budget(name)).spent.epsilon).toBe('1');

    const retry = await runCase(name, key);
    expect(retry.status).toBe(500);
    expect(retry.body).toEqual(first.body); // the same query id too: the same answer, replayed
    expect((await e2e.budget(name)).spent.epsilon).toBe('1');

    const history = await e2e.req('GET', `/v1/queries?dataset=${name}`, undefined, {
      key: ANALYST_KEY
    });
    expect(history.body).toHaveLength(1);
  }
  const reference = withoutQueryId(bodies.timeout);
  for (const name of Object.keys(CASES))
    expect({ name, body: withoutQueryId(bodies[name]) }).toEqual({ name, body: reference });

  // The real cause is in the server's log, next to the query id.
  for (const name of Object.keys(CASES)) {
    const logs = CASES[name].server() === slow.e2e ? slow.logs : small.logs;
    const line = logs.find(l => l.queryId === bodies[name].details.queryId);
    expect({ name, cause: line?.cause }).toEqual({ name, cause: CASES[name].cause });
  }
}, 120_000);
