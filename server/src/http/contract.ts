import type { Request, Response, Router } from 'express';
import { EmptyQuery, LomasError } from 'lomas-kernel/protocol';
import type { z } from 'zod';
import type { Logger } from '../logger';
import { apiRoutes, type RouteSpec } from './openapi';
import { principalOf, type Principal } from './principal';
import { parseBody, parseParams } from './validate';

/**
 * Routes built from the contract. Each handler is registered under the key of its entry in the
 * route table (http/openapi.ts, "METHOD /path"), and that entry's zod schemas — all from
 * lomas-kernel/protocol — validate the request (path, query, headers, body) and the RESPONSE:
 * a body that breaks its own schema is a server bug, logged and answered INTERNAL, never sent.
 * The OpenAPI document is generated from the same table, so what is served is what is documented.
 * Errors are not handled here: they travel to the error handler after the router (errorHandler.ts;
 * for /lomas, routes/lomas.ts's lomasErrors), which writes them through their own schema.
 */
export interface RouteInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  /** The parsed body, or the raw one when the route's `rawBody` leaves it to the domain. */
  body: unknown;
  principal(): Principal;
  res: Response;
}

export type RouteHandler = (input: RouteInput) => unknown;

/** The response body as the route's schema declares it (strict: nothing undeclared leaves). */
export function checkedResponse(
  spec: Pick<RouteSpec, 'method' | 'path'>,
  schema: z.ZodType,
  body: unknown,
  logger?: Logger
): unknown {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  logger?.error(
    { route: `${spec.method.toUpperCase()} ${spec.path}`, issues: r.error.issues.slice(0, 5) },
    'response breaks its schema'
  );
  throw new LomasError('INTERNAL');
}

const key = (r: Pick<RouteSpec, 'method' | 'path'>) => `${r.method.toUpperCase()} ${r.path}`;

function parseInput(spec: RouteSpec, req: Request, res: Response): RouteInput {
  return {
    params: spec.params ? parseParams(spec.params, req.params) : {},
    query: parseParams(spec.query ?? EmptyQuery, req.query),
    headers: spec.headers ? parseParams(spec.headers, req.headers) : {},
    body:
      spec.body && !spec.rawBody
        ? parseBody(spec.body, req.body ?? (spec.optionalBody ? {} : undefined))
        : req.body,
    principal: () => principalOf(res),
    res
  };
}

/**
 * Mounts on `router` (served under `prefix`) one handler per route of the table under that
 * prefix. A handler without a route, or a route without a handler, is a startup error.
 */
export function mountRoutes(
  router: Router,
  prefix: string,
  handlers: Record<string, RouteHandler>,
  logger?: Logger
): Router {
  const routes = apiRoutes().filter(r => r.path.startsWith(`${prefix}/`));
  const unknown = Object.keys(handlers).filter(k => !routes.some(r => key(r) === k));
  const missing = routes.filter(r => !handlers[key(r)]).map(key);
  if (unknown.length || missing.length)
    throw new Error(`route table mismatch: no route for ${unknown}; no handler for ${missing}`);
  for (const spec of routes) {
    const path = spec.path.slice(prefix.length).replace(/\{([^}]+)\}/g, ':$1');
    router[spec.method](path, async (req: Request, res: Response) => {
      const out = await handlers[key(spec)](parseInput(spec, req, res));
      // A route without a success answer only refuses: its handler throws.
      if (!spec.ok) throw new LomasError('INTERNAL');
      const body = spec.ok.schema ? checkedResponse(spec, spec.ok.schema, out, logger) : out;
      res.status(spec.ok.status).json(body);
    });
  }
  return router;
}
