/**
 * The rate limit shared through the store (SharedWindows): several limiters on one store stand for
 * several server processes. Real servers on FerretDB: server/test/replicas/rateLimit.test.ts.
 */
import { SharedWindows } from '../../src/http/rateLimit';
import { MemoryStore } from '../../src/store/memory';
import type { RateSlot } from '../../src/store/types';

/** A MemoryStore that counts the slot inserts and purges it receives. */
class CountingStore extends MemoryStore {
  takes = 0;
  purges: number[] = [];
  override async takeRateSlot(slot: RateSlot) {
    this.takes++;
    await new Promise(r => setImmediate(r)); // let the other "servers" interleave
    return super.takeRateSlot(slot);
  }
  override async purgeRateSlots(beforeWindow: number) {
    this.purges.push(beforeWindow);
    return super.purgeRateSlots(beforeWindow);
  }
}

const MINUTE = 60_000;

describe('SharedWindows (a rate limit shared by every server on the store)', () => {
  test('three servers on one store admit exactly the limit per window, whatever the interleaving', async () => {
    const store = new CountingStore();
    let t = 1000 * MINUTE + 5_000;
    const servers = [0, 1, 2].map(() => new SharedWindows(store, { perMinute: 30, now: () => t }));
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) => servers[i % 3].take('key:k1'))
    );
    expect(results.filter(r => r.ok)).toHaveLength(30);
    // Each server tries each slot at most once per window.
    expect(store.takes).toBeLessThanOrEqual(3 * 30);
    // Once a server has seen the window full it refuses without touching the store.
    const before = store.takes;
    for (const s of servers) expect((await s.take('key:k1')).ok).toBe(false);
    expect(store.takes).toBe(before);
    // Another credential has its own quota.
    expect((await servers[1].take('key:k2')).ok).toBe(true);
    // The next window has a fresh quota, and the server forgets the windows before the previous.
    t += MINUTE;
    const next = await Promise.all(
      Array.from({ length: 40 }, (_, i) => servers[i % 3].take('key:k1'))
    );
    expect(next.filter(r => r.ok)).toHaveLength(30);
    expect(store.purges).toContain(1000);
  });

  test('Retry-After is the number of whole seconds until the window turns', async () => {
    let t = 7 * MINUTE + 45_500;
    const s = new SharedWindows(new MemoryStore(), { perMinute: 2, now: () => t });
    expect((await s.take('k')).ok).toBe(true);
    expect((await s.take('k')).ok).toBe(true);
    expect(await s.take('k')).toEqual({ ok: false, retryAfter: 15, remaining: 0 });
    t = 8 * MINUTE - 10;
    expect((await s.take('k')).retryAfter).toBe(1);
    t = 8 * MINUTE;
    expect((await s.take('k')).ok).toBe(true);
  });

  test('a shorter window gets its share of the per-minute rate', async () => {
    const t = 100 * MINUTE;
    const s = new SharedWindows(new MemoryStore(), {
      perMinute: 60,
      windowMs: 10_000,
      now: () => t
    });
    let ok = 0;
    while ((await s.take('k')).ok) ok++;
    expect(ok).toBe(10);
  });

  test('refuses settings that make no limit', () => {
    expect(() => new SharedWindows(new MemoryStore(), { perMinute: 0 })).toThrow(RangeError);
    expect(() => new SharedWindows(new MemoryStore(), { perMinute: 10, windowMs: 10 })).toThrow(
      RangeError
    );
  });

  test('a failing purge is reported, never thrown at the request', async () => {
    const store = new MemoryStore();
    store.purgeRateSlots = () => Promise.reject(new Error('store down'));
    const errors: unknown[] = [];
    const s = new SharedWindows(store, { perMinute: 5, onPurgeError: e => errors.push(e) });
    expect((await s.take('k')).ok).toBe(true);
    await new Promise(r => setImmediate(r));
    expect(errors).toHaveLength(1);
  });
});
