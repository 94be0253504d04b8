/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * An analyst who interrupts a query (the kernel's stop button aborts its HTTP request): a request
 * still waiting for its turn, before the ledger, is never charged; one already charged keeps its
 * charge, runs to its end, and its archived answer comes back, uncharged, to the same request sent
 * with the same Idempotency-Key. GET /v1/charges/{key} says which of the two happened.
 *
 * The real server (startServer) admits one charged request at a time
 * (LOMAS_MAX_CONCURRENT_QUERIES=1); a dataset read over HTTP from a source whose answers wait
 * behind a gate keeps its query charged and loading for as long as the test wants.
 */
import { gatedSource, type GatedSource } from '../helpers/gatedSource';
import { ANALYST_KEY, METADATA, plan, startE2E, toCsv, type E2E, type Reply } from './harness';

let h: E2E;
let source: GatedSource;

beforeAll(async () => {
  h = await startE2E({ env: { LOMAS_MAX_CONCURRENT_QUERIES: '1' } });
  source = await gatedSource(toCsv(h.rows));
  const created = await h.admin('POST', '/admin/datasets', {
    name: 'gated',
    connector: { kind: 'http', url: source.url, format: 'csv' },
    metadata: METADATA,
    accounting: 'pure',
    cap: null
  });
  expect(created.status).toBe(201);
  expect(
    (await h.admin('PUT', '/admin/grants/gated/analyst', { epsilon: '10', delta: '0' })).status
  ).toBe(200);
}, 60_000);

afterAll(async () => {
  await source?.close();
  await h?.stop();
});

const count = (dataset: string) =>
  plan({ aggregations: [{ op: 'count' }], budget: { epsilon: '1' } }, dataset);

/** POST /v1/queries that the test can abandon, as an interrupted kernel does. */
function send(body: unknown, key: string, signal?: AbortSignal): Promise<Reply> {
  return fetch(`${h.url}/v1/queries`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ANALYST_KEY}`,
      'content-type': 'application/json',
      'idempotency-key': key
    },
    body: JSON.stringify(body),
    signal
  }).then(async res => {
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : undefined,
      text,
      headers: res.headers
    };
  });
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out: ${what}`);
}

const charge = (key: string) => h.req('GET', `/v1/charges/${key}`);

async function charges(dataset: string): Promise<any[]> {
  const r = await h.admin('GET', `/admin/ledger?dataset=${dataset}`);
  expect(r.status).toBe(200);
  return r.body.filter((e: any) => e.kind === 'charge');
}

test('interrupted before the ledger: never charged; after it: charged once, answer kept for its key', async () => {
  // A: charged, then stuck reading its data (the gate is closed). It holds the only slot.
  const slowKey = 'cancel-slow-query-1';
  const slowClient = new AbortController();
  const slow = send(count('gated'), slowKey, slowClient.signal).catch(e => e as Error);
  await until('the charged query to start reading its data', async () =>
    source.requests() > 0 ? true : undefined
  );
  const charged = await charge(slowKey);
  expect(charged.status).toBe(200);
  expect(charged.body).toMatchObject({
    idempotencyKey: slowKey,
    dataset: 'gated',
    cost: { epsilon: '1', delta: '0' },
    answer: 'pending'
  });

  // B waits for the slot, before its charge; its analyst interrupts it.
  const budgetBefore = await h.budget('e2e');
  const waitingKey = 'cancel-waiting-query-1';
  const waitingClient = new AbortController();
  const waiting = send(count('e2e'), waitingKey, waitingClient.signal).catch(e => e as Error);
  // C waits too, and its analyst keeps waiting: the control that requests do queue and run.
  const patientKey = 'cancel-patient-query-1';
  const patient = send(count('e2e'), patientKey);
  await sleep(500);
  waitingClient.abort();
  expect(await waiting).toMatchObject({ name: 'AbortError' });

  const notCharged = await charge(waitingKey);
  expect(notCharged.status).toBe(404);
  expect(notCharged.body.code).toBe('NOT_FOUND');
  expect(await h.budget('e2e')).toEqual(budgetBefore);
  expect(await charges('e2e')).toEqual([]);

  // A's analyst interrupts it too, after its charge: the charge stands, the query goes on.
  slowClient.abort();
  expect(await slow).toMatchObject({ name: 'AbortError' });
  expect((await charge(slowKey)).body.answer).toBe('pending');

  source.open();
  const done = await until('the abandoned query to be archived', async () => {
    const r = await charge(slowKey);
    return r.body.answer === 'release' ? r.body : undefined;
  });
  expect(done.queryId).toBe(charged.body.queryId);

  // C got the slot once A was done: charged and answered.
  const c = await patient;
  expect(c.status).toBe(200);
  expect((await charge(patientKey)).body).toMatchObject({
    queryId: c.body.queryId,
    answer: 'release'
  });

  // The same request with A's key: A's archived answer, no second charge.
  const again = await send(count('gated'), slowKey);
  expect(again.status).toBe(200);
  expect(again.body.queryId).toBe(charged.body.queryId);
  expect((await charges('gated')).map(e => e.idempotencyKey)).toEqual([slowKey]);
  expect((await h.budget('gated')).spent.epsilon).toBe('1');

  // B was never charged, also later: only C's charge is on its dataset.
  expect((await charges('e2e')).map(e => e.idempotencyKey)).toEqual([patientKey]);
  expect((await charge(waitingKey)).status).toBe(404);
}, 60_000);
