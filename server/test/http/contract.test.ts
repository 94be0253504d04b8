import express, { Router } from 'express';
import type { AddressInfo } from 'node:net';
import { mountRoutes } from '../../src/http/contract';
import { errorHandler } from '../../src/http/errorHandler';
import { apiRoutes } from '../../src/http/openapi';
import { createLogger } from '../../src/logger';
import { lomasErrors } from '../../src/routes/lomas';

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

/**
 * The Python Lomas client's routes (/lomas) are built from the same table: their bodies are parsed
 * and their answers checked by the client's models (domain/lomasSchemas.ts), and their errors are
 * the client's exception bodies (routes/lomas.ts lomasErrors).
 */
describe('/lomas from the route table', () => {
  const lomas = apiRoutes().filter(r => r.path.startsWith('/lomas/'));

  test('every call of the client is a route, each needs its handler', () => {
    expect(lomas.map(key)).toEqual(
      expect.arrayContaining([
        'POST /lomas/get_dataset_metadata',
        'POST /lomas/smartnoise_sql_query',
        'POST /lomas/opendp_query',
        'GET /lomas/status/{uid}'
      ])
    );
    const handlers = Object.fromEntries(lomas.map(r => [key(r), () => ({})]));
    expect(() => mountRoutes(Router(), '/lomas', handlers)).not.toThrow();
    const { ['GET /lomas/status/{uid}']: _gone, ...missing } = handlers;
    expect(() => mountRoutes(Router(), '/lomas', missing)).toThrow(
      /no handler for GET \/lomas\/status\/\{uid\}/
    );
  });

  test('a request is parsed and an answer checked by the client models; errors are its exceptions', async () => {
    const logs: string[] = [];
    const logger = createLogger('error');
    logger.error = ((obj: unknown, msg: string) =>
      void logs.push(`${msg} ${JSON.stringify(obj)}`)) as never;
    let budget: unknown = { initial_epsilon: 1, initial_delta: 0 };
    const handlers: Record<string, () => unknown> = Object.fromEntries(
      lomas.map(r => [key(r), () => ({})])
    );
    handlers['POST /lomas/get_initial_budget'] = () => budget;
    // A refused call's handler that returned instead of throwing: nothing is sent as a success.
    handlers['POST /lomas/opendp_query'] = () => ({ leaked: true });
    const app = express();
    app.use((_req, res, next) => {
      res.locals.principal = { user: 'alice', role: 'analyst', credential: 'key:k' };
      next();
    });
    app.use(express.json());
    app.use('/lomas', mountRoutes(Router(), '/lomas', handlers, logger));
    app.use('/lomas', lomasErrors(logger));
    const server = app.listen(0, '127.0.0.1');
    await new Promise(r => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lomas`;
    const post = (path: string, body: unknown) =>
      fetch(`${base}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body)
      });
    try {
      const ok = await post('get_initial_budget', { dataset_name: 'penguins' });
      expect([ok.status, await ok.json()]).toEqual([200, budget]);
      const unknown = await post('get_initial_budget', { dataset_name: 'penguins', x: 1 });
      expect([unknown.status, (await unknown.json()).type]).toEqual([400, 'InvalidQueryException']);
      budget = { initial_epsilon: 1, initial_delta: 0, keyHash: 'secret' };
      const leak = await post('get_initial_budget', { dataset_name: 'penguins' });
      const body = await leak.json();
      expect([leak.status, body.type, body.code]).toEqual([
        500,
        'InternalServerException',
        'INTERNAL'
      ]);
      expect(JSON.stringify(body)).not.toContain('secret');
      expect(logs.join('\n')).toMatch(/response breaks its schema.*keyHash/);
      const refused = await post('opendp_query', { dataset_name: 'penguins' });
      expect([refused.status, (await refused.json()).type]).toEqual([
        500,
        'InternalServerException'
      ]);
      const badUid = await fetch(`${base}/status/not-a-uid`);
      expect([badUid.status, (await badUid.json()).code]).toEqual([400, 'INVALID_PARAMETER']);
    } finally {
      server.close();
    }
  });
});
