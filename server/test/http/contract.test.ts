import express, { Router } from 'express';
import type { AddressInfo } from 'node:net';
import { mountRoutes } from '../../src/http/contract';
import { errorHandler } from '../../src/http/errorHandler';
import { apiRoutes } from '../../src/http/openapi';
import { createLogger } from '../../src/logger';

/**
 * Routes are built from the route table: a handler needs its route and every route its handler,
 * and an answer that breaks its route's schema never leaves the server (INTERNAL, logged).
 */
const v1 = apiRoutes().filter(r => r.path.startsWith('/v1/'));
const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

test('a missing handler, or a handler without a route, stops the server from starting', () => {
  const handlers = Object.fromEntries(v1.map(r => [key(r), () => ({})]));
  expect(() => mountRoutes(Router(), '/v1', handlers)).not.toThrow();
  const { ['GET /v1/me']: _gone, ...missing } = handlers;
  expect(() => mountRoutes(Router(), '/v1', missing)).toThrow(/no handler for GET \/v1\/me/);
  expect(() => mountRoutes(Router(), '/v1', { ...handlers, 'GET /v1/nowhere': () => 1 })).toThrow(
    /no route for GET \/v1\/nowhere/
  );
});

test('an answer with an undeclared field is refused (500 INTERNAL), a declared one is sent', async () => {
  const logs: string[] = [];
  const logger = createLogger('error');
  logger.error = ((obj: unknown, msg: string) =>
    void logs.push(`${msg} ${JSON.stringify(obj)}`)) as never;
  let me: unknown = { user: 'alice', role: 'analyst' };
  const handlers: Record<string, () => unknown> = Object.fromEntries(
    v1.map(r => [key(r), () => ({})])
  );
  handlers['GET /v1/me'] = () => me;
  const app = express();
  app.use((_req, res, next) => {
    res.locals.principal = { user: 'alice', role: 'analyst', credential: 'key:k' };
    next();
  });
  app.use('/v1', mountRoutes(Router(), '/v1', handlers, logger));
  app.use(errorHandler(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise(r => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/me`;
  try {
    const ok = await fetch(url);
    expect([ok.status, await ok.json()]).toEqual([200, { user: 'alice', role: 'analyst' }]);
    me = { user: 'alice', role: 'analyst', keyHash: 'secret' };
    const leak = await fetch(url);
    const body = await leak.json();
    expect([leak.status, body.code]).toEqual([500, 'INTERNAL']);
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(logs.join('\n')).toMatch(/response breaks its schema.*keyHash/);
    // Unknown query parameters are refused like unknown body fields.
    const extra = await fetch(`${url}?x=1`);
    expect([extra.status, (await extra.json()).code]).toEqual([400, 'INVALID_PARAMETER']);
  } finally {
    server.close();
  }
});
