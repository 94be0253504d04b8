/**
 * The embedded store when a sync of its log fails (a disk error): the query whose charge could not
 * be made durable is refused, and so is everything after it, until the server is restarted. A
 * second fdatasync could report success for pages the kernel already dropped, and SQLite's
 * recovery ends the log at the first missing frame, so believing it would call later charges
 * durable that are not (store/sqlite.ts, flush).
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { call, countPlan, KEYS, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

test('a failed sync: that query and every later call are refused (503), nothing more is charged', async () => {
  const query = () =>
    call(h, 'POST', '/v1/queries', { key: KEYS.alice, body: countPlan('penguins') });
  expect((await query()).status).toBe(200);
  const probe = await open(join(h.dataDir, 'lomas.sqlite-wal'), 'r');
  const datasync = jest.spyOn(Object.getPrototypeOf(probe), 'datasync');
  await probe.close();
  try {
    datasync.mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    const failed = await query();
    expect(failed).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
    expect(failed.body.message).toMatch(/could not be written to disk; nothing was released/);
    expect(failed.text).not.toMatch(/EIO/); // the cause goes to the log only
    expect(datasync).toHaveBeenCalledTimes(1);

    const later = await query();
    expect(later).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
    expect(later.body.message).toMatch(/restarts the server/);
    expect(datasync).toHaveBeenCalledTimes(1); // no second sync is believed, or even tried
    expect(await call(h, 'GET', '/v1/datasets', { key: KEYS.alice })).toMatchObject({
      status: 503
    });
    expect(await call(h, 'GET', '/ready')).toMatchObject({
      status: 503,
      body: { status: 'unavailable' }
    });
    // Read through the harness's own handle on the file: the first query's charge and the one
    // whose sync failed, nothing after.
    const entries = await h.store.ledgerEntries({ dataset: 'penguins', user: 'alice' });
    expect(entries.filter(e => e.kind === 'charge')).toHaveLength(2);
  } finally {
    datasync.mockRestore();
  }
});
