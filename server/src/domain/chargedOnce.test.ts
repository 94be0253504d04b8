import type { BudgetStatus } from 'lomas-kernel/protocol';
import pino from 'pino';
import { createLedger } from '../ledger';
import { MemoryStore } from '../store/memory';
import type { DatasetRecord } from '../store/types';
import { chargedOnce, chargedOnceContext } from './chargedOnce';

/** A memory store whose flush() (the charge's way to disk) the test ends by hand. */
class SlowDisk extends MemoryStore {
  pending: { ok: () => void; fail: (e: Error) => void }[] = [];
  override flush(): Promise<void> {
    return new Promise((ok, fail) => this.pending.push({ ok, fail }));
  }
}

const dataset: DatasetRecord = {
  name: 'd',
  connector: { kind: 'local', path: 'unused.csv', format: 'csv' } as never,
  metadata: {} as never,
  accounting: 'pure',
  cap: null,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z'
};

interface Res {
  value: number;
  queryId?: string;
  budget?: BudgetStatus;
}

function setup() {
  const store = new SlowDisk();
  const ledger = createLedger(store);
  const ctx = chargedOnceContext<Res>({
    store,
    ledger,
    logger: pino({ level: 'silent' })
  });
  const events: string[] = [];
  const request = (compute: () => Promise<Res>) =>
    chargedOnce<Res>(ctx, {
      who: { user: 'ana', role: 'analyst' } as never,
      dataset,
      grant: { epsilon: '10', delta: '0' },
      charge: { epsilon: '1', delta: '0' },
      display: { epsilon: '1', delta: '0' },
      plan: { q: 1 },
      idempotencyKey: null,
      what: 'query',
      compute
    });
  return { store, ledger, events, request };
}

const tick = () => new Promise(r => setImmediate(r));

describe('chargedOnce: the computation overlaps the charge’s way to disk, the answer waits for it', () => {
  test('compute starts before the charge is durable; nothing is archived or answered before', async () => {
    const { store, events, request } = setup();
    let answered = false;
    const answer = request(async () => {
      events.push('computed');
      return { value: 42 };
    }).then(r => ((answered = true), r));
    await tick();
    await tick();
    expect(events).toEqual(['computed']); // ran while the sync is pending
    expect(store.pending).toHaveLength(1);
    expect(answered).toBe(false);
    expect(await store.listArchive({})).toEqual([]);
    store.pending[0].ok();
    const r = await answer;
    expect(r.value).toBe(42);
    expect(await store.listArchive({})).toHaveLength(1);
  });

  test('a failed computation is not answered before the charge is durable either', async () => {
    const { store, request } = setup();
    let settled = false;
    const answer = request(async () => {
      throw new Error('engine down');
    });
    answer.catch(() => (settled = true));
    await tick();
    await tick();
    expect(settled).toBe(false);
    store.pending[0].ok();
    await expect(answer).rejects.toMatchObject({ code: 'QUERY_FAILED' });
  });

  test('a failed sync releases nothing: UNAVAILABLE, no archive record, after the computation ended', async () => {
    const { store, events, request } = setup();
    let finish!: () => void;
    const answer = request(async () => {
      await new Promise<void>(r => (finish = r));
      events.push('computed');
      return { value: 42 };
    });
    let settled = false;
    answer.catch(() => (settled = true));
    await tick();
    store.pending[0].fail(new Error('EIO'));
    await tick();
    await tick();
    expect(settled).toBe(false); // the admission slot is held until the computation ends
    finish();
    await expect(answer).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(events).toEqual(['computed']);
    expect(await store.listArchive({})).toEqual([]);
    // The error names the ledger and says nothing was released; the cause stays for the log.
    const e = (await answer.catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/could not be written to disk; nothing was released/);
    expect(e.cause).toEqual(new Error('EIO'));
  });

  test("a release shows the budget its own charge left, not a concurrent charge's", async () => {
    const { store, request } = setup();
    const syncAll = async () => {
      for (let i = 0; i < 5; i++) {
        for (const p of store.pending.splice(0)) p.ok();
        await tick();
      }
    };
    let finish!: () => void;
    const slow = request(() => new Promise<Res>(ok => (finish = () => ok({ value: 1 }))));
    await syncAll();
    // A second charge of the same analyst lands while the first still computes.
    const fast = request(async () => ({ value: 2 }));
    await syncAll();
    expect((await fast).budget?.spent).toEqual({ epsilon: '2', delta: '0' });
    finish();
    await syncAll();
    expect((await slow).budget).toMatchObject({
      spent: { epsilon: '1', delta: '0' },
      remaining: { epsilon: '9', delta: '0' }
    });
  });
});
