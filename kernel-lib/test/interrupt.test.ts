/**
 * The kernel's stop button, as the notebook library sees it, against the real server: a run
 * waiting for its turn before the ledger is aborted and charges nothing; a run interrupted after
 * its charge says so, and the same run with its idempotency key gets the archived answer without
 * a second charge. (The SIGINT that Jupyter sends a kernel calls interruptRequests; the UI test
 * presses the real stop button.)
 */
import { LomasError } from '../src/protocol';
import { HttpClient } from '../src/client/http';
import { interruptRequests } from '../src/client/interrupt';
import { chargeOf, Runner } from '../src/client/runner';
import { gatedSource, type GatedSource } from '../../server/test/helpers/gatedSource';
import { ANALYST_KEY, METADATA, startE2E, toCsv, type E2E } from '../../server/test/e2e/harness';

let h: E2E;
let source: GatedSource;
let runner: Runner;

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
  runner = new Runner(
    new HttpClient({ url: h.url, token: ANALYST_KEY, display: false, timeoutMs: 60_000 })
  );
}, 60_000);

afterAll(async () => {
  await source?.close();
  await h?.stop();
});

const count = (dataset: string) => ({
  version: 1,
  dataset,
  steps: [],
  aggregations: [{ op: 'count' }],
  budget: { epsilon: '1' }
});

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

async function interrupted(p: Promise<unknown>): Promise<LomasError> {
  const err = await p.then(
    () => new Error('the run was not interrupted'),
    (e: unknown) => e
  );
  if (!(err instanceof LomasError)) throw err;
  return err;
}

test('interrupting a run: uncharged before the ledger, charged after it, and its answer kept', async () => {
  // Charged, then stuck reading its data: the one slot is taken.
  const slow = interrupted(runner.run(count('gated'), { idempotencyKey: 'lib-slow-run-1' }));
  await until('the charged run to read its data', () => source.requests() > 0);
  interruptRequests();
  const charged = await slow;
  expect(charged.code).toBe('CANCELLED');
  expect(chargeOf(charged)).toBe('charged');
  expect(charged.message).toContain('The server had already charged it (ε=1, δ=0');
  expect(charged.message).toContain('.run({ idempotencyKey: "lib-slow-run-1" })');

  // Waits for the slot, before its charge; interrupted there.
  const before = await h.budget('e2e');
  const queued = interrupted(runner.run(count('e2e'), { idempotencyKey: 'lib-queued-run-1' }));
  await new Promise(r => setTimeout(r, 500));
  interruptRequests();
  const notCharged = await queued;
  expect(notCharged.code).toBe('CANCELLED');
  expect(chargeOf(notCharged)).toBe('not charged');
  expect(notCharged.message).toContain('nothing was spent');
  expect(await h.budget('e2e')).toEqual(before);

  // The same run with its key: the archived answer once the data came, charged once.
  source.open();
  const again = await runner.run(count('gated'), { idempotencyKey: 'lib-slow-run-1' });
  expect(again.release.queryId).toBe(charged.details.queryId);
  expect((await h.budget('gated')).spent.epsilon).toBe('1');
}, 60_000);
