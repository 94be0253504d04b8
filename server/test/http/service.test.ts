import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { healthRoutes } from '../../src/http/health';
import { accessLog } from '../../src/http/service';
import { MemoryStore } from '../../src/store/memory';
import { call, countPlan, KEYS, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

test('/health and /ready are public and say only {status}', async () => {
  expect(await call(h, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  expect(await call(h, 'GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
});

test('/ready is 503 when the store does not answer or the server is stopping', async () => {
  const store = new MemoryStore();
  let ready = true;
  const broken = {
    ...store,
    getUser: () => new Promise(() => undefined)
  } as unknown as MemoryStore;
  const app = express();
  app.use('/a', healthRoutes({ store, isReady: () => ready }));
  app.use('/b', healthRoutes({ store: broken, timeoutMs: 50 }));
  const s = app.listen(0, '127.0.0.1');
  await new Promise(r => s.once('listening', r));
  const base = { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  try {
    expect((await call(base, 'GET', '/a/ready')).status).toBe(200);
    ready = false;
    expect(await call(base, 'GET', '/a/ready')).toMatchObject({
      status: 503,
      body: { status: 'unavailable' }
    });
    expect(await call(base, 'GET', '/b/ready')).toMatchObject({
      status: 503,
      body: { status: 'unavailable' }
    });
    expect((await call(base, 'GET', '/b/health')).status).toBe(200);
  } finally {
    await new Promise(r => s.close(r));
  }
});

test('/metrics needs the admin key and counts requests, charges and budget rejections', async () => {
  expect((await call(h, 'GET', '/metrics')).status).toBe(401);
  expect((await call(h, 'GET', '/metrics', { key: KEYS.alice })).status).toBe(403);
  expect(
    (await call(h, 'POST', '/v1/queries', { key: KEYS.alice, body: countPlan('penguins', '0.5') }))
      .status
  ).toBe(200);
  expect(
    (await call(h, 'POST', '/v1/queries', { key: KEYS.alice, body: countPlan('penguins', '0.9') }))
      .body.code
  ).toBe('BUDGET_EXHAUSTED');
  await call(h, 'GET', '/admin/users/alice', { key: KEYS.admin });
  const m = await call(h, 'GET', '/metrics', { key: KEYS.admin });
  expect(m.status).toBe(200);
  expect(m.headers.get('content-type')).toMatch(/text\/plain/);
  expect(m.text).toMatch(/lomas_privacy_charges_total\{dataset="penguins"\} 1/);
  expect(m.text).toMatch(
    /lomas_budget_rejections_total\{dataset="penguins",code="BUDGET_EXHAUSTED"\} 1/
  );
  expect(m.text).toMatch(
    /lomas_http_requests_total\{method="GET",route="\/admin\/users\/\{name\}",status="200"\} 1/
  );
  expect(m.text).toMatch(
    /lomas_http_requests_total\{method="GET",route="\/metrics",status="401"\} 1/
  );
  expect(m.text).toMatch(
    /lomas_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/queries",status="200"\}/
  );
  // Unknown paths share one label.
  await call(h, 'GET', '/no/such/path/12345', { key: KEYS.admin });
  const m2 = await call(h, 'GET', '/metrics', { key: KEYS.admin });
  expect(m2.text).not.toMatch(/12345/);
  expect(m2.text).toMatch(/route="unmatched",status="404"/);
});

test('access log: one JSON line per request, with route template and user, never the key', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  const app = express();
  app.use(accessLog(logger));
  app.use((_req, res, next) => {
    res.locals.principal = { user: 'alice', role: 'analyst', credential: 'key:k' };
    next();
  });
  app.get('/admin/users/:name', (_req, res) => {
    res.json({});
  });
  const s = app.listen(0, '127.0.0.1');
  await new Promise(r => s.once('listening', r));
  try {
    await call(
      { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` },
      'GET',
      '/admin/users/bob?x=secretquery',
      { key: KEYS.admin }
    );
  } finally {
    await new Promise(r => s.close(r));
  }
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]);
  expect(line).toMatchObject({
    msg: 'request',
    method: 'GET',
    route: '/admin/users/{name}',
    status: 200,
    user: 'alice'
  });
  expect(lines[0]).not.toContain(KEYS.admin);
  expect(lines[0]).not.toContain('secretquery');
});

test('access log: routes of routers mounted on a prefix keep their template (GET /v1/me)', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  const app = express();
  app.use(accessLog(logger));
  const v1 = express.Router();
  v1.get('/me', (_req, res) => {
    res.json({});
  });
  app.use('/v1', v1);
  const s = app.listen(0, '127.0.0.1');
  await new Promise(r => s.once('listening', r));
  try {
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await call({ url }, 'GET', '/v1/me', { key: KEYS.alice });
    await call({ url }, 'GET', '/v1/nothing-here', { key: KEYS.alice });
  } finally {
    await new Promise(r => s.close(r));
  }
  expect(lines.map(l => JSON.parse(l)).map(l => [l.route, l.status])).toEqual([
    ['/v1/me', 200],
    ['unmatched', 404]
  ]);
});

test('a port in use stops the start with what to do (no server half started)', async () => {
  const taken = createServer();
  await new Promise<void>(r => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as AddressInfo).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-port-'));
  try {
    const config = loadConfig({
      LOMAS_HOST: '127.0.0.1',
      LOMAS_PORT: String(port),
      LOMAS_DATA_DIR: dataDir,
      LOMAS_DEMO: 'false',
      LOG_LEVEL: 'silent'
    });
    await expect(startServer(config, createLogger('silent'))).rejects.toThrow(
      `port ${port} on 127.0.0.1 is in use (another Lomas server, or another program, listens there). Stop it, or start this server on another port: LOMAS_PORT=<port>.`
    );
  } finally {
    await new Promise(r => taken.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
