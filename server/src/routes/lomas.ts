import { Router, type NextFunction, type Request, type Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import { REFUSED_CALLS, type LomasService } from '../domain/lomas';
import {
  LomasException,
  type LomasDatasetRequest,
  type LomasDummyDatasetRequest,
  type LomasSqlCostRequest,
  type LomasSqlDummyRequest,
  type LomasSqlQueryRequest
} from '../domain/lomasSchemas';
import { lomasException } from '../domain/lomasWire';
import { mountRoutes, type RouteHandler } from '../http/contract';
import { notFound, toLomasError } from '../http/errorHandler';
import type { Logger } from '../logger';

/**
 * The routes of lomas-client 0.5.1, mounted under /lomas (the client's `app_url` is
 * `https://<server>/lomas`): `POST /<name>` with a JSON body naming `dataset_name`, and
 * `GET /status/{uid}` for the jobs that cost and query calls answer with (202). Authenticated like
 * every route (OpenID Connect access token or API key). Mounted from the route table
 * (http/lomasRoutes.ts): bodies are parsed, and answers checked, by the client's models in
 * domain/lomasSchemas.ts; every error is one of the client's exception types (lomasErrors below).
 */
export function lomasRouter(lomas: LomasService, logger?: Logger): Router {
  const dataset = (body: unknown) => (body as LomasDatasetRequest).dataset_name;
  const handlers: Record<string, RouteHandler> = {
    'POST /lomas/get_dataset_metadata': ({ principal, body }) =>
      lomas.metadata(principal(), dataset(body)),
    'POST /lomas/get_dummy_dataset': ({ principal, body }) => {
      const b = body as LomasDummyDatasetRequest;
      return lomas.dummyDataset(principal(), b.dataset_name, b.dummy_nb_rows, b.dummy_seed);
    },
    'POST /lomas/get_initial_budget': async ({ principal, body }) =>
      (await lomas.budgets(principal(), dataset(body))).initial,
    'POST /lomas/get_total_spent_budget': async ({ principal, body }) =>
      (await lomas.budgets(principal(), dataset(body))).spent,
    'POST /lomas/get_remaining_budget': async ({ principal, body }) =>
      (await lomas.budgets(principal(), dataset(body))).remaining,
    'POST /lomas/get_previous_queries': ({ principal, body }) =>
      lomas.previousQueries(principal(), dataset(body)),
    'POST /lomas/estimate_smartnoise_sql_cost': async ({ principal, body }) => ({
      uid: (await lomas.sqlCost(principal(), body as LomasSqlCostRequest)).uid
    }),
    'POST /lomas/smartnoise_sql_query': async ({ principal, body }) => ({
      uid: (await lomas.sqlQuery(principal(), body as LomasSqlQueryRequest)).uid
    }),
    'POST /lomas/dummy_smartnoise_sql_query': async ({ principal, body }) => ({
      uid: (await lomas.sqlDummy(principal(), body as LomasSqlDummyRequest)).uid
    }),
    'GET /lomas/status/{uid}': ({ principal, params }) =>
      lomas.status(principal(), params.uid as string)
  };
  // The libraries this server does not run: the body is not read beyond its dataset name.
  for (const [name, library] of Object.entries(REFUSED_CALLS))
    handlers[`POST /lomas/${name}`] = ({ principal, body }) =>
      lomas.refuse(principal(), library, (body as { dataset_name?: unknown } | null)?.dataset_name);
  const r = mountRoutes(Router(), '/lomas', handlers, logger);
  // Unknown paths and methods answer here, so that lomasErrors writes their error.
  r.use(notFound);
  return r;
}

/**
 * The error handler of /lomas: the client reads a typed body (InvalidQueryException,
 * ExternalLibraryException, UnauthorizedAccessException, InternalServerException) whatever the
 * status. Also for failures before the router (authentication, body parsing, rate limits).
 * Anything untyped is logged and becomes InternalServerException: never a stack trace.
 */
export function lomasErrors(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let e = toLomasError(err);
    if (!e) {
      logger.error({ err, path: req.path, reqId: res.locals.reqId }, 'unhandled error');
      e = new LomasError('INTERNAL');
    }
    if (res.headersSent) return;
    const { status, body } = lomasException(e);
    if (e.code === 'RATE_LIMITED' && typeof e.details.retryAfter === 'number')
      res.setHeader('Retry-After', String(e.details.retryAfter));
    // Errors go through their schema too (the client's exception models).
    res.status(status).json(LomasException.parse(body));
  };
}
