import express from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { LomasError } from 'lomas-kernel/protocol';
import { errorHandler } from '../../src/http/errorHandler';
import { rateLimit, TokenBuckets } from '../../src/http/rateLimit';
import {
  cryptoJitter,
  latencyTarget,
  timingProtection,
  touchesPrivateData
} from '../../src/http/timing';
import { createLogger } from '../../src/logger';
import { call, countPlan, KEYS, startHarness } from './harness';

describe('token bucket', () => {
  test('allows a burst of capacity, then refills at the configured rate', () => {
    let t = 0;
    const b = new TokenBuckets({ perMinute: 60, now: () => t });
    for (let i = 0; i < 60; i++) expect(b.take('k').ok).toBe(true);
    const refused = b.take('k');
    expect(refused).toEqual({ ok: false, retryAfter: 1, remaining: 0 });
    t += 999;
    expect(b.take('k').ok).toBe(false);
    t += 2;
    expect(b.take('k').ok).toBe(true);
    expect(b.take('k').ok).toBe(false);
    // Another key has its own bucket.
    expect(b.take('other').ok).toBe(true);
  });

  test('Retry-After is the wait for the next token, in whole seconds', () => {
    let t = 0;
    const b = new TokenBuckets({ perMinute: 2, now: () => t });
    expect(b.take('k').ok).toBe(true);
    expect(b.take('k').ok).toBe(true);
    expect(b.take('k').retryAfter).toBe(30);
    t += 10_000;
    expect(b.take('k').retryAfter).toBe(20);
  });

  test('a full bucket never holds more than its capacity; idle buckets are forgotten', () => {
    let t = 0;
    const b = new TokenBuckets({ perMinute: 10, capacity: 3, now: () => t, idleMs: 1000 });
    t += 3_600_000;
    let ok = 0;
    while (b.take('k').ok) ok++;
    expect(ok).toBe(3);
    b.take('x');
    expect(b.size).toBe(2);
    t += 5000;
    b.take('y');
    expect(b.size).toBe(1);
  });

  test('the middleware answers 429 RATE_LIMITED with Retry-After, per key, through the real app', async () => {
    const h = await startHarness({ rateLimitPerMinute: 5 });
    try {
      // The server's limit is shared through its store in clock minutes (SharedWindows): start
      // early enough in one minute that these requests all fall in it.
      const into = Date.now() % 60_000;
      if (into > 50_000) await new Promise(r => setTimeout(r, 60_000 - into + 20));
      const statuses = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await call(h, 'GET', '/v1/me', { key: KEYS.alice })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const r = await call(h, 'GET', '/v1/me', { key: KEYS.alice });
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call(h, 'GET', '/v1/me', { key: KEYS.bob })).status).toBe(200);
      const metrics = await call(h, 'GET', '/metrics', { key: KEYS.admin });
      expect(metrics.text).toMatch(
        /lomas_http_requests_total\{method="GET",route="\/v1\/me",status="429"\} 3/
      );
    } finally {
      await h.close();
    }
  }, 40_000);

  test('rejects a non-positive rate', () => {
    expect(() => new TokenBuckets({ perMinute: 0 })).toThrow(RangeError);
    const mw = rateLimit({ perMinute: 1 });
    expect(typeof mw).toBe('function');
  });
});

describe('timing protection', () => {
  test('applies to POST /v1/queries, /v1/queries/sql, /v1/models, /lomas SQL queries and their dummy forms only', () => {
    const req = (method: string, path: string) => ({ method, path }) as never;
    expect(touchesPrivateData(req('POST', '/v1/queries/sql'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/v1/queries/sql/dummy'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/v1/queries/sql/estimate'))).toBe(false);
    expect(touchesPrivateData(req('POST', '/v1/queries'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/v1/queries/dummy'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/v1/models'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/v1/models/dummy'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/v1/models/estimate'))).toBe(false);
    expect(touchesPrivateData(req('POST', '/v1/queries/estimate'))).toBe(false);
    expect(touchesPrivateData(req('GET', '/v1/queries'))).toBe(false);
    expect(touchesPrivateData(req('POST', '/lomas/smartnoise_sql_query'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/lomas/dummy_smartnoise_sql_query'))).toBe(true);
    expect(touchesPrivateData(req('POST', '/lomas/estimate_smartnoise_sql_cost'))).toBe(false);
    // A job's status only reads its stored answer: the query's work was timed at its 202.
    expect(
      touchesPrivateData(req('GET', '/lomas/status/0b9e6a52-4c7e-4d8a-9d0f-3f1c2b7a6e15'))
    ).toBe(false);
  });

  test('jitter comes from the CSPRNG and stays in [0, max]', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const j = cryptoJitter(10);
      expect(Number.isInteger(j) && j >= 0 && j <= 10).toBe(true);
      seen.add(j);
    }
    expect(seen.size).toBe(11);
    expect(cryptoJitter(0)).toBe(0);
    expect(latencyTarget({ minLatencyMs: 100, jitterMs: 50, jitter: m => m })).toBe(150);
    expect(latencyTarget({ minLatencyMs: 100, jitterMs: 0 })).toBe(100);
    // Source check: the module never uses Math.random.
    const src = readFileSync(join(__dirname, '../../src/http/timing.ts'), 'utf8');
    expect(src).not.toMatch(/Math\.random\(/);
  });

  async function tiny(minLatencyMs: number, jitterMs: number) {
    const app = express();
    app.use(timingProtection({ minLatencyMs, jitterMs }));
    app.post('/v1/queries', (req, res) => {
      if (req.query.fail)
        throw new LomasError('BUDGET_EXHAUSTED', { cost: '1', remaining: '0', dataset: 'd' });
      res.json({ ok: true });
    });
    app.get('/v1/me', (_req, res) => {
      res.json({ ok: true });
    });
    app.use(errorHandler(createLogger('silent')));
    const server = app.listen(0, '127.0.0.1');
    await new Promise(r => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, close: () => new Promise<void>(r => server.close(() => r())) };
  }

  async function timed(fn: () => Promise<unknown>): Promise<number> {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  }

  test('successes and errors are both held for at least the minimum latency', async () => {
    const s = await tiny(150, 0);
    try {
      const ok = await timed(() =>
        fetch(`${s.url}/v1/queries`, { method: 'POST' }).then(r => r.json())
      );
      let code = '';
      const err = await timed(() =>
        fetch(`${s.url}/v1/queries?fail=1`, { method: 'POST' })
          .then(r => r.json())
          .then(b => (code = (b as { code: string }).code))
      );
      expect(code).toBe('BUDGET_EXHAUSTED');
      expect(ok).toBeGreaterThanOrEqual(145);
      expect(err).toBeGreaterThanOrEqual(145);
      const unprotected = await timed(() => fetch(`${s.url}/v1/me`).then(r => r.json()));
      expect(unprotected).toBeLessThan(100);
    } finally {
      await s.close();
    }
  });

  test('jitter adds up to jitterMs on top of the minimum', async () => {
    const s = await tiny(20, 60);
    try {
      const times = [];
      for (let i = 0; i < 12; i++)
        times.push(
          await timed(() => fetch(`${s.url}/v1/queries`, { method: 'POST' }).then(r => r.text()))
        );
      for (const t of times) expect(t).toBeGreaterThanOrEqual(18);
      for (const t of times) expect(t).toBeLessThan(400);
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(5);
    } finally {
      await s.close();
    }
  });

  test('in the assembled app: 401s, bad bodies and budget errors of POST /v1/queries are held too', async () => {
    const h = await startHarness({ minLatencyMs: 120 });
    try {
      for (const req of [
        () => call(h, 'POST', '/v1/queries', { body: countPlan('penguins') }),
        () =>
          call(h, 'POST', '/v1/queries', {
            key: KEYS.alice,
            raw: '{bad',
            contentType: 'application/json'
          }),
        () =>
          call(h, 'POST', '/v1/queries', { key: KEYS.alice, body: countPlan('penguins', '50') }),
        () =>
          call(h, 'POST', '/v1/queries/dummy', { key: KEYS.alice, body: countPlan('penguins') }),
        () =>
          call(h, 'POST', '/v1/queries', { key: KEYS.alice, body: countPlan('penguins', '0.01') })
      ])
        expect(await timed(req)).toBeGreaterThanOrEqual(115);
      expect(await timed(() => call(h, 'GET', '/v1/me', { key: KEYS.alice }))).toBeLessThan(100);
    } finally {
      await h.close();
    }
  });
});
