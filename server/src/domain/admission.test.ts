import { LomasError } from 'lomas-kernel/protocol';
import { createAdmission, inSlot } from './admission';

/** A microtask-and-timer flush: lets queued wake-ups run. */
const tick = () => new Promise(r => setImmediate(r));

describe('admission of charged requests', () => {
  test('at most `limit` run at once; the others are admitted in arrival order', async () => {
    const a = createAdmission(2);
    const order: string[] = [];
    const t1 = await a.admit('u', null);
    const t2 = await a.admit('u', null);
    const p3 = a.admit('u', null).then(t => (order.push('3'), t));
    const p4 = a.admit('u', null).then(t => (order.push('4'), t));
    await tick();
    expect(order).toEqual([]);
    expect(a.counts()).toEqual({ running: 2, waiting: 2 });
    t1.leave();
    t1.leave(); // idempotent: frees one slot only
    const t3 = await p3;
    await tick();
    expect(order).toEqual(['3']);
    t2.leave();
    const t4 = await p4;
    expect(order).toEqual(['3', '4']);
    t3.leave();
    t4.leave();
    expect(a.counts()).toEqual({ running: 0, waiting: 0 });
  });

  test('a client gone while waiting leaves the queue with CANCELLED and takes no slot', async () => {
    const a = createAdmission(1);
    const first = await a.admit('u', null);
    const gone = new AbortController();
    const waiting = a.admit('u', 'key-waiting', gone.signal);
    const next = a.admit('u', null);
    await tick();
    gone.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(waiting).rejects.toBeInstanceOf(LomasError);
    expect(a.counts()).toEqual({ running: 1, waiting: 1 });
    first.leave();
    (await next).leave();
    expect(a.counts()).toEqual({ running: 0, waiting: 0 });
  });

  test('a client already gone is refused before it is admitted', async () => {
    const a = createAdmission(4);
    const gone = new AbortController();
    gone.abort();
    await expect(a.admit('u', 'k', gone.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(a.counts()).toEqual({ running: 0, waiting: 0 });
  });

  test('"was it charged?" waits for a request of that key until its charge step is over', async () => {
    const a = createAdmission(1);
    const blocker = await a.admit('u', null);
    const queued = a.admit('u', 'k1');
    let settled = false;
    const lookup = a.settled('u', 'k1').then(() => (settled = true));
    await tick();
    expect(settled).toBe(false); // still queued: a charge may come
    await a.settled('u', 'other-key'); // other keys and users do not wait
    await a.settled('v', 'k1');
    blocker.leave();
    const ticket = await queued;
    await tick();
    expect(settled).toBe(false); // admitted, charging
    ticket.charged();
    await lookup;
    expect(settled).toBe(true);
    ticket.leave();
  });

  test('a cancelled request ends its charge step (nothing will be charged for its key)', async () => {
    const a = createAdmission(1);
    const blocker = await a.admit('u', null);
    const gone = new AbortController();
    const queued = a.admit('u', 'k2', gone.signal);
    gone.abort();
    await expect(queued).rejects.toMatchObject({ code: 'CANCELLED' });
    await a.settled('u', 'k2'); // resolves at once
    blocker.leave();
  });

  test('inSlot: the charge step, then the rest, in a slot freed at the end, also on failure', async () => {
    const a = createAdmission(1);
    const req = { user: 'u', idempotencyKey: 'key-00000001' };
    let settled = false;
    const result = await inSlot(
      a,
      req,
      async () => {
        void a.settled('u', 'key-00000001').then(() => (settled = true));
        await tick();
        expect(settled).toBe(false); // "was it charged?" waits for the charge step
        return 'charged';
      },
      async c => {
        await tick();
        expect(settled).toBe(true); // answered once the charge step is over
        expect(a.counts().running).toBe(1);
        return `${c}, answered`;
      }
    );
    expect(result).toBe('charged, answered');
    expect(a.counts()).toEqual({ running: 0, waiting: 0 });
    await expect(
      inSlot(
        a,
        req,
        async () => {
          throw new Error('refused by the ledger');
        },
        async () => 'never'
      )
    ).rejects.toThrow('refused by the ledger');
    expect(a.counts()).toEqual({ running: 0, waiting: 0 });
  });

  test('inSlot: a client gone while waiting is never charged', async () => {
    const a = createAdmission(1);
    const holder = await a.admit('u', null);
    const gone = new AbortController();
    let charged = false;
    const waiting = inSlot(
      a,
      { user: 'u', idempotencyKey: 'key-00000002', signal: gone.signal },
      async () => (charged = true),
      async () => 'answered'
    );
    await tick();
    gone.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(charged).toBe(false);
    holder.leave();
    expect(a.counts()).toEqual({ running: 0, waiting: 0 });
  });
});
